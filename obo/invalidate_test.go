package obo

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/entragate/entragate/tokencache"
)

// deletingL2 is a fakeL2 with the optional CacheDeleter.
type deletingL2 struct {
	*fakeL2
	delErr error
	dels   int
}

func (d *deletingL2) Delete(_ context.Context, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dels++
	if d.delErr != nil {
		return d.delErr
	}
	delete(d.m, key)
	return nil
}

func (f *fakeL2) len() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.m) }

// TestInvalidateAndForceRefresh: Invalidate drops the entry from L1 and
// (when it can delete) L2 under Token's key derivation; a ForceRefresh
// Token skips both levels, asks the endpoint and replaces the entry.
func TestInvalidateAndForceRefresh(t *testing.T) {
	tests := []struct {
		name      string
		l2        string   // "" none, "deleter", "failing" (Delete fails), "nodelete" (no Delete method)
		caps      []string // client capabilities merged into the key
		claims    string
		tenant    string
		prehash   bool // Token gets AssertionSHA256, Invalidate does not
		wantL2Len int  // L2 entries right after Invalidate
		wantDelEr int  // L2Error("delete") count
	}{
		{name: "L1 only"},
		{name: "L1 only, capabilities and claims", caps: []string{"cp1"}, claims: `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`},
		{name: "L1 only, per-request tenant, prehashed", tenant: "99999999-2222-3333-4444-555555555555", prehash: true},
		{name: "L2 deleter", l2: "deleter", wantL2Len: 0},
		{name: "L2 deleter, capabilities, prehashed", l2: "deleter", caps: []string{"cp1"}, prehash: true, wantL2Len: 0},
		{name: "L2 delete fails", l2: "failing", wantL2Len: 1, wantDelEr: 1},
		{name: "L2 without Delete", l2: "nodelete", wantL2Len: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeEndpoint(t)
			clk := newClock()
			base := &fakeL2{m: map[string][]byte{}}
			var l2 Cache
			var del *deletingL2
			switch tc.l2 {
			case "deleter":
				del = &deletingL2{fakeL2: base}
				l2 = del
			case "failing":
				del = &deletingL2{fakeL2: base, delErr: errors.New("redis down")}
				l2 = del
			case "nodelete":
				l2 = base
			}
			mk := func(o Observer) (*Client, *tokencache.Memory) {
				l1 := tokencache.NewMemory(10, 1<<20, clk.Now)
				return newTestClient(t, f, clk, func(c *Config) {
					c.L1, c.L2, c.Observer, c.ClientCapabilities = l1, l2, o, tc.caps
				}), l1
			}
			obs := newObserver()
			c, l1 := mk(obs)
			req := Request{Assertion: jwtLike("alice"), Scopes: []string{"User.Read"}, Claims: tc.claims, TenantID: tc.tenant}
			inv := req
			if tc.prehash {
				req.AssertionSHA256 = assertionHash(req.Assertion)
			}
			t1, err := c.Token(bg, req)
			if err != nil || t1.FromCache || f.calls.Load() != 1 {
				t.Fatalf("first: %v %+v calls %d", err, t1, f.calls.Load())
			}
			t2, err := c.Token(bg, req)
			if err != nil || !t2.FromCache || t2.AccessToken != t1.AccessToken || f.calls.Load() != 1 {
				t.Fatalf("second not from L1: %v %+v", err, t2)
			}
			if tc.l2 != "" && base.len() != 1 {
				t.Fatalf("L2 holds %d entries", base.len())
			}
			c.Invalidate(bg, inv)
			if l1.Len() != 0 {
				t.Fatalf("L1 still holds %d entries", l1.Len())
			}
			if tc.l2 != "" && base.len() != tc.wantL2Len {
				t.Fatalf("L2 holds %d entries, want %d", base.len(), tc.wantL2Len)
			}
			if del != nil && del.dels != 1 {
				t.Fatalf("L2 Delete called %d times", del.dels)
			}
			if got := obs.get(obs.l2errs, "delete"); got != tc.wantDelEr {
				t.Fatalf("L2Error(delete) = %d, want %d", got, tc.wantDelEr)
			}
			// Forced refresh: never served from a level, even one that still holds the entry.
			freq := req
			freq.ForceRefresh = true
			t3, err := c.Token(bg, freq)
			if err != nil || t3.FromCache || t3.AccessToken == t1.AccessToken || f.calls.Load() != 2 {
				t.Fatalf("forced: %v %+v calls %d", err, t3, f.calls.Load())
			}
			if obs.get(obs.lookups, "miss") != 2 || obs.get(obs.lookups, "l2") != 0 {
				t.Fatalf("lookups %v", obs.lookups)
			}
			// The fresh token replaced the entry in both levels.
			t4, err := c.Token(bg, req)
			if err != nil || !t4.FromCache || t4.AccessToken != t3.AccessToken || f.calls.Load() != 2 {
				t.Fatalf("after forced: %v %+v", err, t4)
			}
			if tc.l2 != "" {
				o := newObserver()
				b, _ := mk(o)
				tb, err := b.Token(bg, req)
				if err != nil || !tb.FromCache || tb.AccessToken != t3.AccessToken || o.get(o.lookups, "l2") != 1 || f.calls.Load() != 2 {
					t.Fatalf("replica: %v %+v lookups %v", err, tb, o.lookups)
				}
			}
			// Again: a forced refresh with a live entry still asks the endpoint.
			if t5, err := c.Token(bg, freq); err != nil || t5.FromCache || t5.AccessToken == t3.AccessToken || f.calls.Load() != 3 {
				t.Fatalf("second forced: %v %+v", err, t5)
			}
		})
	}
}

