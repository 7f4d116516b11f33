package validate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/validate"
	vt "github.com/entragate/entragate/validate/validatetest"
)

// FuzzValidate runs arbitrary input through the whole pipeline: it must
// never panic, must refuse with a *validate.Error that has a message and a
// hint, and must never echo the input.
func FuzzValidate(f *testing.F) {
	env, err := sharedEnv()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range env.Cases()[:40] {
		if len(c.Token) < 4096 {
			f.Add(c.Token)
		}
	}
	set, err := jwk.Parse(env.JWKS)
	if err != nil {
		f.Fatal(err)
	}
	v, err := validate.New(validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: validate.SetKeys{Set: set},
		Now: func() time.Time { return env.Now }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		res, err := v.Validate(context.Background(), raw)
		if err == nil {
			// Only tokens signed by the test key can pass (the seeds).
			if res == nil || res.TenantID != vt.TenantID || !res.ExpiresAt.Add(v.ClockSkew()).After(env.Now) {
				t.Fatalf("accepted %+v", res)
			}
			return
		}
		ve, ok := err.(*validate.Error)
		if !ok || ve.Msg == "" || ve.Hint == "" {
			t.Fatalf("bad refusal %#v", err)
		}
		if len(raw) >= 16 && strings.Contains(ve.Msg+ve.Hint, raw) {
			t.Fatal("refusal echoes the input")
		}
	})
}
