package keysource

import "time"

// negCache remembers key ids that were still unknown after a refresh, for a
// short TTL. It is bounded: when full, expired entries are purged, then an
// arbitrary entry is evicted. Guarded by Source.mu.
type negCache struct {
	max     int
	entries map[string]time.Time // id -> expiry
}

func newNegCache(max int) negCache {
	return negCache{max: max, entries: make(map[string]time.Time)}
}

func (c *negCache) has(id string, now time.Time) bool {
	exp, ok := c.entries[id]
	if !ok {
		return false
	}
	if !now.Before(exp) {
		delete(c.entries, id)
		return false
	}
	return true
}

func (c *negCache) add(id string, exp, now time.Time) {
	if _, ok := c.entries[id]; !ok && len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < c.max {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[id] = exp
}

func (c *negCache) clear() { clear(c.entries) }

func (c *negCache) len() int { return len(c.entries) }
