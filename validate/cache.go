package validate

import (
	"hash/maphash"

	"github.com/entragate/entragate/jwk"
	"sync"
	"time"
)

// cache is the verified-token cache: token hash → verified Result. The full
// token string is stored and compared on every hit, so a hash collision can
// never return another token's Result. Entries die with their token (exp +
// skew) and time claims are rechecked on each hit by the caller. Bounded:
// when full, expired entries found first are dropped, else an arbitrary one.
// A mutex (not a goroutine) guards it: core packages start no goroutines.
type cache struct {
	mu      sync.Mutex
	seed    maphash.Seed
	max     int
	entries map[uint64]*cacheEntry
}

type cacheEntry struct {
	raw      string
	res      *Result
	key      *jwk.Key // the key that verified it; a hit requires it still published
	kid, x5t string
	deadline time.Time // exp + skew: the entry is useless afterwards
}

func newCache(max int) *cache {
	return &cache{seed: maphash.MakeSeed(), max: max, entries: make(map[uint64]*cacheEntry, min(max, 1024))}
}

// get returns the cached entry for raw, if any and not past its deadline.
// expired reports an entry that matched but is past its deadline (removed).
func (c *cache) get(raw string, now time.Time) (e *cacheEntry, expired bool) {
	h := maphash.String(c.seed, raw)
	c.mu.Lock()
	e = c.entries[h]
	if e == nil || e.raw != raw {
		c.mu.Unlock()
		return nil, false
	}
	if !now.Before(e.deadline) {
		delete(c.entries, h)
		c.mu.Unlock()
		return nil, true
	}
	c.mu.Unlock()
	return e, false
}

func (c *cache) put(raw string, entry *cacheEntry, now time.Time) {
	h := maphash.String(c.seed, raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[h]; !ok && len(c.entries) >= c.max {
		c.evict(now)
	}
	c.entries[h] = entry
}

// evict removes expired entries among the first few visited (map iteration
// starts at a random point), or else the first one visited.
func (c *cache) evict(now time.Time) {
	const probe = 8
	n := 0
	var victim uint64
	removed := false
	for h, e := range c.entries {
		if !now.Before(e.deadline) {
			delete(c.entries, h)
			removed = true
		} else if n == 0 {
			victim = h
		}
		n++
		if n >= probe {
			break
		}
	}
	if !removed && n > 0 {
		delete(c.entries, victim)
	}
}

// len is the number of entries (tests, status).
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *cache) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}
