package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/entragate/entragate/emulator"
)

// TestAppOnlyToken: a daemon's client-credentials token passes /me by its
// role, but /graph/me needs a user (no OBO for app-only tokens).
func TestAppOnlyToken(t *testing.T) {
	e := newEnv(t, envOpts{extraYAML: ""})
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {emulator.DemoDaemonClientID},
		"client_secret": {emulator.DemoDaemonClientSecret}, "scope": {emulator.DemoAPIAppIDURI + "/.default"}}
	resp, err := http.Post(e.emu.TokenEndpoint(emulator.DemoTenantID), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	if ans.AccessToken == "" {
		t.Fatalf("no app token: %d", resp.StatusCode)
	}
	// The demo config requires the access_as_user scope: app-only is refused.
	a := e.get(t, "/me", ans.AccessToken)
	if a.status != 403 || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), `Bearer error="insufficient_scope"`) {
		t.Fatalf("%d %q", a.status, a.header.Get("WWW-Authenticate"))
	}
	// With a role requirement it passes /me, and /graph/me explains why not.
	cfg := gatewayConfig(t, envOpts{instance: e.emuSrv.URL, clientID: emulator.DemoAPIClientID, graphBase: e.emuSrv.URL + "/v1.0",
		graphScope: "https://graph.microsoft.com/User.Read", extraYAML: ""})
	cfg.AzureAd.RequiredRoles = []string{emulator.DemoAPIRole}
	_, gw := newGateway(t, cfg, emulator.DemoAPIClientSecret, nil)
	if a := get(t, gw.URL+"/me", ans.AccessToken); a.status != 200 {
		t.Fatalf("/me with role: %d %s", a.status, a.body)
	}
	if a := get(t, gw.URL+"/graph/me", ans.AccessToken); a.status != 403 || a.json(t)["error"] != "delegated_token_required" {
		t.Fatalf("/graph/me app-only: %d %s", a.status, a.body)
	}
	if e.oboOK() != 0 {
		t.Fatal("OBO attempted with an app-only token")
	}
}
