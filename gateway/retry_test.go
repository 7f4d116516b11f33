package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/entragate/entragate/obo"
)

// cachingOBO serves "stale-token" as a cached token and, on ForceRefresh,
// the fresh token (or refreshErr). It records invalidations and requests.
type cachingOBO struct {
	mu          sync.Mutex
	firstCached bool   // the first token is FromCache
	fresh       string // the forced refresh's token
	refreshErr  error
	reqs        []obo.Request
	invalidated []obo.Request
}

func (o *cachingOBO) Token(_ context.Context, req obo.Request) (*obo.Token, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reqs = append(o.reqs, req)
	if req.ForceRefresh {
		if o.refreshErr != nil {
			return nil, o.refreshErr
		}
		return &obo.Token{AccessToken: o.fresh}, nil
	}
	return &obo.Token{AccessToken: "stale-token", FromCache: o.firstCached}, nil
}

// invalidatingOBO adds obo.Invalidator.
type invalidatingOBO struct{ *cachingOBO }

func (o invalidatingOBO) Invalidate(_ context.Context, req obo.Request) {
	o.mu.Lock()
	o.invalidated = append(o.invalidated, req)
	o.mu.Unlock()
}

type retryObs struct {
	recObs
	outcomes []string
}

func (r *retryObs) GraphTokenRetry(outcome string) {
	r.mu.Lock()
	r.outcomes = append(r.outcomes, outcome)
	r.mu.Unlock()
}

