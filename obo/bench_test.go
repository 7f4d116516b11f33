package obo

import (
	"crypto/sha256"
	"strings"
	"testing"
)

// BenchmarkTokenL1Hit measures a cache hit (target ≤ 2 µs/op).
func BenchmarkTokenL1Hit(b *testing.B) {
	f := newFakeEndpoint(b)
	c := newTestClient(b, f, newClock(), nil)
	req := Request{Assertion: jwtLike("alice"), Scopes: []string{"https://graph.microsoft.com/User.Read"}}
	if _, err := c.Token(bg, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Token(bg, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	if f.calls.Load() != 1 {
		b.Fatalf("calls %d", f.calls.Load())
	}
}

// BenchmarkCacheKey measures key derivation alone.
func BenchmarkCacheKey(b *testing.B) {
	a := jwtLike(strings.Repeat("x", 1500))
	for b.Loop() {
		_ = CacheKey(DefaultInstance, testTenant, testClient, a, []string{"User.Read", "Mail.Read"}, "")
	}
}

// BenchmarkTokenL1HitSerial is the single-caller cost of a hit.
func BenchmarkTokenL1HitSerial(b *testing.B) {
	f := newFakeEndpoint(b)
	c := newTestClient(b, f, newClock(), nil)
	req := Request{Assertion: jwtLike(strings.Repeat("x", 1500)), Scopes: []string{"https://graph.microsoft.com/User.Read"}}
	if _, err := c.Token(bg, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Token(bg, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenL1HitSerialPrehashed is the hit as the gateway makes it:
// the validator already computed the token's SHA-256 (Request.AssertionSHA256).
func BenchmarkTokenL1HitSerialPrehashed(b *testing.B) {
	f := newFakeEndpoint(b)
	c := newTestClient(b, f, newClock(), nil)
	a := jwtLike(strings.Repeat("x", 1500))
	req := Request{Assertion: a, AssertionSHA256: sha256.Sum256([]byte(a)), Scopes: []string{"https://graph.microsoft.com/User.Read"}}
	if _, err := c.Token(bg, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Token(bg, req); err != nil {
			b.Fatal(err)
		}
	}
}
