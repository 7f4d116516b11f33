package keysource

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/entragate/entragate/jwk"
)

func TestRotationNewKidAcceptedOnFirstRequest(t *testing.T) {
	ks := newKeyServer(t, "K1")
	clk := newClock()
	obs := newRecObserver()
	s := newTestSource(t, ks, clk, func(c *Config) { c.Observer = obs })
	mustKey(t, s, "K1") // first use loads the set
	if got := ks.keyHits.Load(); got != 1 {
		t.Fatalf("fetches after first Key = %d, want 1", got)
	}
	ks.setKids("K1", "K2")
	clk.Advance(time.Second)
	mustKey(t, s, "K2") // unknown kid -> merged refresh within the request
	if got := ks.keyHits.Load(); got != 2 {
		t.Fatalf("fetches = %d, want 2", got)
	}
	mustKey(t, s, "K1")
	if got := obs.get(func(o *recObserver) int { return o.unknown[UnknownKidFetched] }); got != 1 {
		t.Fatalf("unknown-kid fetched = %d, want 1", got)
	}
	if got := obs.get(func(o *recObserver) int { return o.lastKeys }); got != 2 {
		t.Fatalf("observer keys = %d, want 2", got)
	}
}

func TestRemovedKeyRefusedAfterRefresh(t *testing.T) {
	tests := []struct {
		name    string
		refresh func(t *testing.T, s *Source, clk *fakeClock)
	}{
		{"explicit Refresh", func(t *testing.T, s *Source, _ *fakeClock) {
			if err := s.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
		{"lazy refresh after interval", func(_ *testing.T, _ *Source, clk *fakeClock) {
			clk.Advance(DefaultRefreshInterval + 10*time.Minute)
		}},
		{"Run-style RefreshIfDue", func(t *testing.T, s *Source, clk *fakeClock) {
			clk.Advance(2 * DefaultRefreshInterval)
			if err := s.RefreshIfDue(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks := newKeyServer(t, "K1", "K2")
			clk := newClock()
			s := newTestSource(t, ks, clk, nil)
			mustKey(t, s, "K1")
			mustKey(t, s, "K2")
			ks.setKids("K2")
			tt.refresh(t, s, clk)
			_, err := s.Key(context.Background(), "K1", "")
			if !errors.Is(err, jwk.ErrKeyNotFound) {
				t.Fatalf("Key(K1) after removal: %v, want ErrKeyNotFound", err)
			}
			mustKey(t, s, "K2")
		})
	}
}

func TestOutageKeepsLastKnownGood(t *testing.T) {
	tests := []struct {
		name   string
		mode   mode
		result string
	}{
		{"500", mode500, ResultHTTPStatus},
		{"hang", modeHang, ResultTimeout},
		{"garbage", modeGarbage, ResultInvalid},
		{"html", modeHTML, ResultContentType},
		{"oversized", modeHuge, ResultTooLarge},
		{"empty set", modeEmpty, ResultEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks := newKeyServer(t, "K1")
			clk := newClock()
			obs := newRecObserver()
			s := newTestSource(t, ks, clk, func(c *Config) {
				c.Observer = obs
				c.RefreshInterval = 10 * time.Minute
			})
			mustKey(t, s, "K1")
			ks.setMode(tt.mode)
			// Real time: bounds the hanging handler. Set only for the outage
			// (no fetch is in flight here), so a slow CI machine cannot make
			// the healthy fetches time out.
			s.cfg.FetchTimeout = 30 * time.Millisecond
			start := ks.keyHits.Load()
			for elapsed := time.Duration(0); elapsed <= time.Hour; elapsed += 30 * time.Second {
				clk.Advance(30 * time.Second)
				mustKey(t, s, "K1")
			}
			attempts := ks.keyHits.Load() - start
			if attempts < 3 || attempts > 40 {
				t.Fatalf("attempts during a 1h outage = %d, want a bounded backoff (3..40)", attempts)
			}
			st := s.Status()
			if !st.Loaded || !st.Stale || st.LastError == "" || st.ConsecutiveFailures == 0 {
				t.Fatalf("status during outage = %+v", st)
			}
			if got := obs.get(func(o *recObserver) int { return o.fetches[WhatKeys+"/"+tt.result] }); got == 0 {
				t.Fatalf("observer saw no %q fetch: %v", tt.result, obs.fetches)
			}
			// Recovery with a rotated set.
			ks.setKids("K1", "K2")
			ks.setMode(modeOK)
			s.mu.Lock()
			for s.inflight != nil { // let a timed-out fetch finish before changing the timeout
				c := s.inflight
				s.mu.Unlock()
				<-c.done
				s.mu.Lock()
			}
			s.cfg.FetchTimeout = 2 * time.Second
			s.mu.Unlock()
			clk.Advance(DefaultRetryMax)
			mustKey(t, s, "K1") // lazy refresh is due
			mustKey(t, s, "K2")
			st = s.Status()
			if !st.Loaded || st.Stale || st.LastError != "" || st.Keys != 2 {
				t.Fatalf("status after recovery = %+v", st)
			}
		})
	}
}

func TestMaxStaleFailsClosed(t *testing.T) {
	ks := newKeyServer(t, "K1")
	clk := newClock()
	s := newTestSource(t, ks, clk, func(c *Config) { c.MaxStale = 2 * time.Hour })
	mustKey(t, s, "K1")
	ks.setMode(mode500)
	for range 12 {
		clk.Advance(10 * time.Minute)
		_, _ = s.Key(context.Background(), "K1", "")
	}
	clk.Advance(time.Minute)
	_, err := s.Key(context.Background(), "K1", "")
	if !errors.Is(err, jwk.ErrKeySetUnavailable) {
		t.Fatalf("Key past MaxStale: %v, want ErrKeySetUnavailable", err)
	}
	if st := s.Status(); st.Loaded || !st.Expired {
		t.Fatalf("status past MaxStale = %+v", st)
	}
}

func TestFloodOfUnknownKids(t *testing.T) {
	ks := newKeyServer(t, "K1")
	clk := newClock()
	obs := newRecObserver()
	s := newTestSource(t, ks, clk, func(c *Config) { c.Observer = obs })
	mustKey(t, s, "K1")
	before := ks.keyHits.Load()
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		clk.Advance(6 * time.Millisecond) // 10,000 calls within one fake minute
		kid := fmt.Sprintf("attacker-%d", r.Uint64())
		if _, err := s.Key(context.Background(), kid, ""); !errors.Is(err, jwk.ErrKeyNotFound) {
			t.Fatalf("Key(random): %v", err)
		}
	}
	if got := ks.keyHits.Load() - before; got > 1 {
		t.Fatalf("fetches during flood = %d, want <= 1", got)
	}
	if got := obs.get(func(o *recObserver) int { return o.unknown[UnknownKidRateLimited] }); got < 9990 {
		t.Fatalf("rate-limited count = %d", got)
	}
	mustKey(t, s, "K1")
}

func TestConcurrentNewKidOneFetch(t *testing.T) {
	ks := newKeyServer(t, "K1")
	clk := newClock()
	s := newTestSource(t, ks, clk, nil)
	mustKey(t, s, "K1")
	ks.setKids("K1", "K2")
	before := ks.keyHits.Load()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, 500)
	for range 500 {
		wg.Go(func() {
			<-start
			k, err := s.Key(context.Background(), "K2", "")
			if err == nil && k.Kid != "K2" {
				err = fmt.Errorf("got kid %q", k.Kid)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Key(K2): %v", err)
	}
	if got := ks.keyHits.Load() - before; got != 1 {
		t.Fatalf("fetches = %d, want exactly 1", got)
	}
}

func TestStartupWithServerDown(t *testing.T) {
	ks := newKeyServer(t, "K1")
	ks.setMode(mode500)
	clk := newClock()
	s := newTestSource(t, ks, clk, nil)
	_, err := s.Key(context.Background(), "K1", "")
	var kerr *Error
	if !errors.Is(err, jwk.ErrKeySetUnavailable) || !errors.As(err, &kerr) || kerr.RetryAfter <= 0 {
		t.Fatalf("Key with server down: %v, want ErrKeySetUnavailable with RetryAfter", err)
	}
	var ferr *FetchError
	if !errors.As(err, &ferr) || ferr.Status != 500 || !errors.Is(err, ErrHTTPStatus) {
		t.Fatalf("cause = %v", err)
	}
	hits := ks.keyHits.Load()
	// Within the backoff: refused at once, no fetch.
	if _, err := s.Key(context.Background(), "K1", ""); !errors.Is(err, jwk.ErrKeySetUnavailable) {
		t.Fatalf("second Key: %v", err)
	}
	if ks.keyHits.Load() != hits {
		t.Fatal("fetched again inside the backoff window")
	}
	if st := s.Status(); st.Loaded || st.Stale || st.Expired || st.LastError == "" {
		t.Fatalf("status = %+v", st)
	}
	ks.setMode(modeOK)
	clk.Advance(kerr.RetryAfter)
	mustKey(t, s, "K1")
	if st := s.Status(); !st.Loaded || st.Stale {
		t.Fatalf("status after start = %+v", st)
	}
}

func TestNegativeCacheAndRateLimit(t *testing.T) {
	ks := newKeyServer(t, "K1")
	clk := newClock()
	obs := newRecObserver()
	s := newTestSource(t, ks, clk, func(c *Config) { c.Observer = obs })
	mustKey(t, s, "K1")
	hits := func() int64 { return ks.keyHits.Load() }
	steps := []struct {
		advance   time.Duration
		wantFetch bool
		wantNeg   int
	}{
		{0, true, 0},                         // unknown: one refresh, then negative-cached
		{time.Second, false, 1},              // negative cache hit
		{DefaultNegativeTTL, false, 1},       // negative expired, still rate limited
		{DefaultUnknownKidInterval, true, 1}, // rate limit over: one more refresh
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		before := hits()
		if _, err := s.Key(context.Background(), "X", ""); !errors.Is(err, jwk.ErrKeyNotFound) {
			t.Fatalf("step %d: %v", i, err)
		}
		if fetched := hits() > before; fetched != st.wantFetch {
			t.Fatalf("step %d: fetched=%v, want %v", i, fetched, st.wantFetch)
		}
		if got := obs.get(func(o *recObserver) int { return o.negHits }); got != st.wantNeg {
			t.Fatalf("step %d: negative hits %d, want %d", i, got, st.wantNeg)
		}
	}
}

func TestNegativeCacheBounded(t *testing.T) {
	c := newNegCache(4)
	now := time.Unix(1000, 0)
	for i := range 100 {
		c.add(fmt.Sprint(i), now.Add(time.Minute), now)
		if c.len() > 4 {
			t.Fatalf("negative cache grew to %d", c.len())
		}
	}
	if !c.has("99", now) || c.has("99", now.Add(time.Minute)) {
		t.Fatal("expiry not honoured")
	}
}

func TestKeyRefusesWithoutFetch(t *testing.T) {
	ks := newKeyServer(t, "K1")
	s := newTestSource(t, ks, newClock(), nil)
	for _, tc := range []struct{ kid, x5t string }{
		{"", ""},
		{string(make([]byte, maxIDLen+1)), ""},
		{"", string(make([]byte, maxIDLen+1))},
	} {
		if _, err := s.Key(context.Background(), tc.kid, tc.x5t); !errors.Is(err, jwk.ErrKeyNotFound) {
			t.Fatalf("Key(%d bytes, %d bytes): %v", len(tc.kid), len(tc.x5t), err)
		}
	}
	if ks.keyHits.Load() != 0 {
		t.Fatal("fetched for a key id that needs none")
	}
}

func TestWaiterHonoursOwnContext(t *testing.T) {
	ks := newKeyServer(t, "K1")
	ks.setMode(modeHang)
	clk := newClock()
	s := newTestSource(t, ks, clk, func(c *Config) { c.FetchTimeout = 5 * time.Second })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Key(ctx, "K1", "")
	if !errors.Is(err, jwk.ErrKeySetUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Key with cancelled ctx: %v", err)
	}
	// The fetch goes on for others; releasing the server lets it finish.
	ks.setMode(modeOK)
}

// stuckDoer ignores its context and never answers until released.
type stuckDoer struct{ release chan struct{} }

func (d stuckDoer) Do(r *http.Request) (*http.Response, error) {
	<-d.release
	return nil, errors.New("released")
}

func TestDoerIgnoringContextDoesNotWedge(t *testing.T) {
	d := stuckDoer{release: make(chan struct{})}
	defer close(d.release)
	clk := newClock()
	s, err := New(Config{JWKSURL: "https://keys.example/k", Doer: d, Now: clk.Now,
		FetchTimeout: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Key(context.Background(), "K1", "")
	if !errors.Is(err, jwk.ErrKeySetUnavailable) || !errors.Is(err, ErrFetchStuck) {
		t.Fatalf("Key: %v, want unavailable/ErrFetchStuck", err)
	}
	// By the clock the fetch is overdue: a new attempt starts instead of
	// joining the wedged one.
	clk.Advance(time.Minute)
	s.mu.Lock()
	c1 := s.inflight
	c2 := s.startLocked(context.Background())
	s.mu.Unlock()
	if c1 == c2 {
		t.Fatal("joined an overdue fetch")
	}
}

// Source satisfies validate.Keys (checked structurally, so this package's
// tests do not depend on validate being mid-edit).
var _ interface {
	Key(ctx context.Context, kid, x5t string) (*jwk.Key, error)
} = (*Source)(nil)

func TestLazyRefreshDoesNotHoldKnownKey(t *testing.T) {
	ks := newKeyServer(t, "K1")
	clk := newClock()
	s := newTestSource(t, ks, clk, func(c *Config) { c.FetchTimeout = 5 * time.Second })
	mustKey(t, s, "K1")
	ks.setMode(modeHang)
	s.lazyWait = 10 * time.Millisecond
	clk.Advance(2 * DefaultRefreshInterval)
	mustKey(t, s, "K1") // served from the current set while the fetch hangs
	mustKey(t, s, "K1") // the fetch in flight is not waited for again
	if got := ks.keyHits.Load(); got != 2 {
		t.Fatalf("fetches = %d, want 2", got)
	}
}

func TestUnknownKidWithCancelledWaitIsUnavailable(t *testing.T) {
	ks := newKeyServer(t, "K1")
	clk := newClock()
	s := newTestSource(t, ks, clk, func(c *Config) { c.FetchTimeout = 5 * time.Second })
	mustKey(t, s, "K1")
	ks.setMode(modeHang)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := s.Key(ctx, "K2", "")
	if !errors.Is(err, jwk.ErrKeySetUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Key: %v, want unavailable (refresh incomplete)", err)
	}
	if st := s.Status(); st.NegativeEntries != 0 {
		t.Fatal("negative-cached a kid whose refresh never completed")
	}
}

func TestMaxStaleShorterThanIntervalRefetches(t *testing.T) {
	ks := newKeyServer(t, "K1")
	clk := newClock()
	s := newTestSource(t, ks, clk, func(c *Config) { c.MaxStale = 30 * time.Minute })
	mustKey(t, s, "K1")
	s.mu.Lock()
	s.running++ // as if Run were active: no lazy refresh, only the expiry path can fetch
	s.mu.Unlock()
	clk.Advance(40 * time.Minute)
	mustKey(t, s, "K1")
	if got := ks.keyHits.Load(); got < 2 {
		t.Fatalf("fetches = %d: an expired set was not refetched", got)
	}
}
