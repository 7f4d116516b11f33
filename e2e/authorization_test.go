package e2e

import (
	"strings"
	"testing"

	"github.com/entragate/entragate/emulator"
)

// TestPerRouteAuthorization: with Authorization.Routes, /graph/me requires
// an extra scope the demo API does not expose, while /me keeps the default
// (AzureAd.RequiredScopes: [access_as_user]). The same user token passes
// /me and is refused on /graph/me, whose challenge lists its own scopes;
// no OBO exchange happens for the refused request.
func TestPerRouteAuthorization(t *testing.T) {
	e := newEnv(t, envOpts{extraYAML: `Authorization:
  Routes:
    /graph/me:
      AllScopes: [` + emulator.DemoScope + `, Profile.Read]
`})
	tok := e.token(t, emulator.DemoUser, "", "")
	tests := []struct {
		path   string
		status int
		www    string
	}{
		{"/me", 200, ""},
		{"/graph/me", 403, `Bearer error="insufficient_scope", error_description="insufficient_scope: the token lacks the required permission (scopes ` +
			emulator.DemoScope + `, Profile.Read)", scope="` + emulator.DemoScope + ` Profile.Read"`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			a := e.get(t, tc.path, tok)
			if a.status != tc.status || a.header.Get("WWW-Authenticate") != tc.www {
				t.Fatalf("%d %q %s", a.status, a.header.Get("WWW-Authenticate"), a.body)
			}
			if tc.status == 200 {
				if scp, _ := a.json(t)["claims"].(map[string]any)["scp"].(string); scp != emulator.DemoScope {
					t.Fatalf("claims %s", a.body)
				}
			} else if a.json(t)["error"] != "insufficient_scope" || strings.Contains(string(a.body), tok[:20]) {
				t.Fatalf("body %s", a.body)
			}
		})
	}
	if e.oboOK() != 0 {
		t.Fatal("OBO exchange for a refused request")
	}
}
