package e2e

import (
	"strings"
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
		{"graph 503", envOpts{},
			func(e *emulator.Emulator) { e.SetGraphFault(emulator.GraphFault{Count: 1, Status: 503}) }, 502, "downstream_error", ""},
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