// TestGraphRetryOnRejectedCachedToken: Graph's 401 to a cached OBO token
// invalidates it and retries once with a forced refresh; a second 401 (or
// a 401 to a fresh token) is the usual 502, never a loop.
func TestGraphRetryOnRejectedCachedToken(t *testing.T) {
	const rejected401 = `{"error":{"code":"InvalidAuthenticationToken","message":"Access token validation failure."}}`
	tests := []struct {
		name        string
		firstCached bool
		fresh       string
		refreshErr  error
		noInvalid   bool           // the Acquirer has no Invalidate
		graph       map[string]int // token -> Graph status (absent: 401)
		want        int
		wantCode    string // problem "error" ("" for 200)
		wantDetail  string
		wantGraph   []string // tokens Graph saw, in order
		wantForced  int
		wantInval   int
		wantOutcome []string
	}{
		{name: "cached rejected, fresh accepted", firstCached: true, fresh: "fresh-token",
			graph: map[string]int{"fresh-token": 200}, want: 200,
			wantGraph: []string{"stale-token", "fresh-token"}, wantForced: 1, wantInval: 1, wantOutcome: []string{GraphRetrySuccess}},
		{name: "cached rejected, fresh rejected too: 502, one retry", firstCached: true, fresh: "fresh-token",
			want: 502, wantCode: "downstream_error", wantDetail: "Microsoft Graph answered 401 Unauthorized (InvalidAuthenticationToken).",
			wantGraph: []string{"stale-token", "fresh-token"}, wantForced: 1, wantInval: 1, wantOutcome: []string{GraphRetryRejected}},
		{name: "fresh token rejected: no retry", firstCached: false,
			want: 502, wantCode: "downstream_error", wantDetail: "Microsoft Graph answered 401 Unauthorized (InvalidAuthenticationToken).",
			wantGraph: []string{"stale-token"}},
		{name: "cached token 403: no retry", firstCached: true, fresh: "fresh-token", graph: map[string]int{"stale-token": 403},
			want: 502, wantCode: "downstream_error", wantDetail: "403 Forbidden",
			wantGraph: []string{"stale-token"}},
		{name: "refresh refused: OBO answer", firstCached: true,
			refreshErr: &obo.TokenError{StatusCode: 400, Code: "invalid_grant", ErrorCodes: []int{50013}},
			want:       401, wantCode: "invalid_token", wantDetail: "obo_assertion_rejected",
			wantGraph: []string{"stale-token"}, wantForced: 1, wantInval: 1, wantOutcome: []string{GraphRetryOBOErr}},
		{name: "refresh gives empty token", firstCached: true, fresh: "",
			want: 502, wantCode: "downstream_token_unavailable",
			wantGraph: []string{"stale-token"}, wantForced: 1, wantInval: 1, wantOutcome: []string{GraphRetryOBOErr}},
		{name: "retry throttled by Graph", firstCached: true, fresh: "fresh-token", graph: map[string]int{"fresh-token": 429},
			want: 503, wantCode: "temporarily_unavailable",
			wantGraph: []string{"stale-token", "fresh-token"}, wantForced: 1, wantInval: 1, wantOutcome: []string{GraphRetryGraphErr}},
		{name: "Acquirer without Invalidate still refreshes", firstCached: true, fresh: "fresh-token", noInvalid: true,
			graph: map[string]int{"fresh-token": 200}, want: 200,
			wantGraph: []string{"stale-token", "fresh-token"}, wantForced: 1, wantOutcome: []string{GraphRetrySuccess}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var seen []string
			g := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				mu.Lock()
				seen = append(seen, tok)
				mu.Unlock()
				status, ok := tc.graph[tok]
				if !ok {
					status = 401
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				switch status {
				case 200:
					io.WriteString(w, `{"id":"u1","displayName":"Alice"}`)
				case 401:
					io.WriteString(w, rejected401)
				case 403:
					io.WriteString(w, `{"error":{"code":"Authorization_RequestDenied"}}`)
				default:
					io.WriteString(w, `{"error":{"code":"TooManyRequests"}}`)
				}
			}))
			defer g.Close()
			co := &cachingOBO{firstCached: tc.firstCached, fresh: tc.fresh, refreshErr: tc.refreshErr}
			var acq obo.Acquirer = invalidatingOBO{co}
			if tc.noInvalid {
				acq = co
			}
			obs := &retryObs{}
			h, _ := newHandler(t, acq, g, func(c *Config) { c.Observer = obs })
			rec := do(h, "GET", "/graph/me", userToken)
			if rec.Code != tc.want {
				t.Fatalf("status %d want %d: %s", rec.Code, tc.want, rec.Body)
			}
			if tc.want == 200 {
				var got struct{ GraphResponse map[string]any }
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.GraphResponse["displayName"] != "Alice" {
					t.Fatalf("%v %s", err, rec.Body)
				}
			} else {
				var p struct{ Error, Detail string }
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Error != tc.wantCode ||
					!strings.Contains(p.Detail, tc.wantDetail) || rec.Header().Get("Content-Type") != "application/problem+json" {
					t.Fatalf("problem %v %s", err, rec.Body)
				}
			}
			if strings.Contains(rec.Body.String(), "stale-token") || strings.Contains(rec.Body.String(), "fresh-token") {
				t.Fatal("downstream token leaked")
			}
			mu.Lock()
			gotSeen := strings.Join(seen, ",")
			mu.Unlock()
			if want := strings.Join(tc.wantGraph, ","); gotSeen != want {
				t.Fatalf("Graph saw %q, want %q", gotSeen, want)
			}
			forced := 0
			for i, r := range co.reqs {
				if r.ForceRefresh {
					forced++
				}
				if r.Assertion != userToken || r.AssertionSHA256 != co.reqs[0].AssertionSHA256 || len(r.Scopes) != 1 || r.ForceRefresh != (i > 0) {
					t.Fatalf("OBO request %d: %+v", i, r)
				}
			}
			if forced != tc.wantForced || len(co.invalidated) != tc.wantInval {
				t.Fatalf("forced %d invalidated %d, want %d %d", forced, len(co.invalidated), tc.wantForced, tc.wantInval)
			}
			for _, r := range co.invalidated {
				if r.Assertion != userToken || r.ForceRefresh || r.AssertionSHA256 != co.reqs[0].AssertionSHA256 {
					t.Fatalf("invalidated %+v", r)
				}
			}
			if strings.Join(obs.outcomes, ",") != strings.Join(tc.wantOutcome, ",") {
				t.Fatalf("retry outcomes %v, want %v", obs.outcomes, tc.wantOutcome)
			}
			if len(obs.reqs) != 1 || obs.reqs[0] != fmt.Sprintf("/graph/me %d", tc.want) {
				t.Fatalf("requests %v", obs.reqs)
			}
		})
	}
}
