// Package rediscache is the shared L2 token cache in Redis (native builds
// only). Values are sealed with tokencache.Sealer (AES-256-GCM, the cache
// key as associated data); Redis keys are a prefix plus a SHA-256 of the
// cache key, so Redis holds no assertion, user id, scope or token in clear.
// Every key has a TTL equal to the token's remaining life. Each operation
// has a short timeout and a circuit breaker fails fast while Redis is down:
// the OBO client then serves from L1 and the token endpoint.
package rediscache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/entragate/entragate/tokencache"
)

// Errors.
var (
	// ErrConfig: unusable Options.
	ErrConfig = errors.New("rediscache: invalid configuration")
	// ErrUnavailable: Redis failed or timed out; the cache is skipped.
	ErrUnavailable = errors.New("rediscache: redis unavailable")
	// ErrBreakerOpen: recent failures; Redis is not tried until the
	// cooldown ends. Also matches ErrUnavailable.
	ErrBreakerOpen = fmt.Errorf("%w: circuit open", ErrUnavailable)
)

// Defaults.
const (
	DefaultPrefix           = "entragate:obo:v1:"
	DefaultOpTimeout        = 75 * time.Millisecond
	DefaultFailureThreshold = 3
	DefaultCooldown         = 5 * time.Second
	DefaultMaxValueBytes    = 64 << 10
)

// Options configures a Cache. Sealer and one of URL or Client are required.
type Options struct {
	// URL: redis://[user:password@]host:port/db or rediss:// (TLS).
	URL string
	// Client is an existing client (the caller closes it); overrides URL.
	Client redis.UniversalClient
	// Sealer encrypts values (required).
	Sealer *tokencache.Sealer
	// Prefix of every Redis key; default DefaultPrefix.
	Prefix string
	// OpTimeout bounds each Redis operation; default DefaultOpTimeout.
	OpTimeout time.Duration
	// FailureThreshold consecutive failures open the breaker for Cooldown.
	FailureThreshold int
	Cooldown         time.Duration
	// MaxValueBytes caps a stored or read value; default DefaultMaxValueBytes.
	MaxValueBytes int
	// PoolSize is the connection pool size; default go-redis's
	// (10 per GOMAXPROCS). Concurrent Gets share one round trip (see
	// coalesce.go), so Gets need one connection; size it to the expected
	// concurrent Sets.
	PoolSize int
	Now      func() time.Time
	Logger   *slog.Logger
}

// Cache implements obo.Cache over Redis.
type Cache struct {
	rdb       redis.UniversalClient
	ownClient bool
	sealer    *tokencache.Sealer
	prefix    string
	opTimeout time.Duration
	maxValue  int
	now       func() time.Time
	log       *slog.Logger
	br        breaker
	co        coalescer
}

// New returns a Cache. It does not contact Redis (see Ping).
func New(opts Options) (*Cache, error) {
	if opts.Sealer == nil {
		return nil, fmt.Errorf("%w: a Sealer is required", ErrConfig)
	}
	c := &Cache{
		rdb: opts.Client, sealer: opts.Sealer, prefix: opts.Prefix, opTimeout: opts.OpTimeout,
		maxValue: opts.MaxValueBytes, now: opts.Now, log: opts.Logger,
	}
	if c.prefix == "" {
		c.prefix = DefaultPrefix
	}
	if c.opTimeout <= 0 {
		c.opTimeout = DefaultOpTimeout
	}
	if c.maxValue <= 0 {
		c.maxValue = DefaultMaxValueBytes
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.br.threshold, c.br.cooldown = opts.FailureThreshold, opts.Cooldown
	if c.br.threshold <= 0 {
		c.br.threshold = DefaultFailureThreshold
	}
	if c.br.cooldown <= 0 {
		c.br.cooldown = DefaultCooldown
	}
	c.co.c = c
	if c.rdb == nil {
		o, err := clientOptions(opts.URL, c.opTimeout)
		if err != nil {
			return nil, err
		}
		if opts.PoolSize > 0 {
			o.PoolSize = opts.PoolSize
		}
		c.rdb, c.ownClient = redis.NewClient(o), true
	}
	return c, nil
}

// clientOptions parses the URL and applies tight, retry-free timeouts.
func clientOptions(raw string, op time.Duration) (*redis.Options, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return nil, fmt.Errorf("%w: URL must be redis:// or rediss://host:port", ErrConfig)
	}
	o, err := redis.ParseURL(raw)
	if err != nil {
		// The parser's message may echo the URL (and its password): drop it.
		return nil, fmt.Errorf("%w: unparsable Redis URL", ErrConfig)
	}
	o.MaxRetries = -1 // no retries: the token endpoint is the fallback
	o.DialTimeout = max(4*op, 250*time.Millisecond)
	o.ReadTimeout, o.WriteTimeout = op, op
	o.PoolTimeout = op
	// go-redis retries a failed dial 5 times with backoff by default, past
	// the per-operation deadline: one attempt, and the breaker does the rest.
	o.DialerRetries = 1
	o.DialerRetryTimeout = 10 * time.Millisecond
	o.ContextTimeoutEnabled = true
	o.DisableIdentity = true
	return o, nil
}

