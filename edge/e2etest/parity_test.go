package e2etest

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/edge"
	"github.com/entragate/entragate/emulator"
)

func TestWorkerMatchesNativeGateway(t *testing.T) {
	e := newEnv(t, edge.L2KV)
	w := e.worker(t, "")
	native := e.native(t)
	alice := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	otherAPI := e.userToken(t, emulator.DemoUser, emulator.DemoShortLivedAppIDURI+"/"+emulator.DemoScope)
	expired := e.expiredToken(t)
	appOnly := e.appToken(t)
	other, err := emulator.New(emulator.Config{}) // same claims, signed by a key the Worker does not know
	if err != nil {
		t.Fatal(err)
	}
	otherSrv := httptest.NewServer(other.Handler())
	t.Cleanup(otherSrv.Close)
	other.SetBaseURL(e.srv.URL) // same issuer
	foreign := (&env{emu: other, srv: otherSrv}).token(t, url.Values{
		"grant_type": {"password"}, "client_id": {emulator.DemoClientAppID},
		"username": {emulator.DemoUser}, "password": {emulator.DemoPassword}, "scope": {emulator.DemoAPIScope},
	})

	cases := []struct {
		name, path, token string
		want              int
	}{
		{"me valid", "/me", alice, 200},
		{"graph me valid", "/graph/me", alice, 200},
		{"no token", "/me", "", 401},
		{"garbage token", "/me", "abc.def.ghi", 401},
		{"not a JWT", "/graph/me", "notajwt", 401},
		{"bad signature", "/me", tamper(alice), 401},
		{"wrong audience", "/me", otherAPI, 401},
		{"expired", "/me", expired, 401},
		{"expired graph", "/graph/me", expired, 401},
		{"unknown signing key", "/me", foreign, 401},
		{"app-only token lacks the scope", "/me", appOnly, 403},
		{"app-only token on graph", "/graph/me", appOnly, 403},
		{"healthz", "/healthz", "", 200},
		{"unknown route", "/nope", alice, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, wk := call(t, native.URL, c.path, c.token), call(t, w.URL, c.path, c.token)
			if wk.Status != c.want {
				t.Errorf("worker %s = %d, want %d: %s", c.path, wk.Status, c.want, wk.Body)
			}
			same(t, c.name, n, wk)
		})
	}
	t.Run("readyz once keys are loaded", func(t *testing.T) {
		n, wk := call(t, native.URL, "/readyz", ""), call(t, w.URL, "/readyz", "")
		var nb, wb struct {
			Status string
			Keys   int
		}
		_ = json.Unmarshal(n.Body, &nb)
		_ = json.Unmarshal(wk.Body, &wb)
		if n.Status != 200 || wk.Status != 200 || nb != wb || wb.Status != "ready" {
			t.Fatalf("readyz native %d %s, worker %d %s", n.Status, n.Body, wk.Status, wk.Body)
		}
	})
}

// TestWorkerOverTLS: Entra ID is https; the Worker trusts the emulator's
// self-signed certificate through tlsOptions.trustedCertificates.
func TestWorkerOverTLS(t *testing.T) {
	e := newEnvTLS(t, edge.L2KV, true)
	w := e.worker(t, "")
	native := e.native(t)
	alice := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	for _, path := range []string{"/me", "/graph/me"} {
		n, wk := call(t, native.URL, path, alice), call(t, w.URL, path, alice)
		if wk.Status != 200 {
			t.Fatalf("worker %s over TLS = %d %s", path, wk.Status, wk.Body)
		}
		same(t, path, n, wk)
	}
}

