package gateway

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/entragate/entragate/obo"
)

// BenchmarkMe measures the gateway's own overhead on GET /me (bearer
// extraction, context, routing, JSON answer) with a trivial validator.
func BenchmarkMe(b *testing.B) {
	h, err := New(Config{Validator: fakeValidator{}})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Authorization", "Bearer "+userToken)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkGraphMe measures GET /graph/me with a cached OBO token and a
// local Graph (the loopback HTTP round trip dominates).
func BenchmarkGraphMe(b *testing.B) {
	g := httptest.NewServer(nil)
	b.Cleanup(g.Close)
	g.Config.Handler = graphHandler(`{"id":"u1","displayName":"Alice"}`)
	h, err := New(Config{Validator: fakeValidator{}, OBO: &fakeOBO{tok: &obo.Token{AccessToken: "graph-token", ExpiresAt: time.Now().Add(time.Hour)}},
		Graph: g.Client(), GraphBaseURL: g.URL + "/v1.0", GraphScopes: []string{"https://graph.microsoft.com/User.Read"}})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/graph/me", nil)
	req.Header.Set("Authorization", "Bearer "+userToken)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
