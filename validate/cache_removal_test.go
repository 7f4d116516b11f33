package validate_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/validate"
	vt "github.com/entragate/entragate/validate/validatetest"
)

// swapKeys is a key source whose set can be replaced, like keysource after a refresh.
type swapKeys struct{ set atomic.Pointer[jwk.Set] }

func (s *swapKeys) Key(_ context.Context, kid, x5t string) (*jwk.Key, error) {
	if k, ok := s.set.Load().Lookup(kid, x5t); ok {
		return k, nil
	}
	return nil, jwk.ErrKeyNotFound
}

// A token verified (and cached) with a key is refused once the key leaves
// the published set: the verified-token cache never outlives the key.
func TestCachedTokenRefusedAfterKeyRemoval(t *testing.T) {
	env, set := newEnv(t)
	keys := &swapKeys{}
	keys.set.Store(set)
	v, err := validate.New(validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: keys, Now: func() time.Time { return env.Now }})
	if err != nil {
		t.Fatal(err)
	}
	tok := env.GoodToken(env.V2())
	for i := 0; i < 2; i++ { // second call is a cache hit
		if _, err := v.Validate(context.Background(), tok); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if v.CacheLen() != 1 {
		t.Fatalf("cache holds %d entries, want 1", v.CacheLen())
	}
	// Same key republished in a fresh set (a routine refresh): still accepted.
	again, err := jwk.Parse(env.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	keys.set.Store(again)
	if _, err := v.Validate(context.Background(), tok); err != nil {
		t.Fatalf("after a refresh with the same key: %v", err)
	}
	// Key removed: refused, cached or not.
	keys.set.Store(jwk.NewSet(nil))
	_, err = v.Validate(context.Background(), tok)
	if !errors.Is(err, validate.ErrKeyNotFound) {
		t.Fatalf("after removal: got %v, want key_not_found", err)
	}
}

// TokenSHA256 is the SHA-256 of the whole token, on fresh and cached results.
func TestResultTokenSHA256(t *testing.T) {
	env, set := newEnv(t)
	v, err := validate.New(validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: validate.SetKeys{Set: set}, Now: func() time.Time { return env.Now }})
	if err != nil {
		t.Fatal(err)
	}
	tok := env.GoodToken(env.V2())
	want := sha256.Sum256([]byte(tok))
	for i := 0; i < 2; i++ {
		res, err := v.Validate(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if res.TokenSHA256() != want {
			t.Fatalf("call %d: TokenSHA256 is not the token's SHA-256", i)
		}
	}
}
