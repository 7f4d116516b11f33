package obo

import (
	"sync"
	"time"
)

// flight merges concurrent identical misses without starting goroutines:
// the first caller (leader) does the work on an uncancellable context; the
// others wait on done with their own context.
type flight struct {
	mu sync.Mutex
	m  map[string]*call
}

type call struct {
	done chan struct{}
	tok  *Token
	err  error
}

// join returns the call for key and whether the caller leads it.
func (f *flight) join(key string) (*call, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.m[key]; ok {
		return c, false
	}
	c := &call{done: make(chan struct{})}
	f.m[key] = c
	return c, true
}

// finish publishes the leader's result and releases the waiters.
func (f *flight) finish(key string, c *call, tok *Token, err error) {
	c.tok, c.err = tok, err
	f.mu.Lock()
	delete(f.m, key)
	f.mu.Unlock()
	close(c.done)
}

// throttle remembers Retry-After per cache key (bounded).
type throttle struct {
	mu sync.Mutex
	m  map[string]time.Time
	te map[string]*TokenError
}

// check returns a copy of the throttling error with the remaining wait, or nil.
func (t *throttle) check(key string, now time.Time) *TokenError {
	t.mu.Lock()
	defer t.mu.Unlock()
	until, ok := t.m[key]
	if !ok {
		return nil
	}
	if !now.Before(until) {
		delete(t.m, key)
		delete(t.te, key)
		return nil
	}
	cp := *t.te[key]
	cp.ErrorCodes = append([]int(nil), cp.ErrorCodes...)
	cp.RetryAfter = until.Sub(now)
	return &cp
}

func (t *throttle) set(key string, te *TokenError, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.te == nil {
		t.te = make(map[string]*TokenError)
	}
	if len(t.m) >= maxThrottleEntries {
		for k, u := range t.m {
			if !now.Before(u) {
				delete(t.m, k)
				delete(t.te, k)
			}
		}
		for k := range t.m { // still full: drop arbitrary entries
			if len(t.m) < maxThrottleEntries {
				break
			}
			delete(t.m, k)
			delete(t.te, k)
		}
	}
	cp := *te
	t.m[key] = now.Add(te.RetryAfter)
	t.te[key] = &cp
}

// rateLog lets one line through per interval and counts the rest.
type rateLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether to log now, and how many were suppressed before.
func (r *rateLog) allow(now time.Time, every time.Duration) (bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.last.IsZero() && now.Sub(r.last) < every {
		r.suppressed++
		return false, 0
	}
	n := r.suppressed
	r.last, r.suppressed = now, 0
	return true, n
}
