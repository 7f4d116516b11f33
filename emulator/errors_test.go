package emulator

import (
	"net/url"
	"testing"
	"time"
)

func TestTokenEndpointErrors(t *testing.T) {
	env := newEnv(t, Config{})
	alice := env.userToken(t, DemoUser)
	bobToV1 := env.post(t, DemoTenantID, passwordForm(DemoUser2, DemoV1APIAppIDURI+"/"+DemoScope)).str("access_token")
	ccTok := env.post(t, DemoTenantID, url.Values{"grant_type": {"client_credentials"}, "client_id": {DemoDaemonClientID},
		"client_secret": {DemoDaemonClientSecret}, "scope": {DemoAPIClientID + "/.default"}}).str("access_token")
	tampered := alice[:len(alice)-4] + "AAAA"
	if tampered == alice {
		tampered = alice[:len(alice)-4] + "BBBB"
	}
	with := func(f url.Values, kv ...string) url.Values {
		g := url.Values{}
		for k, v := range f {
			g[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				g.Del(kv[i])
			} else {
				g.Set(kv[i], kv[i+1])
			}
		}
		return g
	}
	pw := passwordForm(DemoUser, DemoAPIScope)
	obo := oboForm(alice, "User.Read")
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {DemoAPIClientID},
		"client_secret": {DemoAPIClientSecret}, "scope": {"https://graph.microsoft.com/.default"}}
	tests := []struct {
		name   string
		tenant string
		form   url.Values
		status int
		code   string
		aadsts int
	}{
		{"no grant_type", DemoTenantID, with(pw, "grant_type", ""), 400, "invalid_request", 900144},
		{"unsupported grant", DemoTenantID, with(pw, "grant_type", "authorization_code"), 400, "unsupported_grant_type", 70003},
		{"unknown tenant", "11111111-2222-4333-8444-555555555555", pw, 400, "invalid_request", 90002},
		{"unknown app", DemoTenantID, with(pw, "client_id", "99999999-2222-4333-8444-555555555555"), 400, "unauthorized_client", 700016},
		{"bad password", DemoTenantID, with(pw, "password", "nope"), 400, "invalid_grant", 50126},
		{"unknown user", DemoTenantID, with(pw, "username", "mallory"), 400, "invalid_grant", 50034},
		{"missing username", DemoTenantID, with(pw, "username", ""), 400, "invalid_request", 900144},
		{"unknown resource", DemoTenantID, with(pw, "scope", "api://nope/x"), 400, "invalid_resource", 500011},
		{"unknown scope", DemoTenantID, with(pw, "scope", DemoAPIAppIDURI+"/write"), 400, "invalid_scope", 70011},
		{"two resources", DemoTenantID, with(pw, "scope", DemoAPIScope+" User.Read"), 400, "invalid_scope", 28000},
		{"public client with secret", DemoTenantID, with(pw, "client_secret", "x"), 401, "invalid_client", 700025},
		{"bad secret", DemoTenantID, with(obo, "client_secret", "wrong"), 401, "invalid_client", 7000215},
		{"no client credential", DemoTenantID, with(obo, "client_secret", ""), 401, "invalid_client", 7000218},
		{"public client OBO", DemoTenantID, with(obo, "client_id", DemoClientAppID, "client_secret", ""), 401, "invalid_client", 7000218},
		{"cc without .default", DemoTenantID, with(cc, "scope", "User.Read"), 400, "invalid_scope", 1002012},
		{"cc public client", DemoTenantID, with(cc, "client_id", DemoClientAppID, "client_secret", ""), 401, "invalid_client", 7000218},
		{"obo missing assertion", DemoTenantID, with(obo, "assertion", ""), 400, "invalid_request", 900144},
		{"obo missing requested_token_use", DemoTenantID, with(obo, "requested_token_use", ""), 400, "invalid_request", 900144},
		{"obo malformed assertion", DemoTenantID, with(obo, "assertion", "not.a.jwt"), 400, "invalid_grant", 50013},
		{"obo bad signature", DemoTenantID, with(obo, "assertion", tampered), 400, "invalid_grant", 50013},
		{"obo wrong audience", DemoTenantID, with(obo, "assertion", bobToV1), 400, "invalid_grant", 500131},
		{"obo app-only assertion", DemoTenantID, with(obo, "assertion", ccTok), 400, "invalid_grant", 50013},
		{"refresh unknown", DemoTenantID, url.Values{"grant_type": {"refresh_token"}, "client_id": {DemoClientAppID}, "refresh_token": {"1.Abogus"}}, 400, "invalid_grant", 9002313},
		{"duplicate parameter", DemoTenantID, url.Values{"grant_type": {"password", "password"}, "client_id": {DemoClientAppID}}, 400, "invalid_request", 90015},
		{"bad claims JSON", DemoTenantID, with(pw, "claims", "{"), 400, "invalid_request", 90014},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkAADError(t, env.post(t, tc.tenant, tc.form), tc.status, tc.code, tc.aadsts)
		})
	}
}

