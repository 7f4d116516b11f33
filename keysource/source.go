package keysource

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/entragate/entragate/jwk"
)

// Source holds one authority's signing keys. It implements validate.Keys.
// Create it with New; it is safe for concurrent use.
type Source struct {
	cfg  Config
	obs  Observer
	desc string // redacted configured location, for logs and Status

	// sleep waits d or until ctx is done (false); a test hook for Run.
	sleep func(ctx context.Context, d time.Duration) bool
	// lazyWait bounds how long a request holding a known key waits for a
	// lazy scheduled refresh (real time; defaultLazyWait).
	lazyWait time.Duration

	mu          sync.Mutex
	set         *jwk.Set  // current set; nil until the first success
	fetchedAt   time.Time // time of the last successful refresh
	jwksURI     string    // jwks_uri from the last good metadata
	nextRefresh time.Time // next scheduled or backoff attempt (zero: now)
	failures    int       // consecutive failed refreshes
	lastErr     error
	lastErrAt   time.Time
	metaErr     error
	lastUnknown time.Time // last unknown-kid refresh
	unknownUsed bool
	inflight    *call // the fetch in progress, if any
	running     int   // active Run loops
	neg         negCache
}

// defaultLazyWait: a lazy scheduled refresh normally completes well within
// this; if not, the request is served from the current set meanwhile.
const defaultLazyWait = 2 * time.Second

// call is one fetch; waiters block on done, then read err.
type call struct {
	done    chan struct{}
	err     error
	started time.Time // by Config.Now
}

// ErrFetchStuck: a fetch outlived its bound (a Doer ignoring its context);
// waiters give up on it and the next attempt starts afresh.
var ErrFetchStuck = errors.New("keysource: key fetch did not finish in time")

// stuckAfter bounds a whole refresh (metadata + keys, each FetchTimeout).
func (s *Source) stuckAfter() time.Duration { return 2*s.cfg.FetchTimeout + time.Second }

// New checks cfg, applies defaults and returns a Source holding no keys
// yet. It does no I/O: the first fetch happens on Run, Refresh or Key.
func New(cfg Config) (*Source, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Source{cfg: c, obs: c.Observer, neg: newNegCache(c.NegativeEntries), sleep: sleepCtx,
		lazyWait: defaultLazyWait}
	if s.obs == nil {
		s.obs = nopObserver{}
	}
	switch {
	case c.File != "":
		s.desc = c.File
	case c.JWKSURL != "":
		s.desc = redactRaw(c.JWKSURL)
	default:
		s.desc = redactRaw(c.MetadataURL)
	}
	return s, nil
}

