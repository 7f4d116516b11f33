package edge

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/tokencache"
)

type mapStore struct {
	m   map[string][]byte
	ttl map[string]time.Duration
	err error
}

func (s *mapStore) Get(_ context.Context, k string) ([]byte, bool, error) {
	v, ok := s.m[k]
	return v, ok, s.err
}

func (s *mapStore) Set(_ context.Context, k string, v []byte, ttl time.Duration) error {
	if s.err != nil {
		return s.err
	}
	s.m[k], s.ttl[k] = v, ttl
	return nil
}

func TestSealedCache(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	sealer, err := tokencache.NewSealer(map[string][]byte{"k1": key}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	store := &mapStore{m: map[string][]byte{}, ttl: map[string]time.Duration{}}
	var logs bytes.Buffer
	c, err := NewSealedCache(store, sealer, 5*time.Minute, clock, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name    string
		key     string
		exp     time.Duration
		stored  bool
		wantTTL time.Duration
	}{
		{"an hour left", "key1", time.Hour, true, 55 * time.Minute},
		{"inside the margin", "key2", 4 * time.Minute, false, 0},
		{"expired", "key3", -time.Minute, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Set(ctx, tt.key, []byte("value-"+tt.key), now.Add(tt.exp)); err != nil {
				t.Fatal(err)
			}
			raw, ok := store.m[L2Prefix+tt.key]
			if ok != tt.stored {
				t.Fatalf("stored = %v", ok)
			}
			if !ok {
				return
			}
			if store.ttl[L2Prefix+tt.key] != tt.wantTTL {
				t.Errorf("ttl = %s", store.ttl[L2Prefix+tt.key])
			}
			if string(raw) == "value-"+tt.key {
				t.Error("value stored in clear")
			}
			v, ok, err := c.Get(ctx, tt.key)
			if err != nil || !ok || string(v) != "value-"+tt.key {
				t.Fatalf("Get = %q %v %v", v, ok, err)
			}
		})
	}
	// As natively (rediscache): a value that does not open is a miss, no
	// error (so no WARN "L2 cache unavailable"), logged at DEBUG.
	t.Run("value moved to another key is a miss", func(t *testing.T) {
		logs.Reset()
		store.m[L2Prefix+"other"] = store.m[L2Prefix+"key1"]
		if _, ok, err := c.Get(ctx, "other"); ok || err != nil {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
		if !strings.Contains(logs.String(), "level=DEBUG") || !strings.Contains(logs.String(), "authentication failed") {
			t.Errorf("log: %s", logs.String())
		}
	})
	t.Run("value sealed with a key since removed is a miss", func(t *testing.T) {
		logs.Reset()
		newKey := make([]byte, 32)
		newKey[0] = 9
		rotated, err := tokencache.NewSealer(map[string][]byte{"k2": newKey}, "k2")
		if err != nil {
			t.Fatal(err)
		}
		c2, _ := NewSealedCache(store, rotated, 5*time.Minute, clock, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
		if _, ok, err := c2.Get(ctx, "key1"); ok || err != nil {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
		if !strings.Contains(logs.String(), "level=DEBUG") || !strings.Contains(logs.String(), "unknown key id") {
			t.Errorf("log: %s", logs.String())
		}
		if err := c2.Set(ctx, "key1", []byte("fresh"), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := c2.Get(ctx, "key1"); !ok || err != nil || string(v) != "fresh" {
			t.Fatalf("after overwrite: %q %v %v", v, ok, err)
		}
	})
	t.Run("miss", func(t *testing.T) {
		if _, ok, err := c.Get(ctx, "nothing"); ok || err != nil {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
	})
	t.Run("store error", func(t *testing.T) {
		boom := errors.New("boom")
		c2, _ := NewSealedCache(&mapStore{err: boom}, sealer, time.Minute, clock, nil)
		if _, _, err := c2.Get(ctx, "x"); !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	})
}

func BenchmarkSealedCacheRoundTrip(b *testing.B) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	sealer, err := tokencache.NewSealer(map[string][]byte{"k1": key}, "k1")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	c, _ := NewSealedCache(&mapStore{m: map[string][]byte{}, ttl: map[string]time.Duration{}}, sealer, time.Minute, func() time.Time { return now }, nil)
	ctx := context.Background()
	val := make([]byte, 2048) // an encoded OBO entry is about this size
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Set(ctx, "0123456789abcdef", val, now.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		if _, ok, err := c.Get(ctx, "0123456789abcdef"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
