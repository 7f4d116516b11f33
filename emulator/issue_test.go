package emulator

import (
	"errors"
	"testing"
)

func TestIssueToken(t *testing.T) {
	env := newEnv(t, Config{})
	tests := []struct {
		name  string
		opts  TokenOptions
		check map[string]any
		err   error
	}{
		{"default delegated", TokenOptions{User: DemoUser}, map[string]any{"aud": DemoAPIClientID, "scp": DemoScope, "azp": DemoClientAppID}, nil},
		{"default app-only", TokenOptions{}, map[string]any{"aud": DemoAPIClientID, "idtyp": "app", "azp": DemoDaemonClientID}, nil},
		{"v1 api", TokenOptions{User: DemoUser2, Scope: DemoV1APIAppIDURI + "/" + DemoScope}, map[string]any{"aud": DemoV1APIAppIDURI, "ver": "1.0"}, nil},
		{"unknown user", TokenOptions{User: "mallory"}, nil, ErrUnknownUser},
		{"unknown app", TokenOptions{ClientID: "99999999-2222-4333-8444-555555555555"}, nil, ErrUnknownApp},
		{"unknown tenant", TokenOptions{TenantID: "99999999-2222-4333-8444-555555555555"}, nil, ErrUnknownTenant},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := env.e.IssueToken(tc.opts)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, c := decodeJWT(t, tok)
			for k, v := range tc.check {
				if c[k] != v {
					t.Errorf("%s = %v, want %v", k, c[k], v)
				}
			}
		})
	}
	// Issued tokens are accepted by the emulator's own OBO.
	tok, _ := env.e.IssueToken(TokenOptions{User: DemoUser, MFA: true})
	if r := env.post(t, DemoTenantID, oboForm(tok, "User.Read")); r.status != 200 {
		t.Fatalf("%v", r.body)
	}
}