// Key returns the key for a token's kid (or x5t when kid is empty).
//
// A known kid is answered from memory. Without a Run loop, a set older
// than RefreshInterval is refreshed first (merged, rate limited) and the
// key is still served from the last-known-good set if that refresh fails.
// An unknown kid triggers one refresh (merged with any in flight, at most
// one per UnknownKidInterval); a kid still unknown afterwards is refused
// from the negative cache for NegativeTTL.
//
// Errors are *Error values wrapping jwk.ErrKeyNotFound or
// jwk.ErrKeySetUnavailable (with RetryAfter when a retry is scheduled).
func (s *Source) Key(ctx context.Context, kid, x5t string) (*jwk.Key, error) {
	if kid == "" && x5t == "" {
		return nil, notFound("token header names no kid or x5t", nil)
	}
	if len(kid) > maxIDLen || len(x5t) > maxIDLen {
		return nil, notFound("key id too long", nil)
	}
	negID := func() string { // built only off the hot path
		if kid != "" {
			return "k:" + kid
		}
		return "t:" + x5t
	}
	waited := false // at most one fetch wait per call
	var waitErr error
	for {
		now := s.cfg.Now()
		s.mu.Lock()
		if s.usableLocked(now) {
			if k, ok := s.set.Lookup(kid, x5t); ok {
				if !waited && s.running == 0 && s.activeLocked(now) == nil && !now.Before(s.nextRefresh) {
					c := s.startLocked(ctx) // lazy scheduled refresh (edge / no Run loop)
					s.mu.Unlock()
					// The caller holds a good key: wait only briefly, then
					// serve it while the fetch finishes on its own.
					waitErr, waited = s.waitBound(ctx, c, min(s.lazyWait, s.stuckAfter())), true
					continue // re-check: the refresh may have removed the key
				}
				s.mu.Unlock()
				return k, nil
			}
			if waited {
				if waitErr == nil {
					s.neg.add(negID(), now.Add(s.cfg.NegativeTTL), now)
				}
				s.mu.Unlock()
				if incomplete(ctx, waitErr) {
					// The refresh outcome is unknown to this request: let
					// the client retry rather than refuse the token.
					return nil, unavailable("key set refresh did not complete in time", waitErr, 0)
				}
				return nil, notFound("no key with this id after refresh", waitErr)
			}
			if s.neg.has(negID(), now) {
				s.mu.Unlock()
				s.obs.NegativeCacheHit()
				return nil, notFound("key id recently unknown", nil)
			}
			if c := s.activeLocked(now); c != nil {
				s.mu.Unlock()
				s.obs.UnknownKid(UnknownKidMerged)
				waitErr, waited = s.wait(ctx, c), true
				continue
			}
			if s.unknownUsed && now.Sub(s.lastUnknown) < s.cfg.UnknownKidInterval {
				s.mu.Unlock()
				s.obs.UnknownKid(UnknownKidRateLimited)
				return nil, notFound("no key with this id (refresh rate limited)", nil)
			}
			s.unknownUsed, s.lastUnknown = true, now
			c := s.startLocked(ctx)
			s.mu.Unlock()
			s.obs.UnknownKid(UnknownKidFetched)
			waitErr, waited = s.wait(ctx, c), true
			continue
		}
		// No usable set: never loaded, or older than MaxStale.
		if waited {
			err := waitErr
			if err == nil {
				err = s.lastErr
			}
			retry := s.nextRefresh.Sub(now)
			s.mu.Unlock()
			return nil, unavailable("signing keys could not be loaded", err, retry)
		}
		if c := s.activeLocked(now); c != nil {
			s.mu.Unlock()
			waitErr, waited = s.wait(ctx, c), true
			continue
		}
		if s.failures > 0 && now.Before(s.nextRefresh) { // only a failure's backoff holds us back
			err, retry := s.lastErr, s.nextRefresh.Sub(now)
			s.mu.Unlock()
			return nil, unavailable("signing keys could not be loaded; retry scheduled", err, retry)
		}
		c := s.startLocked(ctx)
		s.mu.Unlock()
		waitErr, waited = s.wait(ctx, c), true
	}
}

// Refresh fetches now (joining a fetch already in flight) and waits for
// the result or ctx. It is not rate limited: use it at start-up, in tests
// and for operator actions. Per-request code calls Key (which refreshes
// lazily, rate limited) or RefreshIfDue.
func (s *Source) Refresh(ctx context.Context) error {
	s.mu.Lock()
	c := s.startLocked(ctx)
	s.mu.Unlock()
	return s.wait(ctx, c)
}

// RefreshIfDue refreshes only when the schedule (RefreshInterval, or the
// backoff after a failure) says so, joining a fetch in flight; otherwise it
// returns nil at once. Safe to call on every request or from a cron hook.
func (s *Source) RefreshIfDue(ctx context.Context) error {
	now := s.cfg.Now()
	s.mu.Lock()
	c := s.activeLocked(now)
	if c == nil {
		if now.Before(s.nextRefresh) {
			s.mu.Unlock()
			return nil
		}
		c = s.startLocked(ctx)
	}
	s.mu.Unlock()
	return s.wait(ctx, c)
}

