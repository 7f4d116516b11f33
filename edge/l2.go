package edge

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/entragate/entragate/tokencache"
)

// ByteStore is a remote byte store with per-entry TTL: the Workers KV or
// Cache API (Store, js/wasm), or a map in tests.
type ByteStore interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
}

// L2Prefix starts every L2 key (the rest is obo.CacheKey, a SHA-256 hex).
const L2Prefix = "entragate-obo-v1-"

// SealedCache is an obo.Cache over a ByteStore: values are sealed with
// AES-256-GCM bound to their key (tokencache.Sealer) and stored for the
// token's remaining life minus Margin, so the store drops a token before
// the OBO client would stop using it.
type SealedCache struct {
	store  ByteStore
	sealer *tokencache.Sealer
	margin time.Duration
	now    func() time.Time
	log    *slog.Logger
}

// NewSealedCache returns an obo.Cache. margin is the OBO client's Margin;
// now defaults to time.Now; log (default: discard) gets the DEBUG line of a
// value that does not open.
func NewSealedCache(store ByteStore, sealer *tokencache.Sealer, margin time.Duration, now func() time.Time, log *slog.Logger) (*SealedCache, error) {
	if store == nil || sealer == nil {
		return nil, fmt.Errorf("%w: L2 needs a store and a sealer", ErrBindings)
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &SealedCache{store: store, sealer: sealer, margin: margin, now: now, log: log}, nil
}

// Get implements obo.Cache. A value that does not open (sealed with a key
// no longer configured after TOKENCACHE_ENCRYPTION_KEYS changed, tampered
// with, copied from another cache key) is a plain miss, logged at DEBUG, as
// natively (rediscache): the OBO client fetches a token and overwrites it.
// Only the store's own failures are errors.
func (c *SealedCache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	sealed, ok, err := c.store.Get(ctx, L2Prefix+key)
	if err != nil || !ok {
		return nil, false, err
	}
	v, err := c.sealer.Open([]byte(key), sealed)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelDebug, "edge L2: value does not open; treated as a miss", slog.String("error", err.Error()))
		return nil, false, nil
	}
	return v, true, nil
}

// Set implements obo.Cache; a token with no life left past the margin is
// not stored.
func (c *SealedCache) Set(ctx context.Context, key string, value []byte, expiresAt time.Time) error {
	ttl := expiresAt.Sub(c.now()) - c.margin
	if ttl < time.Second {
		return nil
	}
	sealed, err := c.sealer.Seal([]byte(key), value)
	if err != nil {
		return err
	}
	return c.store.Set(ctx, L2Prefix+key, sealed, ttl)
}
