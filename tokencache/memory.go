// Package tokencache holds the token caches shared by obo: a bounded
// in-memory L1 (Memory) and the AES-256-GCM Sealer used for values stored
// outside the process (tokencache/rediscache). Pure: no I/O, no goroutines;
// builds for js/wasm.
package tokencache

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// entryOverhead approximates the bookkeeping bytes per entry.
const entryOverhead = 96

// Memory is a bounded, expiry-aware in-memory cache. Eviction: expired
// entries first, then the entry that expires soonest (a min-heap on expiry;
// O(log n) per Set, O(1) per Get). Purging is lazy (on Set, and on Get of
// an expired entry); there is no background goroutine. Values are returned
// as stored: callers must not modify them.
type Memory struct {
	mu         sync.Mutex
	now        func() time.Time
	maxEntries int
	maxBytes   int64
	bytes      int64
	m          map[string]*item
	h          expiryHeap
}

type item struct {
	key     string
	value   []byte
	expires time.Time
	index   int
}

func (it *item) size() int64 { return int64(len(it.key) + len(it.value) + entryOverhead) }

// NewMemory returns an empty cache holding at most maxEntries entries and
// maxBytes bytes (keys + values + overhead). Non-positive limits get
// defaults (10000 entries, 64 MiB). now nil means time.Now.
func NewMemory(maxEntries int, maxBytes int64, now func() time.Time) *Memory {
	if maxEntries <= 0 {
		maxEntries = 10000
	}
	if maxBytes <= 0 {
		maxBytes = 64 << 20
	}
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, maxEntries: maxEntries, maxBytes: maxBytes, m: make(map[string]*item)}
}

// Get returns the value for key unless it is absent or expired.
func (c *Memory) Get(_ context.Context, key string) ([]byte, bool, error) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.m[key]
	if !ok {
		return nil, false, nil
	}
	if !now.Before(it.expires) {
		c.remove(it)
		return nil, false, nil
	}
	return it.value, true, nil
}

// Set stores value until expiresAt. Values already expired, or larger than
// the whole byte budget, are not stored (no error: a cache may drop).
func (c *Memory) Set(_ context.Context, key string, value []byte, expiresAt time.Time) error {
	now := c.now()
	it := &item{key: key, value: value, expires: expiresAt}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[key]; ok {
		c.remove(old)
	}
	if !now.Before(expiresAt) || it.size() > c.maxBytes {
		return nil
	}
	for c.h.Len() > 0 && !now.Before(c.h[0].expires) {
		c.remove(c.h[0])
	}
	for c.h.Len() > 0 && (len(c.m) >= c.maxEntries || c.bytes+it.size() > c.maxBytes) {
		c.remove(c.h[0])
	}
	c.m[key] = it
	c.bytes += it.size()
	heap.Push(&c.h, it)
	return nil
}

// Delete removes key.
func (c *Memory) Delete(_ context.Context, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it, ok := c.m[key]; ok {
		c.remove(it)
	}
}

// Len returns the number of entries (expired ones included until purged).
func (c *Memory) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Bytes returns the accounted size of all entries.
func (c *Memory) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

func (c *Memory) remove(it *item) {
	heap.Remove(&c.h, it.index)
	delete(c.m, it.key)
	c.bytes -= it.size()
}

// expiryHeap is a min-heap of items by expiry.
type expiryHeap []*item

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *expiryHeap) Push(x any) {
	it := x.(*item)
	it.index = len(*h)
	*h = append(*h, it)
}
func (h *expiryHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return it
}
