package emulator

import (
	"errors"
	"net/url"
	"path/filepath"
	"testing"
)

func TestLoadConfigFile(t *testing.T) {
	cfg, err := LoadConfigFile(filepath.Join("testdata", "example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env := newEnv(t, cfg)
	f := url.Values{"grant_type": {"password"}, "client_id": {"8c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f"},
		"username": {"carol@contoso.onmicrosoft.com"}, "password": {"carol-pass"}, "scope": {"api://contoso-orders/Orders.Read"}}
	r := env.post(t, "contoso.onmicrosoft.com", f)
	if r.status != 200 || r.body["expires_in"].(float64) != 1800 {
		t.Fatalf("%v", r.body)
	}
	_, c := decodeJWT(t, r.str("access_token"))
	if c["ver"] != "1.0" || c["aud"] != "api://contoso-orders" || c["tid"] != "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" {
		t.Fatalf("claims %v", c)
	}
	if roles, _ := c["roles"].([]any); len(roles) != 1 || roles[0] != "Orders.Admin" {
		t.Fatalf("roles %v", c["roles"])
	}
	// The demo tenant is still there.
	env.userToken(t, DemoUser)
	// Expired secret of the YAML app.
	f = oboForm(r.str("access_token"), "User.Read")
	f.Set("client_id", "7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e")
	f.Set("client_secret", "old-orders-secret")
	checkAADError(t, env.post(t, "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", f), 401, "invalid_client", 7000222)
	// Carol requires MFA.
	f.Set("client_secret", "orders-secret")
	checkAADError(t, env.post(t, "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", f), 400, "interaction_required", 50079)
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct{ name, yaml string }{
		{"unknown key", "tenantz: []"},
		{"bad tenant id", "tenants: [{id: nope}]"},
		{"bad app id", "tenants: [{id: 6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d, apps: [{clientId: x}]}]"},
		{"bad version", "tenants: [{id: 6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d, apps: [{clientId: 7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e, accessTokenVersion: 3}]}]"},
		{"user without oid", "tenants: [{id: 6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d, users: [{name: x}]}]"},
		{"bad cert", "tenants: [{id: 6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d, apps: [{clientId: 7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e, certificates: [nope]}]}]"},
		{"no tenants", "noDemo: true"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tc.yaml))
			if err == nil {
				_, err = New(cfg)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("want ErrInvalidConfig, got %v", err)
			}
		})
	}
}