// redisKey hides the cache key behind a hash.
func (c *Cache) redisKey(key string) string {
	h := sha256.Sum256([]byte("entragate-rediscache-v1\x00" + key))
	return c.prefix + hex.EncodeToString(h[:])
}

// Get returns the opened value for key. Missing keys and values that do not
// open (rotated-out seal key, tampering) are misses; Redis failures return
// an error wrapping ErrUnavailable.
//
// Concurrent Gets share round trips (see coalesce.go): the caller waits for
// its own result until its ctx or the op timeout ends, whichever is first.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := c.br.allow(c.now()); err != nil {
		return nil, false, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opTimeout)
	defer cancel()
	sealed, err := c.co.get(ctx, c.redisKey(key))
	if err != nil {
		return nil, false, err
	}
	if sealed == nil || len(sealed) > c.maxValue+64 {
		return nil, false, nil
	}
	v, err := c.sealer.Open([]byte(key), sealed)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelDebug, "rediscache: value does not open; treated as a miss", slog.String("error", err.Error()))
		return nil, false, nil
	}
	return v, true, nil
}

// Set stores value sealed, with a TTL of the time left until expiresAt.
func (c *Cache) Set(ctx context.Context, key string, value []byte, expiresAt time.Time) error {
	ttl := expiresAt.Sub(c.now())
	if ttl < time.Millisecond || len(value) > c.maxValue {
		return nil
	}
	if err := c.br.allow(c.now()); err != nil {
		return err
	}
	sealed, err := c.sealer.Seal([]byte(key), value)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opTimeout)
	defer cancel()
	if err := c.rdb.Set(ctx, c.redisKey(key), sealed, ttl).Err(); err != nil {
		return c.failed("set", err)
	}
	c.br.success()
	return nil
}

// Delete removes key (a DEL of its hashed Redis key), bounded by the op
// timeout, like Set; while the breaker is open it fails fast. A missing key
// is not an error. It implements obo.CacheDeleter (Client.Invalidate).
func (c *Cache) Delete(ctx context.Context, key string) error {
	if err := c.br.allow(c.now()); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opTimeout)
	defer cancel()
	if err := c.rdb.Del(ctx, c.redisKey(key)).Err(); err != nil {
		return c.failed("delete", err)
	}
	c.br.success()
	return nil
}

// Ping checks Redis (bounded by the op timeout), e.g. for readiness.
func (c *Cache) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opTimeout)
	defer cancel()
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return c.failed("ping", err)
	}
	c.br.success()
	return nil
}

// Status reports the breaker state.
type Status struct {
	Open                bool
	ConsecutiveFailures int
}

// Status returns the breaker state.
func (c *Cache) Status() Status {
	c.br.mu.Lock()
	defer c.br.mu.Unlock()
	return Status{Open: c.now().Before(c.br.openUntil), ConsecutiveFailures: c.br.failures}
}

// Close fails queued Gets, waits for the round trip in flight (at most the
// op timeout) and closes the client if New created it. Gets after Close
// fail with ErrUnavailable.
func (c *Cache) Close() error {
	c.co.close()
	if c.ownClient {
		return c.rdb.Close()
	}
	return nil
}

func (c *Cache) failed(op string, err error) error {
	if opened := c.br.failure(c.now()); opened {
		c.log.LogAttrs(context.Background(), slog.LevelWarn, "rediscache: circuit opened; skipping Redis",
			slog.String("op", op), slog.String("cooldown", c.br.cooldown.String()), slog.String("error", safeErr(err)))
	}
	return fmt.Errorf("%w: %s: %s", ErrUnavailable, op, safeErr(err))
}

// safeErr bounds an error text (go-redis errors carry no values or keys'
// contents, but stay bounded).
func safeErr(err error) string {
	s := err.Error()
	if len(s) > 160 {
		s = s[:160]
	}
	return s
}

// breaker opens after threshold consecutive failures and lets calls through
// again after cooldown (one failure then re-opens it).
type breaker struct {
	mu        sync.Mutex
	threshold int
	cooldown  time.Duration
	failures  int
	openUntil time.Time
}

func (b *breaker) allow(now time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Before(b.openUntil) {
		return ErrBreakerOpen
	}
	return nil
}

func (b *breaker) success() {
	b.mu.Lock()
	b.failures = 0
	b.mu.Unlock()
}

// failure records one failure and reports whether the breaker just opened.
func (b *breaker) failure(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	if b.failures >= b.threshold && !now.Before(b.openUntil) {
		b.openUntil = now.Add(b.cooldown)
		b.failures = b.threshold - 1 // after cooldown, one failure re-opens
		return true
	}
	return false
}
