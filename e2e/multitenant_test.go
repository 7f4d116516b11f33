package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/emulator"
)

// TestMultiTenant: TenantId organizations with an allow-list; the OBO
// exchange runs in the caller's tenant (tid).
func TestMultiTenant(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allowed string
		status  int
		reason  string
	}{
		{"allowed", emulator.DemoTenantID, 200, ""},
		{"not allowed", "00000000-1111-2222-3333-444444444444", 401, "tenant_not_allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu, emuSrv := newEmulator(t, time.Now)
			cfg := mustParse(t, `
AzureAd:
  Instance: `+emuSrv.URL+`/
  TenantId: organizations
  AllowedTenants: [`+tc.allowed+`]
  ClientId: `+emulator.DemoAPIClientID+`
  ClientCredentials: [{SourceType: ClientSecret, ClientSecretEnv: E2E_CLIENT_SECRET}]
DownstreamApis:
  MicrosoftGraph: {BaseUrl: `+emuSrv.URL+`/v1.0, Scopes: [https://graph.microsoft.com/User.Read]}
`)
			_, gw := newGateway(t, cfg, emulator.DemoAPIClientSecret, time.Now)
			e := &env{emu: emu, emuSrv: emuSrv, gw: gw}
			a := e.get(t, "/graph/me", e.token(t, emulator.DemoUser, "", ""))
			if a.status != tc.status {
				t.Fatalf("%d %s", a.status, a.body)
			}
			if tc.reason != "" && !strings.Contains(a.header.Get("WWW-Authenticate"), tc.reason) {
				t.Fatal(a.header.Get("WWW-Authenticate"))
			}
			if tc.status == 200 && a.json(t)["graphResponse"].(map[string]any)["id"] != emulator.DemoAliceObjectID {
				t.Fatal(string(a.body))
			}
		})
	}
}
