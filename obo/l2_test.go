package obo

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/entragate/entragate/tokencache"
)

// fakeL2 is a map-backed L2 that can fail or hang.
type fakeL2 struct {
	mu   sync.Mutex
	m    map[string][]byte
	fail error
	hang bool
}

func (f *fakeL2) Get(ctx context.Context, key string) ([]byte, bool, error) {
	f.mu.Lock()
	fail, hang := f.fail, f.hang
	v, ok := f.m[key]
	f.mu.Unlock()
	if hang {
		<-ctx.Done()
		return nil, false, ctx.Err()
	}
	return v, ok, fail
}

func (f *fakeL2) Set(ctx context.Context, key string, v []byte, _ time.Time) error {
	f.mu.Lock()
	fail, hang := f.fail, f.hang
	f.mu.Unlock()
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	if fail != nil {
		return fail
	}
	f.mu.Lock()
	f.m[key] = bytes.Clone(v)
	f.mu.Unlock()
	return nil
}

func TestL2(t *testing.T) {
	f := newFakeEndpoint(t)
	clk := newClock()
	l2 := &fakeL2{m: map[string][]byte{}}
	obsA, obsB := newObserver(), newObserver()
	mk := func(o Observer) *Client {
		return newTestClient(t, f, clk, func(c *Config) {
			c.L2, c.Observer, c.L1 = l2, o, tokencache.NewMemory(10, 1<<20, clk.Now)
			c.L2Timeout = 30 * time.Millisecond
		})
	}
	a, b := mk(obsA), mk(obsB)
	req := Request{Assertion: jwtLike("alice"), Scopes: []string{"User.Read"}}
	ta, err := a.Token(bg, req)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.Token(bg, req)
	if err != nil || tb.AccessToken != ta.AccessToken || f.calls.Load() != 1 || obsB.get(obsB.lookups, "l2") != 1 {
		t.Fatalf("replica b did not use L2: %v", err)
	}
	if _, _ = b.Token(bg, req); obsB.get(obsB.lookups, "l1") != 1 {
		t.Fatal("L2 hit did not fill L1")
	}
	// L2 entry inside the margin is not served.
	clk.Add(56 * time.Minute)
	c := mk(newObserver())
	if tc, _ := c.Token(bg, req); tc.AccessToken == ta.AccessToken || f.calls.Load() != 2 {
		t.Fatal("served an L2 token inside the margin")
	}
	// Failing and hanging L2: requests still succeed.
	for _, mode := range []string{"fail", "hang"} {
		l2.mu.Lock()
		l2.fail, l2.hang = nil, false
		if mode == "fail" {
			l2.fail = errors.New("redis down")
		} else {
			l2.hang = true
		}
		l2.mu.Unlock()
		o := newObserver()
		d := mk(o)
		start := time.Now()
		if _, err := d.Token(bg, Request{Assertion: jwtLike("bob-" + mode), Scopes: []string{"User.Read"}}); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if time.Since(start) > 2*time.Second || o.get(o.l2errs, "get") != 1 || o.get(o.l2errs, "set") != 1 {
			t.Fatalf("%s: l2 errors %v", mode, o.l2errs)
		}
	}
	// Corrupt L2 value: counted, ignored.
	l2.mu.Lock()
	l2.fail, l2.hang = nil, false
	for k := range l2.m {
		l2.m[k] = []byte("garbage")
	}
	l2.mu.Unlock()
	o := newObserver()
	if _, err := mk(o).Token(bg, req); err != nil || o.get(o.l2errs, "decode") != 1 {
		t.Fatalf("corrupt L2: %v %v", err, o.l2errs)
	}
}
