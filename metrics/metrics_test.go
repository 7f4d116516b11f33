package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/gateway"
	"github.com/entragate/entragate/keysource"
	"github.com/entragate/entragate/obo"
)

// Compile-time checks that Metrics binds every observer interface.
var (
	_ gateway.Observer   = (*Metrics)(nil)
	_ keysource.Observer = (*Metrics)(nil)
	_ obo.Observer       = (*Metrics)(nil)
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetrics(t *testing.T) {
	m := New(Options{NoRuntimeCollectors: true})
	other := New(Options{NoRuntimeCollectors: true}) // separate registries must not collide
	m.Request("/graph/me", 200, 10*time.Millisecond)
	m.Request("/graph/me", 200, 10*time.Millisecond)
	m.Request("other", 9999, 0)
	m.Refused("token_expired")
	m.Refused("weird reason from nowhere")
	m.Fetch("keys", "ok", time.Millisecond)
	m.KeySet(3, time.Unix(1700000000, 0))
	m.UnknownKid("fetched")
	m.NegativeCacheHit()
	m.TokenRequest("success", time.Millisecond)
	m.CacheLookup("l1")
	m.SingleFlightMerge()
	m.L2Error("get")
	m.WatchKeySource("entra", func() keysource.Status { return keysource.Status{Loaded: true, Age: 90 * time.Second} })
	out := scrape(t, m)
	for _, want := range []string{
		`entragate_http_requests_total{code="200",route="/graph/me"} 2`,
		`entragate_http_requests_total{code="0",route="other"} 1`,
		`entragate_token_refusals_total{reason="token_expired"} 1`,
		`entragate_token_refusals_total{reason="other"} 1`,
		`entragate_key_fetches_total{result="ok",what="keys"} 1`,
		`entragate_key_set_keys 3`,
		`entragate_key_set_fetched_timestamp_seconds 1.7e+09`,
		`entragate_key_unknown_kid_total{outcome="fetched"} 1`,
		`entragate_key_negative_cache_hits_total 1`,
		`entragate_obo_token_requests_total{result="success"} 1`,
		`entragate_obo_cache_lookups_total{level="l1"} 1`,
		`entragate_obo_single_flight_merges_total 1`,
		`entragate_obo_l2_errors_total{op="get"} 1`,
		`entragate_key_set_age_seconds{source="entra"} 90`,
		`entragate_key_set_loaded{source="entra"} 1`,
		`entragate_key_set_stale{source="entra"} 0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(scrape(t, other), "graph/me") {
		t.Error("registries are shared")
	}
	if !strings.Contains(scrape(t, New(Options{})), "go_goroutines") {
		t.Error("runtime collectors missing")
	}
}

func TestGraphTokenRetryCounted(t *testing.T) {
	m := New(Options{})
	var _ gateway.GraphRetryObserver = m
	m.GraphTokenRetry("ok")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `entragate_graph_token_retries_total{outcome="ok"} 1`) {
		t.Fatal("graph token retry not exported")
	}
}
