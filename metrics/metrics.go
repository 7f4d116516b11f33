// Package metrics binds entragate's observer interfaces (gateway, httpauth,
// keysource, obo) to Prometheus. Every Metrics owns its own registry (never
// the global one), so servers and tests never share state. Native only.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/entragate/entragate/keysource"
	"github.com/entragate/entragate/validate"
)

// Namespace prefixes every metric name.
const Namespace = "entragate"

// Metrics implements gateway.Observer, keysource.Observer and obo.Observer.
// Safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	refusals *prometheus.CounterVec

	keyFetches    *prometheus.CounterVec
	keyFetchDur   *prometheus.HistogramVec
	keySetSize    prometheus.Gauge
	keySetFetched prometheus.Gauge
	unknownKids   *prometheus.CounterVec
	negativeHits  prometheus.Counter

	oboRequests *prometheus.CounterVec
	oboDuration *prometheus.HistogramVec
	oboCache    *prometheus.CounterVec
	oboMerges   prometheus.Counter
	oboL2Errors *prometheus.CounterVec
	graphRetry  *prometheus.CounterVec
}

// Options tunes New.
type Options struct {
	// NoRuntimeCollectors leaves out the Go runtime and process collectors.
	NoRuntimeCollectors bool
}

// New creates a Metrics with a fresh registry.
func New(opts Options) *Metrics {
	reg := prometheus.NewRegistry()
	if !opts.NoRuntimeCollectors {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	buckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "http_requests_total",
			Help: "HTTP requests by route and status code."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "http_request_duration_seconds",
			Help: "HTTP request latency by route.", Buckets: buckets}, []string{"route"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "token_refusals_total",
			Help: "Requests refused by token validation or authorization, by reason."}, []string{"reason"}),
		keyFetches: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "key_fetches_total",
			Help: "Metadata and key-set fetches by document and result."}, []string{"what", "result"}),
		keyFetchDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "key_fetch_duration_seconds",
			Help: "Metadata and key-set fetch latency.", Buckets: buckets}, []string{"what"}),
		keySetSize: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "key_set_keys",
			Help: "Usable signing keys after the last successful refresh."}),
		keySetFetched: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "key_set_fetched_timestamp_seconds",
			Help: "Unix time of the last successful key-set refresh."}),
		unknownKids: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "key_unknown_kid_total",
			Help: "Tokens with an unknown kid, by outcome (fetched, merged, rate_limited)."}, []string{"outcome"}),
		negativeHits: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "key_negative_cache_hits_total",
			Help: "Unknown kids refused from the negative cache."}),
		oboRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "obo_token_requests_total",
			Help: "On-Behalf-Of token endpoint round trips by result."}, []string{"result"}),
		oboDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "obo_token_request_duration_seconds",
			Help: "On-Behalf-Of token endpoint latency.", Buckets: buckets}, []string{"result"}),
		oboCache: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "obo_cache_lookups_total",
			Help: "Where OBO tokens were served from (l1, l2, miss)."}, []string{"level"}),
		oboMerges: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "obo_single_flight_merges_total",
			Help: "OBO calls that waited on an identical request in flight."}),
		oboL2Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "obo_l2_errors_total",
			Help: "Failed L2 (Redis) cache operations by operation."}, []string{"op"}),
		graphRetry: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "graph_token_retries_total",
			Help: "Cached OBO tokens Microsoft Graph rejected (401), invalidated and retried once, by outcome."}, []string{"outcome"}),
	}
	reg.MustRegister(m.requests, m.duration, m.refusals, m.keyFetches, m.keyFetchDur, m.keySetSize, m.keySetFetched,
		m.unknownKids, m.negativeHits, m.oboRequests, m.oboDuration, m.oboCache, m.oboMerges, m.oboL2Errors, m.graphRetry)
	return m
}

// Registry returns the registry (for extra collectors and tests).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, MaxRequestsInFlight: 4, Timeout: 10 * time.Second})
}

