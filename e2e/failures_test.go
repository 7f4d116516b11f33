package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entragate/entragate/emulator"
)

// TestDownstreamFailures: each way the token endpoint or Graph can fail
// reaches the client as a distinct, actionable answer — never a 200.
func TestDownstreamFailures(t *testing.T) {
	tests := []struct {
		name   string
		opts   envOpts
		setup  func(*emulator.Emulator)
		status int
		code   string
		www    string // WWW-Authenticate prefix, if any
	}{
		{"token endpoint slow", envOpts{extraYAML: "TokenCache: {Timeout: 300ms}\n"},
			func(e *emulator.Emulator) { e.SetDelay(1500*time.Millisecond, 0) }, 504, "downstream_timeout", ""},
		{"graph slow", envOpts{graphTimeout: "300ms"},
			func(e *emulator.Emulator) { e.SetDelay(0, 1500*time.Millisecond) }, 504, "downstream_timeout", ""},
		{"graph 500", envOpts{},
			func(e *emulator.Emulator) { e.SetGraphFault(emulator.GraphFault{Count: 1, Status: 500}) }, 502, "downstream_error", ""},
		{"consent refused", envOpts{},
			func(e *emulator.Emulator) {
				if err := e.SetRefuseConsent(emulator.DemoAPIClientID, true); err != nil {
					t.Fatal(err)
				}
			}, 403, "interaction_required", `Bearer error="interaction_required"`},
		{"wrong client secret", envOpts{clientID: emulator.DemoAPIClientID, secret: "not-the-secret"},
			nil, 502, "downstream_token_unavailable", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			if tc.setup != nil {
				tc.setup(e.emu)
			}
			tok := e.token(t, emulator.DemoUser, "", "")
			start := time.Now()
			a := e.get(t, "/graph/me", tok)
			t.Logf("answered in %s", time.Since(start))
			if a.status != tc.status || a.json(t)["error"] != tc.code {
				t.Fatalf("%d %s", a.status, a.body)
			}
			if www := a.header.Get("WWW-Authenticate"); !strings.HasPrefix(www, tc.www) || (tc.www == "" && www != "") {
				t.Fatalf("WWW-Authenticate %q", www)
			}
		})
	}
}

// TestGraphThrottling: Microsoft Graph's 429/503 reach the client as 503 +
// Retry-After (Graph's hint, capped at 5 minutes like the token endpoint's,
// else Keys.RetryAfter) with a problem body; the next request succeeds.
func TestGraphThrottling(t *testing.T) {
	tests := []struct {
		name   string
		fault  emulator.GraphFault
		wantRA string
	}{
		{"429 with Retry-After", emulator.GraphFault{Count: 1, Status: 429, RetryAfter: 7 * time.Second}, "7"},
		{"503 with Retry-After", emulator.GraphFault{Count: 1, Status: 503, RetryAfter: 11 * time.Second}, "11"},
		{"429 Retry-After capped", emulator.GraphFault{Count: 1, Status: 429, RetryAfter: 2 * time.Hour}, "300"},
		{"429 without Retry-After", emulator.GraphFault{Count: 1, Status: 429}, "4"},
		{"503 without Retry-After", emulator.GraphFault{Count: 1, Status: 503}, "4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{extraYAML: "Keys: {RetryAfter: 4s}\n"})
			e.emu.SetGraphFault(tc.fault)
			tok := e.token(t, emulator.DemoUser, "", "")
			a := e.get(t, "/graph/me", tok)
			p := a.json(t)
			if a.status != 503 || a.header.Get("Retry-After") != tc.wantRA || p["error"] != "temporarily_unavailable" ||
				p["status"] != float64(503) || a.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%d Retry-After %q: %s", a.status, a.header.Get("Retry-After"), a.body)
			}
			if d, _ := p["detail"].(string); !strings.Contains(d, fmt.Sprintf("answered %d ", tc.fault.Status)) {
				t.Fatalf("detail %q", d)
			}
			if www := a.header.Get("WWW-Authenticate"); www != "" {
				t.Fatalf("WWW-Authenticate %q", www)
			}
			if a := e.get(t, "/graph/me", tok); a.status != 200 {
				t.Fatalf("after the fault: %d %s", a.status, a.body)
			}
		})
	}
}

// TestGraphRedirectKeepsToken: a Graph BaseUrl that redirects to another
// origin (another port on 127.0.0.1: net/http would keep Authorization on
// such a redirect) never receives the request, and so never the user's
// Graph token; the client gets a 502 naming the redirect.
func TestGraphRedirectKeepsToken(t *testing.T) {
	var mu sync.Mutex
	var got []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"captured"}`)
	}))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusFound)
	}))
	defer redirector.Close()
	e := newEnv(t, envOpts{graphBase: redirector.URL + "/v1.0"})
	tok := e.token(t, emulator.DemoUser, "", "")
	a := e.get(t, "/graph/me", tok)
	if a.status != 502 || a.json(t)["error"] != "downstream_error" || !contains(string(a.body), "302 Found (a redirect)") ||
		contains(string(a.body), "captured") {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if e.oboOK() != 1 {
		t.Fatalf("OBO exchanges: %v", e.oboOK())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 0 {
		t.Fatalf("the redirect target received %d request(s): %q", len(got), got)
	}
}
