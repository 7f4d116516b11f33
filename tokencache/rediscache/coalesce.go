package rediscache

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/redis/go-redis/v9"
)

// Request coalescing (auto-pipelining) for Get.
//
// A Get that finds no round trip in flight (the leader) sends its own GET at
// once, on its own goroutine and ctx: an idle cache costs what a plain GET
// does. A Get that finds one in flight queues its (hashed) key and waits.
// When the leader's round trip ends and Gets are queued, it starts one
// flush goroutine; that goroutine takes up to maxBatch queued keys,
// sends them as one pipeline of GETs (identical keys once), hands each
// caller its own sealed value or error, and repeats while the queue is not
// empty; then it exits. Under load one connection carries one round trip
// at a time with many GETs in it, instead of one connection, syscall pair and
// wake-up per Get.
//
// Queued round trips run on the flush goroutine, not on a caller's, so
// every queued caller keeps its own deadline: a caller whose ctx or op
// timeout ends returns at once and its result, if it comes later, is
// dropped. The round
// trip's deadline is the latest deadline of the callers in it (so at most
// the op timeout). The breaker sees one success or one failure per round
// trip. The goroutine lives only while Gets are queued or in flight; Close
// fails queued Gets and waits for it.
const (
	maxBatch = 128           // GETs per round trip
	maxQueue = 16 * maxBatch // queued Gets beyond this fail at once
)

var (
	errClosed    = fmt.Errorf("%w: cache closed", ErrUnavailable)
	errQueueFull = fmt.Errorf("%w: get: too many queued gets", ErrUnavailable)
)

// getCall is one waiting Get. The flusher writes hit/val/err, then closes
// done; the caller reads them only after done.
type getCall struct {
	rkey     string
	deadline time.Time
	done     chan struct{}
	gone     atomic.Bool // the caller stopped waiting
	hit      bool
	val      []byte // sealed value, shared read-only by callers of one key
	err      error
}

type coalescer struct {
	c        *Cache
	mu       sync.Mutex
	queue    []*getCall
	flushing bool
	closed   bool
	wg       sync.WaitGroup

	roundTrips atomic.Int64 // pipelines sent (tests)
	sentGets   atomic.Int64 // GET commands sent, after de-duplication (tests)
}

// get returns the sealed value stored under rkey (nil, nil for a miss).
// ctx carries a deadline (Get's op timeout).
func (co *coalescer) get(ctx context.Context, rkey string) ([]byte, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(co.c.opTimeout)
	}
	call := &getCall{rkey: rkey, deadline: dl, done: make(chan struct{})}
	co.mu.Lock()
	switch {
	case co.closed:
		co.mu.Unlock()
		return nil, errClosed
	case len(co.queue) >= maxQueue:
		co.mu.Unlock()
		return nil, errQueueFull
	}
	if !co.flushing {
		// Nothing in flight: this caller leads, sending its own GET now
		// with its own ctx; Gets that arrive meanwhile queue for the next
		// round trip, which a flush goroutine sends.
		co.flushing = true
		co.wg.Add(1)
		co.mu.Unlock()
		co.roundTrip(ctx, []*getCall{call})
		co.mu.Lock()
		if len(co.queue) > 0 && !co.closed {
			co.wg.Add(1)
			go co.flush()
		} else {
			co.flushing = false
		}
		co.mu.Unlock()
		co.wg.Done()
		select {
		case <-call.done:
			return call.val, call.err
		default: // deadline passed before the send
			return nil, fmt.Errorf("%w: get: %s", ErrUnavailable, safeErr(context.DeadlineExceeded))
		}
	}
	co.queue = append(co.queue, call) // the round trip in flight starts a flusher when it ends
	co.mu.Unlock()
	select {
	case <-call.done:
		return call.val, call.err
	case <-ctx.Done():
		call.gone.Store(true)
		return nil, fmt.Errorf("%w: get: %s", ErrUnavailable, safeErr(ctx.Err()))
	}
}