// TestWorkerMatchesNativeOnFailures: OBO and Graph failures map to the
// same answers at the edge as natively.
func TestWorkerMatchesNativeOnFailures(t *testing.T) {
	e := newEnv(t, edge.L2KV)
	w := e.worker(t, "")
	native := e.native(t)
	cases := []struct {
		name  string
		user  string
		setup func()
		undo  func()
	}{
		{"mfa required (claims challenge)", emulator.DemoUser2,
			func() { must(t, e.emu.SetRequireMFA(emulator.DemoUser2, true)) },
			func() { must(t, e.emu.SetRequireMFA(emulator.DemoUser2, false)) }},
		{"consent refused", emulator.DemoUser,
			func() { must(t, e.emu.SetRefuseConsent(emulator.DemoAPIClientID, true)) },
			func() { must(t, e.emu.SetRefuseConsent(emulator.DemoAPIClientID, false)) }},
		{"token endpoint throttled", emulator.DemoUser,
			func() {
				e.emu.SetThrottle(emulator.Throttle{Count: 2, GrantType: "on_behalf_of", RetryAfter: 7 * time.Second})
			},
			func() { e.emu.ClearThrottle() }},
		{"graph unavailable", emulator.DemoUser,
			func() {
				e.emu.SetGraphFault(emulator.GraphFault{Count: 2, Status: 503, RetryAfter: 3 * time.Second})
			},
			func() { e.emu.SetGraphFault(emulator.GraphFault{}) }},
		{"graph forbidden", emulator.DemoUser,
			func() { e.emu.SetGraphFault(emulator.GraphFault{Count: 2, Status: 403}) },
			func() { e.emu.SetGraphFault(emulator.GraphFault{}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := e.userToken(t, c.user, emulator.DemoAPIScope) // a fresh token: no cached OBO answer
			c.setup()
			defer c.undo()
			n, wk := call(t, native.URL, "/graph/me", tok), call(t, w.URL, "/graph/me", tok)
			if wk.Status < 400 {
				t.Fatalf("worker answered %d %s", wk.Status, wk.Body)
			}
			same(t, c.name, n, wk)
			t.Logf("%s → %d %s", c.name, wk.Status, wk.Body)
		})
	}
}

// TestWorkerKeyRotation: a token signed with a key published after the
// isolate loaded its set is accepted through keysource's unknown-kid
// refresh; tokens signed with the withdrawn key are refused, whether new or
// already verified (validate's cache re-checks that the key is published).
func TestWorkerKeyRotation(t *testing.T) {
	e := newEnv(t, edge.L2None)
	w := e.worker(t, "")
	native := e.native(t)
	old := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	unseen := e.userToken(t, emulator.DemoUser2, emulator.DemoAPIScope) // same old key, not yet presented
	for _, base := range []string{w.URL, native.URL} {
		if a := call(t, base, "/me", old); a.Status != 200 {
			t.Fatalf("/me = %d %s", a.Status, a.Body)
		}
	}
	e.emu.RotateKeys(true) // new signing key; the old one is withdrawn
	fresh := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	for _, c := range []struct {
		name, token string
		want        int
	}{
		{"new key", fresh, 200},
		{"withdrawn key", unseen, 401},
		{"already verified, key since withdrawn", old, 401},
	} {
		n, wk := call(t, native.URL, "/me", c.token), call(t, w.URL, "/me", c.token)
		if wk.Status != c.want {
			t.Errorf("%s: worker /me = %d %s", c.name, wk.Status, wk.Body)
		}
		same(t, c.name, n, wk)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWorkerPerRouteAuthorization: AUTHORIZATION_ROUTES (Authorization.Routes)
// gives each route its own rule, at the edge as natively: status, challenge
// (the route's scopes) and body match.
func TestWorkerPerRouteAuthorization(t *testing.T) {
	e := newEnv(t, edge.L2None)
	e.bindings[edge.BindAuthzRoutes] = `{"/me":{"AllScopes":["` + emulator.DemoScope + `","Profile.Read"]},` +
		`"/graph/me":{"AnyScopes":["` + emulator.DemoScope + `"],"AnyRoles":["Graph.Proxy"]}}`
	w := e.worker(t, "")
	native := e.native(t)
	alice := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	appOnly := e.appToken(t)
	for _, c := range []struct {
		name, path, token string
		want              int
	}{
		{"me needs all scopes", "/me", alice, 403},
		{"graph me by scope", "/graph/me", alice, 200},
		{"graph me app-only without the role", "/graph/me", appOnly, 403},
		{"me app-only", "/me", appOnly, 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, wk := call(t, native.URL, c.path, c.token), call(t, w.URL, c.path, c.token)
			if wk.Status != c.want {
				t.Errorf("worker %s = %d, want %d: %s", c.path, wk.Status, c.want, wk.Body)
			}
			same(t, c.name, n, wk)
			if c.path == "/me" && c.token == alice && !strings.Contains(wk.Header.Get("Www-Authenticate"), "Profile.Read") {
				t.Errorf("challenge lacks the route's scopes: %q", wk.Header.Get("Www-Authenticate"))
			}
		})
	}
}
