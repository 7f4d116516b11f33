package rediscache

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entragate/entragate/tokencache"
)

var bg = context.Background()

func sealer(t testing.TB, current string, ids ...string) *tokencache.Sealer {
	t.Helper()
	keys := map[string][]byte{}
	for _, id := range ids {
		keys[id] = bytes.Repeat([]byte(id[len(id)-1:]), 32)
	}
	s, err := tokencache.NewSealer(keys, current)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newCache(t testing.TB, url string, s *tokencache.Sealer) *Cache {
	t.Helper()
	// Tests of behaviour, not of timing: a generous op timeout so a loaded
	// CI machine cannot turn a hit into a timeout.
	c, err := New(Options{URL: url, Sealer: s, OpTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestNewRejects(t *testing.T) {
	s := sealer(t, "k1", "k1")
	for name, o := range map[string]Options{
		"no sealer": {URL: "redis://127.0.0.1:1"},
		"http url":  {URL: "http://127.0.0.1:6379", Sealer: s},
		"no url":    {Sealer: s},
	} {
		if _, err := New(o); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := New(Options{URL: "redis://:hunter2@127.0.0.1:6379/notadb", Sealer: s})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("bad URL: %v", err)
	}
}

func TestRoundTripLayoutAndTTL(t *testing.T) {
	srv := startRedis(t)
	c := newCache(t, srv.url(), sealer(t, "k1", "k1"))
	key := "cafebabe" + strings.Repeat("0", 56)
	val := []byte("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJhbGljZSJ9.sig user alice scope User.Read")
	if err := c.Set(bg, key, val, time.Now().Add(90*time.Second)); err != nil {
		t.Fatal(err)
	}
	// Already expired: not stored.
	if err := c.Set(bg, "other", val, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Get(bg, key)
	if err != nil || !ok || !bytes.Equal(got, val) {
		t.Fatalf("%v %v %q", err, ok, got)
	}
	if _, ok, err := c.Get(bg, "absent"); ok || err != nil {
		t.Fatalf("absent: %v %v", ok, err)
	}
	dump := srv.dump(t)
	if len(dump) != 1 {
		t.Fatalf("keys %d", len(dump))
	}
	for k, e := range dump {
		if !strings.HasPrefix(k, DefaultPrefix) || containsAny(k, key, "alice", "User.Read") {
			t.Errorf("key leaks: %q", k)
		}
		if containsAny(e.val, "eyJ", "alice", "User.Read") || !strings.HasPrefix(e.val, "k1:") {
			t.Errorf("value in clear")
		}
		if e.ttl <= 80*time.Second || e.ttl > 90*time.Second {
			t.Errorf("ttl %v", e.ttl)
		}
	}
}

func TestSealKeyRotation(t *testing.T) {
	srv := startRedis(t)
	key := strings.Repeat("a", 64)
	val := []byte("token-bytes")
	exp := time.Now().Add(time.Hour)
	old := newCache(t, srv.url(), sealer(t, "k1", "k1"))
	if err := old.Set(bg, key, val, exp); err != nil {
		t.Fatal(err)
	}
	rotated := newCache(t, srv.url(), sealer(t, "k2", "k1", "k2"))
	if v, ok, err := rotated.Get(bg, key); err != nil || !ok || !bytes.Equal(v, val) {
		t.Fatal("rotated sealer cannot read old value")
	}
	newOnly := newCache(t, srv.url(), sealer(t, "k2", "k2"))
	if _, ok, err := newOnly.Get(bg, key); ok || err != nil {
		t.Fatalf("value under a dropped key: ok=%v err=%v", ok, err)
	}
	if err := rotated.Set(bg, key, val, exp); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := newOnly.Get(bg, key); !ok || !bytes.Equal(v, val) {
		t.Fatal("new value not sealed with the current key")
	}
	if _, ok, _ := old.Get(bg, key); ok {
		t.Fatal("old sealer read a value under an unknown key")
	}
	// A value moved to another cache key does not open (AAD).
	raw := srv.client()
	defer raw.Close()
	v, _ := raw.Get(bg, rotated.redisKey(key)).Bytes()
	other := strings.Repeat("b", 64)
	raw.Set(bg, rotated.redisKey(other), v, time.Minute)
	if _, ok, _ := rotated.Get(bg, other); ok {
		t.Fatal("value opened under another cache key")
	}
}

func TestWrongPasswordAndBreaker(t *testing.T) {
	srv := startRedis(t)
	var now time.Time = time.Now()
	clk := func() time.Time { return now }
	c, err := New(Options{URL: "redis://:wrong@" + srv.addr, Sealer: sealer(t, "k1", "k1"), Now: clk, FailureThreshold: 2, Cooldown: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 2; i++ {
		if _, _, err := c.Get(bg, "k"); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBreakerOpen) {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	if _, _, err := c.Get(bg, "k"); !errors.Is(err, ErrBreakerOpen) || !c.Status().Open {
		t.Fatalf("breaker not open: %v", err)
	}
	now = now.Add(time.Second)
	if _, _, err := c.Get(bg, "k"); errors.Is(err, ErrBreakerOpen) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("half-open probe: %v", err)
	}
	if _, _, err := c.Get(bg, "k"); !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("one failure after cooldown must re-open: %v", err)
	}
}

func TestRedisDownIsFast(t *testing.T) {
	srv := startRedis(t)
	c := newCache(t, srv.url(), sealer(t, "k1", "k1"))
	if err := c.Ping(bg); err != nil {
		t.Fatal(err)
	}
	srv.stop()
	start := time.Now()
	for i := 0; i < 10; i++ {
		if _, _, err := c.Get(bg, "k"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("%d: %v", i, err)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("10 gets against a dead Redis took %v", d)
	}
}

// A Redis that accepts connections but never answers: each op gives up
// after the op timeout, then the breaker fails fast.
func TestSlowRedisBounded(t *testing.T) {
	addr := blackHoleRedis(t)
	c, err := New(Options{URL: "redis://" + addr, Sealer: sealer(t, "k1", "k1"), OpTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 6; i++ {
		start := time.Now()
		_, _, err := c.Get(bg, "k")
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("%d: %v", i, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("op %d took %v", i, d)
		}
	}
	if !c.Status().Open {
		t.Fatal("breaker not open after repeated timeouts")
	}
}

// blackHoleRedis is a "Redis" that accepts connections and never answers;
// it returns its address and closes everything at the end of the test.
func blackHoleRedis(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String()
}
