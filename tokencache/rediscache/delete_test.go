package rediscache

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/obo"
)

var _ obo.CacheDeleter = (*Cache)(nil)

// TestDelete: Delete is a DEL of the hashed key (a missing key is fine),
// bounded and behind the breaker like Set.
func TestDelete(t *testing.T) {
	srv := startRedis(t)
	key := "cafebabe" + strings.Repeat("1", 56)
	val := []byte("value")
	tests := []struct {
		name    string
		setup   func(t *testing.T) *Cache
		store   bool  // Set key first
		wantErr error // nil: success
		wantLen int   // keys left in Redis (when reachable)
	}{
		{"present", func(t *testing.T) *Cache { return newCache(t, srv.url(), sealer(t, "k1", "k1")) }, true, nil, 0},
		{"absent", func(t *testing.T) *Cache { return newCache(t, srv.url(), sealer(t, "k1", "k1")) }, false, nil, 0},
		{"other prefix untouched", func(t *testing.T) *Cache {
			c, err := New(Options{URL: srv.url(), Sealer: sealer(t, "k1", "k1"), Prefix: "other:", OpTimeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			if err := newCache(t, srv.url(), sealer(t, "k1", "k1")).Set(bg, key, val, time.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			return c
		}, false, nil, 1},
		{"wrong password", func(t *testing.T) *Cache {
			c, err := New(Options{URL: "redis://:wrong@" + srv.addr, Sealer: sealer(t, "k1", "k1"), FailureThreshold: 1, Cooldown: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			return c
		}, false, ErrUnavailable, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := srv.client()
			err := rc.FlushAll(bg).Err()
			_ = rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			c := tc.setup(t)
			if tc.store {
				if err := c.Set(bg, key, val, time.Now().Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
				if _, ok, err := c.Get(bg, key); !ok || err != nil {
					t.Fatalf("not stored: %v", err)
				}
			}
			err = c.Delete(bg, key)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("Delete: %v, want %v", err, tc.wantErr)
			}
			if n := len(srv.dump(t)); n != tc.wantLen {
				t.Fatalf("%d keys left, want %d", n, tc.wantLen)
			}
			if tc.wantErr != nil {
				// The failure opened the breaker (threshold 1): fail fast.
				if err := c.Delete(bg, key); !errors.Is(err, ErrBreakerOpen) {
					t.Fatalf("breaker: %v", err)
				}
				return
			}
			if _, ok, err := c.Get(bg, key); ok || err != nil {
				t.Fatalf("after Delete: %v %v", ok, err)
			}
		})
	}
}

// TestInvalidateThroughRedis: obo.Client.Invalidate drops the shared entry,
// so a replica that has not cached it in L1 asks the endpoint again.
func TestInvalidateThroughRedis(t *testing.T) {
	srv := startRedis(t)
	ep, calls := tokenEndpoint(t)
	s := sealer(t, "k1", "k1")
	a, _ := replica(t, ep.URL, newCache(t, srv.url(), s))
	req := obo.Request{Assertion: assertion("alice"), Scopes: []string{"User.Read"}}
	ta, err := a.Token(bg, req)
	if err != nil || len(srv.dump(t)) != 1 {
		t.Fatalf("%v %d keys", err, len(srv.dump(t)))
	}
	a.Invalidate(bg, req)
	if n := len(srv.dump(t)); n != 0 {
		t.Fatalf("%d keys left after Invalidate", n)
	}
	b, bobs := replica(t, ep.URL, newCache(t, srv.url(), s))
	tb, err := b.Token(bg, req)
	if err != nil || tb.FromCache || tb.AccessToken == ta.AccessToken || calls.Load() != 2 || bobs.levels["l2"] != 0 {
		t.Fatalf("replica b: %v %+v calls=%d levels=%v", err, tb, calls.Load(), bobs.levels)
	}
}
