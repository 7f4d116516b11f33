//go:build js && wasm

package edge

import (
	"context"
	"time"
)

// Store is a byte store in the Workers KV or Cache API, reached through the
// owning request's pump. Keys should already be opaque (hashes); values
// should already be sealed.
type Store struct {
	b       *Bridge
	kind    string // "kv" or "cache"
	binding string // KV binding name, or Cache API cache name ("" = caches.default)
}

// KVStore returns a Store over the KV namespace bound as binding.
func (b *Bridge) KVStore(binding string) *Store { return &Store{b: b, kind: "kv", binding: binding} }

// CacheStore returns a Store over the Cache API (name "" = caches.default).
func (b *Bridge) CacheStore(name string) *Store { return &Store{b: b, kind: "cache", binding: name} }

// Get returns the value stored under key; found is false on a miss.
func (s *Store) Get(ctx context.Context, key string) (val []byte, found bool, err error) {
	r, err := s.b.do(ctx, s.op("get", key))
	if err != nil {
		return nil, false, err
	}
	if !r.ok {
		return nil, false, &StoreError{Op: s.kind + ".get", Msg: r.err}
	}
	return r.body, r.found, nil
}

// Set stores val under key for ttl (KV rounds it up to its 60 s minimum;
// callers keep their own expiry inside the sealed value).
func (s *Store) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	op := s.op("put", key)
	op["body"] = toJSBytes(val)
	secs := int64(ttl / time.Second)
	if secs < 1 {
		secs = 1
	}
	op["ttl"] = secs
	r, err := s.b.do(ctx, op)
	if err != nil {
		return err
	}
	if !r.ok {
		return &StoreError{Op: s.kind + ".put", Msg: r.err}
	}
	return nil
}

// Delete removes key.
func (s *Store) Delete(ctx context.Context, key string) error {
	r, err := s.b.do(ctx, s.op("delete", key))
	if err != nil {
		return err
	}
	if !r.ok {
		return &StoreError{Op: s.kind + ".delete", Msg: r.err}
	}
	return nil
}

func (s *Store) op(verb, key string) map[string]any {
	m := map[string]any{"kind": s.kind + "." + verb, "key": key}
	if s.kind == "kv" {
		m["binding"] = s.binding
	} else {
		m["name"] = s.binding
	}
	return m
}
