package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entragate/entragate/emulator"
)

// TestShortLivedOBONeverUsedPastExpiry: the downstream API is the
// emulator's short-lived app (its tokens live 90 s). With one injected
// clock for emulator, gateway and downstream, the gateway reuses its cached
// OBO token while it has life left and never sends it past its expiry.
func TestShortLivedOBONeverUsedPastExpiry(t *testing.T) {
	clk := newClock()
	var expired, served atomic.Int64
	downstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exp, aud := unverifiedExpAud(r.Header.Get("Authorization"))
		if aud != emulator.DemoShortLivedClientID {
			http.Error(w, `{"error":{"code":"WrongAudience"}}`, http.StatusUnauthorized)
			return
		}
		if !clk.Now().Before(time.Unix(exp, 0)) {
			expired.Add(1)
			http.Error(w, `{"error":{"code":"InvalidAuthenticationToken"}}`, http.StatusUnauthorized)
			return
		}
		served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"x","exp":%d}`, exp)
	}))
	t.Cleanup(downstream.Close)
	e := newEnv(t, envOpts{clock: clk, graphBase: downstream.URL + "/v1.0",
		graphScope: emulator.DemoShortLivedAppIDURI + "/" + emulator.DemoScope})
	user := e.token(t, emulator.DemoUser, "", "") // lives 1 h

	start := clk.Now()
	for clk.Now().Sub(start) < 5*time.Minute {
		a := e.get(t, "/graph/me", user)
		if a.status != 200 {
			t.Fatalf("at +%s: %d %s", clk.Now().Sub(start), a.status, a.body)
		}
		clk.Advance(7 * time.Second)
	}
	obo := e.oboOK()
	// 300 s of 90 s tokens: more than one exchange, far fewer than requests.
	if expired.Load() != 0 || obo < 4 || obo > 20 || served.Load() < 40 {
		t.Fatalf("expired sent %d, OBO exchanges %v, served %d", expired.Load(), obo, served.Load())
	}
	// Right at the cached token's expiry there must be a fresh exchange.
	before := e.oboOK()
	clk.Advance(emulator.DemoShortLivedLifetime)
	if a := e.get(t, "/graph/me", user); a.status != 200 || e.oboOK() != before+1 {
		t.Fatalf("after a whole lifetime: %d, OBO %v → %v", a.status, before, e.oboOK())
	}
}

// unverifiedExpAud reads exp and aud of a bearer JWT without verifying it
// (the fake downstream only checks timing).
func unverifiedExpAud(h string) (int64, string) {
	parts := strings.Split(strings.TrimPrefix(h, "Bearer "), ".")
	if len(parts) != 3 {
		return 0, ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0, ""
	}
	var c struct {
		Exp int64  `json:"exp"`
		Aud string `json:"aud"`
	}
	_ = json.Unmarshal(b, &c)
	return c.Exp, c.Aud
}
