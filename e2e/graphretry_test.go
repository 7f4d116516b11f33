package e2e

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/emulator"
)

// retryEnv is the emulator plus two gateways: sharing a Redis L2 ("l2"), or
// a single gateway listed twice (L1 only).
func retryEnv(t *testing.T, level string) (*env, [2]string) {
	t.Helper()
	if level == "l1" {
		e := newEnv(t, envOpts{})
		return e, [2]string{e.gw.URL, e.gw.URL}
	}
	url := startRedis(t)
	emu, emuSrv := newEmulator(t, time.Now)
	e := &env{emu: emu, emuSrv: emuSrv}
	key := base64.StdEncoding.EncodeToString([]byte("e2e-sealing-key-0123456789abcdef"))
	envs := map[string]string{"E2E_CLIENT_SECRET": emulator.DemoAPIClientSecret, "E2E_REDIS_URL": url, "E2E_CACHE_KEYS": "k1:" + key}
	o := envOpts{instance: emuSrv.URL, clientID: emulator.DemoAPIClientID, graphBase: emuSrv.URL + "/v1.0",
		graphScope: "https://graph.microsoft.com/User.Read",
		extraYAML:  "TokenCache:\n  Redis: {URLEnv: E2E_REDIS_URL, EncryptionKeysEnv: E2E_CACHE_KEYS, Timeout: 500ms}\n"}
	var gws [2]string
	for i := range gws {
		s, err := newServerEnv(t, gatewayConfig(t, o), envs)
		if err != nil {
			t.Fatal(err)
		}
		gws[i] = s
	}
	return e, gws
}

// TestGraphRejectsCachedOBOToken: when Graph answers 401 to a cached OBO
// token (served from L1 or from the shared L2), the gateway drops it and
// retries once with a fresh exchange instead of answering 502 until the
// cached token expires.
func TestGraphRejectsCachedOBOToken(t *testing.T) {
	tests := []struct {
		name  string
		level string // the second call is served from "l1" (same gateway) or "l2" (the other one)
		// reject makes Graph refuse the cached token: "rotate" (emulator keys
		// rotated with retire-now) or "fault" (one injected Graph 401).
		reject string
	}{
		{"keys retired, L1", "l1", "rotate"},
		{"keys retired, L2", "l2", "rotate"},
		{"Graph 401 once, L1", "l1", "fault"},
		{"Graph 401 once, L2", "l2", "fault"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, gws := retryEnv(t, tc.level)
			tok := e.token(t, emulator.DemoUser, "", "")
			if a := get(t, gws[0]+"/graph/me", tok); a.status != 200 {
				t.Fatalf("first call: %d %s", a.status, a.body)
			}
			if n := e.oboOK(); n != 1 {
				t.Fatalf("%v OBO exchanges, want 1", n)
			}
			// The second gateway has loaded the (old) signing keys.
			if a := get(t, gws[1]+"/me", tok); a.status != 200 {
				t.Fatalf("/me: %d %s", a.status, a.body)
			}
			graph401 := e.emu.GraphRequests(401)
			switch tc.reject {
			case "rotate":
				e.emu.RotateKeys(true)
				// Graph now refuses the cached token, and the token endpoint
				// the user's token (its key is gone too): the client must get
				// a new token, so 401 invalid_token, not 502.
				a := get(t, gws[1]+"/graph/me", tok)
				if a.status != 401 || !contains(a.header.Get("WWW-Authenticate"), `error="invalid_token"`) ||
					!contains(string(a.body), "obo_assertion_rejected") {
					t.Fatalf("after rotation: %d %q %s", a.status, a.header.Get("WWW-Authenticate"), a.body)
				}
				if got := e.emu.GraphRequests(401) - graph401; got != 1 {
					t.Fatalf("Graph refused %v times, want 1 (the cached token, once)", got)
				}
				if n := e.emu.TokenRequests("on_behalf_of", "50013"); n != 1 {
					t.Fatalf("%v refused OBO exchanges, want 1 (the forced refresh)", n)
				}
				// The entry is gone: the same token is refused by the token
				// endpoint at once, without sending a stale token to Graph.
				a = get(t, gws[1]+"/graph/me", tok)
				if a.status != 401 || e.emu.GraphRequests(401)-graph401 != 1 {
					t.Fatalf("again: %d %s; Graph 401s %v", a.status, a.body, e.emu.GraphRequests(401)-graph401)
				}
				// A new token (new key) works on both gateways.
				fresh := e.token(t, emulator.DemoUser, "", "")
				for _, gw := range gws {
					if a := get(t, gw+"/graph/me", fresh); a.status != 200 {
						t.Fatalf("new token on %s: %d %s", gw, a.status, a.body)
					}
				}
			case "fault":
				e.emu.SetGraphFault(emulator.GraphFault{Count: 1, Status: 401})
				a := get(t, gws[1]+"/graph/me", tok)
				if a.status != 200 {
					t.Fatalf("after one Graph 401: %d %s", a.status, a.body)
				}
				if got := e.emu.GraphRequests(401) - graph401; got != 1 {
					t.Fatalf("Graph 401s %v, want 1", got)
				}
				if n := e.oboOK(); n != 2 {
					t.Fatalf("%v OBO exchanges, want 2 (one forced refresh)", n)
				}
				// The fresh token is cached: no further exchange.
				for i := 0; i < 3; i++ {
					if a := get(t, gws[1]+"/graph/me", tok); a.status != 200 {
						t.Fatalf("call %d: %d %s", i, a.status, a.body)
					}
				}
				if n := e.oboOK(); n != 2 {
					t.Fatalf("%v OBO exchanges after the retry, want 2", n)
				}
			}
		})
	}
}

// TestGraphRejectsEveryToken: Graph refusing the fresh token too is the
// usual 502 after exactly one retry (no loop), and a fresh (uncached)
// token that Graph refuses is not retried.
func TestGraphRejectsEveryToken(t *testing.T) {
	e := newEnv(t, envOpts{})
	tok := e.token(t, emulator.DemoUser, "", "")
	e.emu.SetGraphFault(emulator.GraphFault{Count: 1, Status: 401})
	a := e.get(t, "/graph/me", tok) // fresh exchange, refused: no retry
	if a.status != 502 || !strings.Contains(string(a.body), "Graph answered 401") || e.emu.GraphRequests(401) != 1 || e.oboOK() != 1 {
		t.Fatalf("fresh token refused: %d %s; Graph 401s %v OBO %v", a.status, a.body, e.emu.GraphRequests(401), e.oboOK())
	}
	e.emu.SetGraphFault(emulator.GraphFault{Count: 100, Status: 401})
	a = e.get(t, "/graph/me", tok) // cached, refused; fresh, refused: 502
	if a.status != 502 || !strings.Contains(string(a.body), "Graph answered 401") || e.emu.GraphRequests(401) != 3 || e.oboOK() != 2 {
		t.Fatalf("cached then fresh refused: %d %s; Graph 401s %v OBO %v", a.status, a.body, e.emu.GraphRequests(401), e.oboOK())
	}
}
