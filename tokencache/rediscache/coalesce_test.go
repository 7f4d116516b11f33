package rediscache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// pipeHook counts the round trips a client makes and can hold or fail them.
type pipeHook struct {
	pipelines atomic.Int64 // pipelines started (one round trip each)
	singles   atomic.Int64 // single commands (Set, Ping)
	entered   chan int     // pipeline number, when it starts (never blocks)
	mu        sync.Mutex
	holds     map[int]chan struct{} // pipeline n waits for holds[n]
	fail      error                 // every pipeline fails with it
}

func (h *pipeHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *pipeHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.singles.Add(1)
		return next(ctx, cmd)
	}
}
func (h *pipeHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		n := int(h.pipelines.Add(1)) - 1
		select {
		case h.entered <- n: // (if someone listens or there is room)
		default:
		}
		h.mu.Lock()
		hold, fail := h.holds[n], h.fail
		h.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if fail != nil {
			for _, c := range cmds {
				c.SetErr(fail)
			}
			return fail
		}
		return next(ctx, cmds)
	}
}

func (h *pipeHook) hold(n int) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.holds == nil {
		h.holds = map[int]chan struct{}{}
	}
	ch := make(chan struct{})
	h.holds[n] = ch
	return ch
}

// hookedCache is a Cache over a client (closed at cleanup) carrying h.
func hookedCache(t *testing.T, srv *redisServer, h *pipeHook, o Options) *Cache {
	t.Helper()
	rc := srv.client()
	rc.AddHook(h)
	t.Cleanup(func() { _ = rc.Close() })
	o.Client, o.Sealer = rc, sealer(t, "k1", "k1")
	if o.OpTimeout == 0 {
		o.OpTimeout = 5 * time.Second
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func queued(c *Cache) int {
	c.co.mu.Lock()
	defer c.co.mu.Unlock()
	return len(c.co.queue)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func value(i int) []byte {
	return []byte(fmt.Sprintf("token-%d-", i) + string(bytes.Repeat([]byte{'x'}, 100)))
}

// Gets that arrive while a round trip is in flight go out together in the
// next one, identical keys once, each caller with its own value.
func TestCoalescing(t *testing.T) {
	srv := startRedis(t)
	h := &pipeHook{entered: make(chan int, 1)}
	c := hookedCache(t, srv, h, Options{})
	for i := range 10 {
		if err := c.Set(bg, fmt.Sprint("key", i), value(i), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	hold := h.hold(0)
	leader := make(chan error, 1)
	go func() {
		v, ok, err := c.Get(bg, "key0")
		if err == nil && (!ok || !bytes.Equal(v, value(0))) {
			err = errors.New("leader: wrong value")
		}
		leader <- err
	}()
	<-h.entered // the leader's round trip is in flight
	const n = 60
	errs := make(chan error, n)
	for i := range n {
		go func() {
			k := i % 12 // key10, key11: misses
			v, ok, err := c.Get(bg, fmt.Sprint("key", k))
			switch {
			case err != nil:
			case k >= 10 && ok:
				err = fmt.Errorf("key%d: hit on a missing key", k)
			case k < 10 && (!ok || !bytes.Equal(v, value(k))):
				err = fmt.Errorf("key%d: ok=%v %q", k, ok, v)
			}
			errs <- err
		}()
	}
	waitFor(t, "60 queued gets", func() bool { return queued(c) == n })
	close(hold)
	if err := <-leader; err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The leader's GET, then one pipeline with the 12 distinct keys.
	if p, g := h.pipelines.Load(), c.co.sentGets.Load(); p != 2 || g != 1+12 {
		t.Fatalf("round trips %d, GETs sent %d; want 2 and 13", p, g)
	}

	// Closed loop, 50 callers: far fewer round trips than Gets.
	before := h.pipelines.Load()
	const workers, per = 50, 100
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				k := (w*per + i) % 10
				if v, ok, err := c.Get(bg, fmt.Sprint("key", k)); err != nil || !ok || !bytes.Equal(v, value(k)) {
					t.Errorf("get key%d: %v %v", k, ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
	trips := h.pipelines.Load() - before
	t.Logf("%d gets in %d round trips", workers*per, trips)
	if trips*4 > workers*per {
		t.Fatalf("%d gets took %d round trips: not coalesced", workers*per, trips)
	}
}

// A caller whose deadline passes inside a batch returns at once; the others
// in the batch get their values; one left in the queue is not sent.
func TestPerCallerTimeoutInBatch(t *testing.T) {
	srv := startRedis(t)
	h := &pipeHook{entered: make(chan int, 8)}
	c := hookedCache(t, srv, h, Options{})
	for i := range 3 {
		if err := c.Set(bg, fmt.Sprint("key", i), value(i), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	hold0, hold1 := h.hold(0), h.hold(1)
	leader := make(chan error, 1)
	go func() { _, _, err := c.Get(bg, "key0"); leader <- err }()
	<-h.entered
	type res struct {
		ok  bool
		err error
		d   time.Duration
	}
	get := func(ctx context.Context, key string) chan res {
		ch := make(chan res, 1)
		go func() {
			start := time.Now()
			_, ok, err := c.Get(ctx, key)
			ch <- res{ok, err, time.Since(start)}
		}()
		return ch
	}
	// Gone before its batch is sent: returns at its deadline, never sent.
	ctxGone, cancel := context.WithTimeout(bg, 30*time.Millisecond)
	defer cancel()
	gone := get(ctxGone, "key2")
	waitFor(t, "queued", func() bool { return queued(c) == 1 })
	if r := <-gone; !errors.Is(r.err, ErrUnavailable) || r.d > time.Second {
		t.Fatalf("queued caller past its deadline: %v after %v", r.err, r.d)
	}
	short, cancel2 := context.WithTimeout(bg, 150*time.Millisecond)
	defer cancel2()
	a := get(short, "key1")
	b := get(bg, "key2")
	waitFor(t, "queued", func() bool { return queued(c) == 3 })
	close(hold0) // the leader answers; the batch {key1, key2} is sent and held
	if err := <-leader; err != nil {
		t.Fatal(err)
	}
	if n := <-h.entered; n != 1 {
		t.Fatalf("pipeline %d", n)
	}
	if r := <-a; !errors.Is(r.err, ErrUnavailable) || r.d > time.Second {
		t.Fatalf("caller past its deadline inside a batch: %v after %v", r.err, r.d)
	}
	select {
	case r := <-b:
		t.Fatalf("the other caller did not wait for the batch: %+v", r)
	default:
	}
	close(hold1)
	if r := <-b; r.err != nil || !r.ok {
		t.Fatalf("other caller in the batch: %+v", r)
	}
	// key1 and key2 once each: the expired key2 caller was dropped, not sent.
	if g := c.co.sentGets.Load(); g != 1+2 {
		t.Fatalf("GETs sent %d", g)
	}
	if st := c.Status(); st.ConsecutiveFailures != 0 {
		t.Fatalf("a caller's own deadline counted as a Redis failure: %+v", st)
	}
}

// A failed batch is one failure for the breaker, however many callers; each
// caller gets the error; once open, Gets fail fast.
func TestBreakerCountsBatchOnce(t *testing.T) {
	srv := startRedis(t)
	h := &pipeHook{entered: make(chan int, 8), fail: errors.New("boom")}
	c := hookedCache(t, srv, h, Options{FailureThreshold: 3, Cooldown: time.Minute})
	hold := h.hold(0)
	leader := make(chan error, 1)
	go func() { _, _, err := c.Get(bg, "k"); leader <- err }()
	<-h.entered
	const n = 40
	errs := make(chan error, n)
	for i := range n {
		go func() { _, _, err := c.Get(bg, fmt.Sprint("key", i)); errs <- err }()
	}
	waitFor(t, "queued", func() bool { return queued(c) == n })
	close(hold)
	for range n + 1 {
		var err error
		select {
		case err = <-leader:
		case err = <-errs:
		}
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBreakerOpen) {
			t.Fatalf("caller in a failed batch: %v", err)
		}
	}
	if st := c.Status(); st.Open || st.ConsecutiveFailures != 2 || h.pipelines.Load() != 2 {
		t.Fatalf("41 callers in 2 failed round trips: %+v, %d pipelines", st, h.pipelines.Load())
	}
	if _, _, err := c.Get(bg, "k"); errors.Is(err, ErrBreakerOpen) || !c.Status().Open {
		t.Fatalf("third failure: %v", err)
	}
	start := time.Now()
	if _, _, err := c.Get(bg, "k"); !errors.Is(err, ErrBreakerOpen) || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("open breaker: %v", err)
	}
	if h.pipelines.Load() != 3 {
		t.Fatalf("open breaker sent a round trip")
	}
}

// Close fails queued Gets at once, waits for the round trip in flight, and
// leaves no goroutine behind; later Gets fail.
func TestCloseStopsEverything(t *testing.T) {
	srv := startRedis(t)
	h := &pipeHook{entered: make(chan int, 8)}
	c := hookedCache(t, srv, h, Options{})
	hold := h.hold(0)
	leader := make(chan error, 1)
	go func() { _, _, err := c.Get(bg, "k"); leader <- err }()
	<-h.entered
	errs := make(chan error, 10)
	for range 10 {
		go func() { _, _, err := c.Get(bg, "k"); errs <- err }()
	}
	waitFor(t, "queued", func() bool { return queued(c) == 10 })
	closed := make(chan struct{})
	go func() { _ = c.Close(); close(closed) }()
	for range 10 {
		if err := <-errs; !errors.Is(err, ErrUnavailable) {
			t.Fatalf("queued get at Close: %v", err)
		}
	}
	select {
	case <-closed:
		t.Fatal("Close did not wait for the round trip in flight")
	case <-time.After(20 * time.Millisecond):
	}
	close(hold)
	<-closed
	if err := <-leader; err != nil {
		t.Fatalf("round trip in flight at Close: %v", err)
	}
	if _, _, err := c.Get(bg, "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("get after Close: %v", err)
	}
}

// Under load then Close, with the cache's own client: goroutines return to
// where they were.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	srv := startRedis(t)
	runtime.GC()
	base := runtime.NumGoroutine()
	c, err := New(Options{URL: srv.url(), Sealer: sealer(t, "k1", "k1"), OpTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set(bg, "k", []byte("v"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := c.Get(bg, "k"); err != nil {
					return // closed
				}
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	if c.co.roundTrips.Load() == 0 {
		t.Fatal("no round trip")
	}
	_ = c.Close() // while Gets are running
	close(stop)
	wg.Wait()
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= base })
	if _, _, err := c.Get(bg, "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("get after Close: %v", err)
	}
}

// A Redis that never answers: the queued callers each return at their own
// deadline, and the breaker opens.
func TestSlowRedisQueuedCallers(t *testing.T) {
	addr := blackHoleRedis(t)
	c, err := New(Options{URL: "redis://" + addr, Sealer: sealer(t, "k1", "k1"), OpTimeout: 50 * time.Millisecond, FailureThreshold: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			start := time.Now()
			if _, _, err := c.Get(bg, fmt.Sprint("k", i)); !errors.Is(err, ErrUnavailable) {
				t.Errorf("%d: %v", i, err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("%d took %v", i, d)
			}
		})
	}
	wg.Wait()
	waitFor(t, "breaker", func() bool { return c.Status().ConsecutiveFailures >= 1 })
}
