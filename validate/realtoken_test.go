package validate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/jwk"
)

func shared(t testing.TB, parts ...string) []byte {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "shared", "testdata"}, parts...)...)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("shared test data missing: %v", err)
	}
	return b
}

func sharedSet(t testing.TB, parts ...string) *jwk.Set {
	t.Helper()
	s, err := jwk.Parse(shared(t, parts...))
	if err != nil {
		t.Fatalf("parse %v: %v", parts, err)
	}
	return s
}

func TestRealTokens(t *testing.T) {
	cases := []struct {
		name, token, jwks, tenant, aud string
		inside                         time.Time
		wantClient                     string
	}{
		{"keyvault-2019", "keyvault-doc-2019-nbCwW11w3XkB.jwt", "nbCwW11w3XkB-key.reformatted-from-js.json",
			"72f988bf-86f1-41af-91ab-2d7cd011db47", "https://vault.azure.net",
			time.Date(2019, 1, 28, 18, 0, 0, 0, time.UTC), "fad7d5b3-69d6-4b48-9259-8d12124e1cf1"},
		{"cyrano-2014-x5t", "identitymodel-2014-Cyrano-kriMPdmBvx68.jwt", "aad-2014-JsonWebKeySet.identitymodel-test.json",
			"add29489-7269-41f4-8841-b63c95564420", "fe78e0b4-6fe7-47e6-812c-fb75cee266a4",
			time.Date(2014, 12, 22, 17, 30, 0, 0, time.UTC), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := strings.TrimSpace(string(shared(t, "entra", "tokens", tc.token)))
			set := sharedSet(t, "entra", "jwks", tc.jwks)
			for _, when := range []struct {
				now    time.Time
				reason Reason
			}{{tc.inside, ""}, {time.Now(), ReasonExpired}} {
				v, err := New(Config{TenantID: tc.tenant, Audiences: []string{tc.aud}, Keys: SetKeys{set},
					Now: func() time.Time { return when.now }})
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.Validate(context.Background(), raw)
				if when.reason == "" {
					if err != nil {
						t.Fatalf("at %v: %v", when.now, err)
					}
					if res.Version != "1.0" || res.TenantID != tc.tenant || res.Audience != tc.aud || res.ClientID != tc.wantClient {
						t.Fatalf("result %+v", res)
					}
					if !res.AppOnly {
						t.Fatal("expected AppOnly (no scp)")
					}
					continue
				}
				var ve *Error
				if !errors.As(err, &ve) || ve.Reason != when.reason {
					t.Fatalf("at %v: got %v, want %s", when.now, err, when.reason)
				}
			}
		})
	}
}
