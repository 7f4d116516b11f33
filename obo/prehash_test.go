package obo

import (
	"crypto/sha256"
	"testing"
)

// A request carrying the assertion's SHA-256 (as the gateway passes it from
// the validator) uses exactly the cache entry of the same request without it,
// and another user's hash never reaches this user's entry.
func TestAssertionSHA256SharesTheCacheKey(t *testing.T) {
	f := newFakeEndpoint(t)
	c := newTestClient(t, f, newClock(), nil)
	alice, bob := jwtLike("alice"), jwtLike("bob")
	scopes := []string{"User.Read"}
	a1, err := c.Token(bg, Request{Assertion: alice, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := c.Token(bg, Request{Assertion: alice, AssertionSHA256: sha256.Sum256([]byte(alice)), Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	if a1.AccessToken != a2.AccessToken || f.calls.Load() != 1 {
		t.Fatalf("pre-hashed request missed the cache: %d token requests", f.calls.Load())
	}
	b1, err := c.Token(bg, Request{Assertion: bob, AssertionSHA256: sha256.Sum256([]byte(bob)), Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	if b1.AccessToken == a1.AccessToken || f.calls.Load() != 2 {
		t.Fatalf("bob got alice's token or no request was made (%d)", f.calls.Load())
	}
}