func TestTokenEndpointGet(t *testing.T) {
	env := newEnv(t, Config{})
	st, body := getJSON(t, env.srv.URL+"/"+DemoTenantID+"/oauth2/v2.0/token", nil)
	if st != 400 || body["error"] != "invalid_request" {
		t.Fatalf("%d %v", st, body)
	}
}

func TestErrorShapeMatchesEntra(t *testing.T) {
	env := newEnv(t, Config{})
	var real map[string]any
	mustUnmarshal(t, readShared(t, "entra", "token-endpoint", "error-invalid_client-AADSTS7000215.azure-arc-troubleshooting.json"), &real)
	r := env.post(t, DemoTenantID, url.Values{"grant_type": {"client_credentials"}, "client_id": {DemoDaemonClientID},
		"client_secret": {"wrong"}, "scope": {"User.Read/.default"}})
	checkAADError(t, r, 401, "invalid_client", 7000215)
	if got, want := sortedKeys(r.body), sortedKeys(real); !equalStrings(got, want) {
		t.Fatalf("members %v, real %v", got, want)
	}
}

func TestExpiredSecretAndAssertion(t *testing.T) {
	env := newEnv(t, Config{})
	if err := env.e.UpdateApp(DemoAPIClientID, func(a *App) {
		a.Secrets = append(a.Secrets, Secret{Value: "old-secret", Expires: time.Now().Add(-time.Hour)})
	}); err != nil {
		t.Fatal(err)
	}
	alice := env.userToken(t, DemoUser)
	f := oboForm(alice, "User.Read")
	f.Set("client_secret", "old-secret")
	checkAADError(t, env.post(t, DemoTenantID, f), 401, "invalid_client", 7000222)
	env.advance(61 * time.Minute)
	checkAADError(t, env.post(t, DemoTenantID, oboForm(alice, "User.Read")), 400, "invalid_grant", 500133)
}

func TestOBOWrongTenantAndRetiredKey(t *testing.T) {
	other := Tenant{ID: "22222222-3333-4444-8555-666666666666", Domain: "other.example",
		Apps: []App{{ClientID: DemoAPIClientID, AppIDURI: DemoAPIAppIDURI, Secrets: []Secret{{Value: "s"}}, Scopes: []string{DemoScope}}}}
	env := newEnv(t, Config{Tenants: []Tenant{other}})
	alice := env.userToken(t, DemoUser)
	f := oboForm(alice, "User.Read")
	f.Set("client_secret", "s")
	checkAADError(t, env.post(t, other.ID, f), 400, "invalid_grant", 50013)
	env.e.RotateKeys(true)
	checkAADError(t, env.post(t, DemoTenantID, oboForm(alice, "User.Read")), 400, "invalid_grant", 50013)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