// Run refreshes on schedule until ctx is done: at once if due, then every
// RefreshInterval (±10 % jitter), or after the backoff delay following a
// failure. While a Run loop is active, Key does no lazy scheduled refresh
// (unknown kids still refresh on demand).
func (s *Source) Run(ctx context.Context) {
	s.mu.Lock()
	s.running++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}()
	for {
		_ = s.RefreshIfDue(ctx) // failures are logged and recorded by the fetch itself
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		d := s.nextRefresh.Sub(s.cfg.Now())
		s.mu.Unlock()
		if d < time.Second {
			d = time.Second // never spin, whatever the clock does
		}
		if !s.sleep(ctx, d) {
			return
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// usableLocked: a set is held and is not older than MaxStale.
func (s *Source) usableLocked(now time.Time) bool {
	return s.set != nil && now.Sub(s.fetchedAt) <= s.cfg.MaxStale
}

// activeLocked returns the fetch in flight unless it is overdue.
func (s *Source) activeLocked(now time.Time) *call {
	if c := s.inflight; c != nil && now.Sub(c.started) < s.stuckAfter() {
		return c
	}
	return nil
}

// startLocked returns the fetch in flight or starts one. The fetch runs in
// its own goroutine, detached from the caller's cancellation (but keeping
// its values) and bounded by FetchTimeout per request, so that every
// waiter can give up on its own ctx without aborting the others.
func (s *Source) startLocked(ctx context.Context) *call {
	now := s.cfg.Now()
	if c := s.activeLocked(now); c != nil {
		return c
	}
	c := &call{done: make(chan struct{}), started: now}
	s.inflight = c
	prevURI := s.jwksURI
	go s.fetch(context.WithoutCancel(ctx), c, prevURI)
	return c
}

func (s *Source) fetch(ctx context.Context, c *call, prevURI string) {
	set, uri, metaErr, err := s.fetchSet(ctx, prevURI)
	now := s.cfg.Now()
	var after []func() // logging and observer calls, made outside the lock
	s.mu.Lock()
	if s.inflight == c {
		s.inflight = nil
	}
	s.metaErr = metaErr
	if metaErr != nil {
		after = append(after, func() {
			s.cfg.Logger.Warn("keysource: metadata refresh failed; using the previous jwks_uri",
				"source", s.desc, "error", metaErr.Error())
		})
	}
	if err != nil {
		after = append(after, s.failLocked(now, err))
	} else {
		after = append(after, s.succeedLocked(now, set, uri))
	}
	c.err = err
	s.mu.Unlock()
	for _, f := range after {
		f()
	}
	close(c.done) // after reporting: a caller that waited sees its effects
}

// succeedLocked installs a new set; it returns the reporting to do after
// the lock is released.
func (s *Source) succeedLocked(now time.Time, set *jwk.Set, uri string) func() {
	old, oldURI := s.set, s.jwksURI
	s.set, s.fetchedAt, s.jwksURI = set, now, uri
	s.failures, s.lastErr, s.lastErrAt = 0, nil, time.Time{}
	s.nextRefresh = now.Add(s.jitter(s.cfg.RefreshInterval))
	d := diffSets(old, set)
	if d.changed() {
		s.neg.clear()
	}
	return func() {
		if oldURI != "" && uri != oldURI {
			s.cfg.Logger.Info("keysource: jwks_uri changed", "source", s.desc,
				"from", redactRaw(oldURI), "to", redactRaw(uri))
		}
		if d.changed() {
			s.cfg.Logger.Info("keysource: key set changed", "source", s.desc, "keys", set.Len(),
				"added", d.added, "removed", d.removed, "replaced", d.replaced, "skipped", len(set.Skipped()))
		}
		s.obs.KeySet(set.Len(), now)
	}
}

// failLocked records a failed refresh and schedules the retry; it returns
// the reporting to do after the lock is released.
func (s *Source) failLocked(now time.Time, err error) func() {
	s.failures++
	s.lastErr, s.lastErrAt = err, now
	delay := s.backoff(s.failures)
	s.nextRefresh = now.Add(delay)
	state := "serving last-known-good keys"
	if !s.usableLocked(now) {
		state = "no usable keys"
	}
	failures := s.failures
	return func() {
		s.cfg.Logger.Warn("keysource: refresh failed; "+state, "source", s.desc, "error", err.Error(),
			"failures", failures, "retry_in", delay.String())
	}
}

// jitter spreads d by ±10 %.
func (s *Source) jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.9 + 0.2*s.cfg.Rand()))
}

// backoff is RetryMin·2^(n-1), capped at RetryMax and RefreshInterval,
// then jittered into [d/2, d).
func (s *Source) backoff(n int) time.Duration {
	d := s.cfg.RetryMin
	for i := 1; i < n && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.RetryMax, s.cfg.RefreshInterval)
	return d/2 + time.Duration(float64(d/2)*s.cfg.Rand())
}

// incomplete reports a wait that ended before its fetch did.
func incomplete(ctx context.Context, waitErr error) bool {
	return errors.Is(waitErr, ErrFetchStuck) || (waitErr != nil && ctx.Err() != nil && errors.Is(waitErr, ctx.Err()))
}

// wait blocks until c is done, ctx ends, or the fetch is overdue (a Doer
// that ignores its context must not hold requests forever).
func (s *Source) wait(ctx context.Context, c *call) error {
	return s.waitBound(ctx, c, s.stuckAfter())
}

func (s *Source) waitBound(ctx context.Context, c *call, bound time.Duration) error {
	t := time.NewTimer(bound)
	defer t.Stop()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return ErrFetchStuck
	}
}