// TestForceRefreshFlightAndLimits: forced refreshes share one round trip
// with each other but never with normal callers (who keep the cached
// token), a remembered Retry-After still applies, and Invalidate of a
// request Token would refuse is a no-op.
func TestForceRefreshFlightAndLimits(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, f *fakeEndpoint, c *Client, obs *countingObserver, clk *clock)
	}{
		{"forced callers merge, normal callers keep the cache", func(t *testing.T, f *fakeEndpoint, c *Client, obs *countingObserver, _ *clock) {
			req := Request{Assertion: jwtLike("alice"), Scopes: []string{"User.Read"}}
			old, err := c.Token(bg, req)
			if err != nil {
				t.Fatal(err)
			}
			gate := make(chan struct{})
			f.mu.Lock()
			f.gate = gate
			f.mu.Unlock()
			freq := req
			freq.ForceRefresh = true
			const n = 20
			var wg sync.WaitGroup
			toks := make([]*Token, n)
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() { toks[i], errs[i] = c.Token(bg, freq) })
			}
			deadline := time.Now().Add(10 * time.Second)
			merges := func() int { obs.mu.Lock(); defer obs.mu.Unlock(); return obs.merges }
			for f.calls.Load() < 2 || merges() < n-1 {
				if time.Now().After(deadline) {
					t.Fatalf("forced callers did not pile up: calls %d merges %d", f.calls.Load(), merges())
				}
				time.Sleep(time.Millisecond)
			}
			// A normal caller meanwhile is served the cached token at once.
			if tok, err := c.Token(bg, req); err != nil || !tok.FromCache || tok.AccessToken != old.AccessToken {
				t.Fatalf("normal caller during forced refresh: %v %+v", err, tok)
			}
			close(gate)
			wg.Wait()
			for i := range n {
				if errs[i] != nil || toks[i].FromCache || toks[i].AccessToken == old.AccessToken || toks[i].AccessToken != toks[0].AccessToken {
					t.Fatalf("forced caller %d: %v %+v", i, errs[i], toks[i])
				}
			}
			if got := f.calls.Load(); got != 2 {
				t.Fatalf("token requests = %d, want 2", got)
			}
		}},
		{"Retry-After applies to forced refreshes", func(t *testing.T, f *fakeEndpoint, c *Client, obs *countingObserver, clk *clock) {
			req := Request{Assertion: jwtLike("alice"), Scopes: []string{"User.Read"}, ForceRefresh: true}
			f.setHandler(func(w http.ResponseWriter, _ *http.Request, _ url.Values) {
				w.Header().Set("Retry-After", "30")
				w.WriteHeader(429)
				_, _ = w.Write([]byte(`{"error":"temporarily_unavailable"}`))
			})
			if _, err := c.Token(bg, req); KindOf(err) != KindThrottled {
				t.Fatal(err)
			}
			clk.Add(10 * time.Second)
			if _, err := c.Token(bg, req); KindOf(err) != KindThrottled || RetryAfterOf(err) != 20*time.Second || f.calls.Load() != 1 {
				t.Fatalf("%v calls %d", err, f.calls.Load())
			}
			if obs.get(obs.results, "throttled_local") != 1 {
				t.Fatal("local throttle not observed")
			}
		}},
		{"Invalidate of a refused request is a no-op", func(t *testing.T, f *fakeEndpoint, c *Client, _ *countingObserver, _ *clock) {
			req := Request{Assertion: jwtLike("alice"), Scopes: []string{"User.Read"}}
			if _, err := c.Token(bg, req); err != nil {
				t.Fatal(err)
			}
			for _, bad := range []Request{{}, {Assertion: "not-a-jwt", Scopes: req.Scopes}, {Assertion: req.Assertion}, {Assertion: req.Assertion, Scopes: req.Scopes, Claims: "{"}} {
				c.Invalidate(bg, bad)
			}
			ctx, cancel := context.WithCancel(bg)
			cancel()
			c.Invalidate(ctx, Request{Assertion: jwtLike("bob"), Scopes: req.Scopes}) // other user: not alice's entry
			if tok, err := c.Token(bg, req); err != nil || !tok.FromCache || f.calls.Load() != 1 {
				t.Fatalf("entry lost: %v %+v", err, tok)
			}
			c.Invalidate(ctx, req) // a canceled caller still drops it
			if tok, err := c.Token(bg, req); err != nil || tok.FromCache || f.calls.Load() != 2 {
				t.Fatalf("entry kept: %v %+v", err, tok)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeEndpoint(t)
			clk := newClock()
			obs := newObserver()
			c := newTestClient(t, f, clk, func(cfg *Config) { cfg.Observer = obs })
			tc.run(t, f, c, obs, clk)
		})
	}
}
