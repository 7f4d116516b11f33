package emulator

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics lives in the emulator's own registry (never the global one).
type metrics struct {
	reg       *prometheus.Registry
	tokens    *prometheus.CounterVec
	graph     *prometheus.CounterVec
	rotations prometheus.Counter

	mu          sync.Mutex
	counts      map[tokenKey]float64
	graphCounts map[int]float64
}

type tokenKey struct{ grant, result, code string }

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "entra_emulator_token_requests_total",
			Help: "Token endpoint requests by grant type, result (ok or OAuth error) and AADSTS code.",
		}, []string{"grant_type", "result", "aadsts"}),
		graph: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "entra_emulator_graph_requests_total",
			Help: "Microsoft Graph requests by route and HTTP status.",
		}, []string{"route", "status"}),
		rotations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "entra_emulator_key_rotations_total",
			Help: "Signing key rotations.",
		}),
		counts:      map[tokenKey]float64{},
		graphCounts: map[int]float64{},
	}
	m.reg.MustRegister(m.tokens, m.graph, m.rotations)
	return m
}

func (m *metrics) countGraph(status int) {
	m.graph.WithLabelValues("/v1.0/me", strconv.Itoa(status)).Inc()
	m.mu.Lock()
	m.graphCounts[status]++
	m.mu.Unlock()
}

// GraphRequests counts Graph /v1.0/me requests answered with status (0 = all).
func (e *Emulator) GraphRequests(status int) float64 {
	m := e.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	var n float64
	for s, v := range m.graphCounts {
		if status == 0 || s == status {
			n += v
		}
	}
	return n
}

func (m *metrics) countToken(grant, result string, aadsts int) {
	code := ""
	if aadsts != 0 {
		code = strconv.Itoa(aadsts)
	}
	m.tokens.WithLabelValues(grant, result, code).Inc()
	m.mu.Lock()
	m.counts[tokenKey{grant, result, code}]++
	m.mu.Unlock()
}

// TokenRequests counts token requests. grantType is "password",
// "client_credentials", "on_behalf_of" (or the jwt-bearer URN, or "obo"),
// "refresh_token", or "" for all. result is "ok", an OAuth error
// ("invalid_grant", "interaction_required", ...), an AADSTS code
// ("AADSTS50079" or "50079"), or "" for all.
func (e *Emulator) TokenRequests(grantType, result string) float64 {
	g := grantLabelOrEmpty(grantType)
	code := ""
	if len(result) > 6 && result[:6] == "AADSTS" {
		code, result = result[6:], ""
	} else if _, err := strconv.Atoi(result); err == nil && result != "" {
		code, result = result, ""
	}
	m := e.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	var n float64
	for k, v := range m.counts {
		if (g == "" || k.grant == g) && (result == "" || k.result == result) && (code == "" || k.code == code) {
			n += v
		}
	}
	return n
}

// registerKeyGauge publishes the number of keys in the key set.
func (e *Emulator) registerKeyGauge() {
	e.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "entra_emulator_published_keys",
		Help: "Signing keys in the published key set.",
	}, func() float64 { return float64(len(e.keys.published(e.now()))) }))
}

func (e *Emulator) metricsHandler() http.Handler {
	return promhttp.HandlerFor(e.metrics.reg, promhttp.HandlerOpts{})
}
