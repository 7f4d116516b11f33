package validate_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/validate"
	"github.com/entragate/entragate/validate/validatetest"
)

func TestAcceptanceCases(t *testing.T) {
	env, err := sharedEnv()
	if err != nil {
		t.Fatal(err)
	}
	cases := env.Cases()
	if len(cases) < 50 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			jwks := tc.JWKS
			if jwks == nil {
				jwks = env.JWKS
			}
			set, err := jwk.Parse(jwks)
			if err != nil {
				t.Fatal(err)
			}
			tenant := tc.Tenant
			if tenant == "" {
				tenant = validatetest.TenantID
			}
			auds := tc.Audiences
			if auds == nil {
				auds = []string{validatetest.ClientID, validatetest.AppIDURI}
			}
			v, err := validate.New(validate.Config{TenantID: tenant, AllowedTenants: tc.AllowedTenants,
				ClientID: validatetest.ClientID, Audiences: auds, Keys: validate.SetKeys{Set: set}, Now: func() time.Time { return env.Now }})
			if err != nil {
				t.Fatal(err)
			}
			// Twice: the second run exercises the verified-token cache.
			for i := 0; i < 2; i++ {
				res, err := v.Validate(context.Background(), tc.Token)
				if tc.Want == "" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					if res == nil || res.ExpiresAt.IsZero() {
						t.Fatalf("bad result %+v", res)
					}
					continue
				}
				var ve *validate.Error
				if !errors.As(err, &ve) {
					t.Fatalf("got %v, want *Error %s", err, tc.Want)
				}
				if string(ve.Reason) != tc.Want {
					t.Fatalf("reason %s (%v), want %s", ve.Reason, err, tc.Want)
				}
				if !errors.Is(err, &validate.Error{Reason: ve.Reason}) {
					t.Fatal("errors.Is by reason failed")
				}
				if ve.Msg == "" || ve.Hint == "" {
					t.Fatalf("empty Msg or Hint: %#v", ve)
				}
				if tc.MsgContains != "" && !strings.Contains(ve.Msg, tc.MsgContains) {
					t.Fatalf("msg %q lacks %q", ve.Msg, tc.MsgContains)
				}
				if len(tc.Token) > 20 && strings.Contains(err.Error()+ve.Hint, tc.Token[len(tc.Token)-20:]) {
					t.Fatal("error echoes the token")
				}
			}
		})
	}
}