// WatchKeySource exports gauges read at scrape time from a key source's
// Status: age, staleness and loaded state, labelled source=name.
func (m *Metrics) WatchKeySource(name string, status func() keysource.Status) {
	labels := prometheus.Labels{"source": name}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: "key_set_age_seconds", ConstLabels: labels,
			Help: "Age of the signing-key set in use."}, func() float64 { return status().Age.Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: "key_set_stale", ConstLabels: labels,
			Help: "1 when serving a last-known-good key set after failed refreshes."}, func() float64 { return b2f(status().Stale) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: "key_set_loaded", ConstLabels: labels,
			Help: "1 when a usable key set is held."}, func() float64 { return b2f(status().Loaded) }),
	)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Request implements gateway.Observer.
func (m *Metrics) Request(route string, status int, d time.Duration) {
	if status < 100 || status > 599 {
		status = 0
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// knownReason bounds the reason label to validate's and httpauth's codes.
func knownReason(r string) bool {
	switch r {
	case "no_token", "invalid_request", "invalid", "canceled":
		return true
	}
	switch validate.Reason(r) {
	case validate.ReasonMalformed, validate.ReasonTooLarge, validate.ReasonAlgNotAllowed, validate.ReasonTypNotAllowed,
		validate.ReasonCritUnsupported, validate.ReasonKeyNotFound, validate.ReasonKeysUnavailable, validate.ReasonKeyRejected,
		validate.ReasonSignatureInvalid, validate.ReasonExpired, validate.ReasonNotYetValid, validate.ReasonIssuedInFuture,
		validate.ReasonMissingClaim, validate.ReasonAudienceMismatch, validate.ReasonIssuerMismatch, validate.ReasonTenantNotAllowed,
		validate.ReasonKeyIssuerMismatch, validate.ReasonInsufficientScope:
		return true
	}
	return false
}

// Refused implements httpauth.Observer (validation refusals by reason).
func (m *Metrics) Refused(reason string) {
	if !knownReason(reason) {
		reason = "other"
	}
	m.refusals.WithLabelValues(reason).Inc()
}

// Fetch implements keysource.Observer.
func (m *Metrics) Fetch(what, result string, d time.Duration) {
	m.keyFetches.WithLabelValues(bounded(what, 32), bounded(result, 32)).Inc()
	m.keyFetchDur.WithLabelValues(bounded(what, 32)).Observe(d.Seconds())
}

// KeySet implements keysource.Observer.
func (m *Metrics) KeySet(keys int, fetchedAt time.Time) {
	m.keySetSize.Set(float64(keys))
	m.keySetFetched.Set(float64(fetchedAt.UnixNano()) / 1e9)
}

// UnknownKid implements keysource.Observer.
func (m *Metrics) UnknownKid(outcome string) {
	m.unknownKids.WithLabelValues(bounded(outcome, 32)).Inc()
}

// NegativeCacheHit implements keysource.Observer.
func (m *Metrics) NegativeCacheHit() { m.negativeHits.Inc() }

// TokenRequest implements obo.Observer.
func (m *Metrics) TokenRequest(result string, latency time.Duration) {
	r := bounded(result, 32)
	m.oboRequests.WithLabelValues(r).Inc()
	m.oboDuration.WithLabelValues(r).Observe(latency.Seconds())
}

// CacheLookup implements obo.Observer.
func (m *Metrics) CacheLookup(level string) { m.oboCache.WithLabelValues(bounded(level, 16)).Inc() }

// SingleFlightMerge implements obo.Observer.
func (m *Metrics) SingleFlightMerge() { m.oboMerges.Inc() }

// GraphTokenRetry counts a cached OBO token that Graph rejected (gateway.GraphRetryObserver).
func (m *Metrics) GraphTokenRetry(outcome string) {
	m.graphRetry.WithLabelValues(bounded(outcome, 32)).Inc()
}

// L2Error implements obo.Observer.
func (m *Metrics) L2Error(op string) { m.oboL2Errors.WithLabelValues(bounded(op, 16)).Inc() }

// bounded guards label values coming from other packages (which use closed
// sets already): long values collapse to "other".
func bounded(s string, n int) string {
	if len(s) > n {
		return "other"
	}
	return s
}