// flush sends queued Gets, one batch per round trip, until the queue is
// empty or the cache is closed.
func (co *coalescer) flush() {
	defer co.wg.Done()
	batch := make([]*getCall, 0, maxBatch)
	lingered := false
	for {
		co.mu.Lock()
		if len(co.queue) == 0 && !co.closed && !lingered {
			// The callers just answered are likely to ask again: let them
			// run once before giving up the flusher role, so that load
			// keeps one flusher instead of alternating with lone leaders.
			co.mu.Unlock()
			lingered = true
			runtime.Gosched()
			continue
		}
		if len(co.queue) == 0 || co.closed {
			co.flushing = false
			co.mu.Unlock()
			return
		}
		lingered = false
		n := min(len(co.queue), maxBatch)
		batch = append(batch[:0], co.queue[:n]...)
		rest := copy(co.queue, co.queue[n:])
		clear(co.queue[rest:])
		co.queue = co.queue[:rest]
		co.mu.Unlock()
		co.roundTrip(nil, batch)
		clear(batch)
	}
}

// roundTrip sends one batch as a pipeline and delivers every result. ctx,
// if not nil, is the single caller's own (leader); otherwise the round trip
// is bounded by the latest deadline in the batch.
func (co *coalescer) roundTrip(ctx context.Context, batch []*getCall) {
	c := co.c
	now := time.Now()
	live := batch[:0]
	var dl time.Time
	for _, call := range batch {
		// A caller past its deadline returns on its own: skip it.
		if call.gone.Load() || !now.Before(call.deadline) {
			continue
		}
		live = append(live, call)
		if call.deadline.After(dl) {
			dl = call.deadline
		}
	}
	if len(live) == 0 {
		return
	}
	if err := c.br.allow(c.now()); err != nil {
		for _, call := range live {
			call.err = err
			close(call.done)
		}
		return
	}
	if ctx == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(context.Background(), dl)
		defer cancel()
	}
	pipe := c.rdb.Pipeline()
	slot := make([]int, len(live))
	cmds := make([]*redis.StringCmd, 0, len(live))
	idx := make(map[string]int, len(live))
	for i, call := range live {
		j, ok := idx[call.rkey]
		if !ok {
			j = len(cmds)
			idx[call.rkey] = j
			cmds = append(cmds, pipe.Get(ctx, call.rkey))
		}
		slot[i] = j
	}
	_, execErr := pipe.Exec(ctx)
	co.roundTrips.Add(1)
	co.sentGets.Add(int64(len(cmds)))

	type result struct {
		hit bool
		val []byte
		err error
	}
	res := make([]result, len(cmds))
	var firstErr error
	for j, cmd := range cmds {
		v, err := cmd.Result()
		switch {
		case err == nil:
			// No copy: the string is never modified, and the value is
			// only read (Sealer.Open) by the callers of this key.
			res[j] = result{hit: true, val: unsafe.Slice(unsafe.StringData(v), len(v))}
		case errors.Is(err, redis.Nil):
		default:
			res[j].err = err
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if firstErr == nil && execErr != nil && !errors.Is(execErr, redis.Nil) {
		// The pipeline failed without marking its commands (e.g. a hook).
		firstErr = execErr
		for j := range res {
			res[j] = result{err: execErr}
		}
	}
	// One round trip, one verdict for the breaker.
	if firstErr != nil {
		_ = c.failed("get", firstErr)
	} else {
		c.br.success()
	}
	wrapped := make(map[error]error, 1)
	for i, call := range live {
		r := res[slot[i]]
		if r.err != nil {
			w, ok := wrapped[r.err]
			if !ok {
				w = fmt.Errorf("%w: get: %s", ErrUnavailable, safeErr(r.err))
				wrapped[r.err] = w
			}
			call.err = w
		} else if r.hit {
			call.hit, call.val = true, r.val
		}
		close(call.done)
	}
}

// close fails queued Gets, stops new ones and waits for the flusher.
func (co *coalescer) close() {
	co.mu.Lock()
	co.closed = true
	q := co.queue
	co.queue = nil
	co.mu.Unlock()
	for _, call := range q {
		call.err = errClosed
		close(call.done)
	}
	co.wg.Wait()
}
