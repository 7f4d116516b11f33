package rediscache

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entragate/entragate/obo"
	"github.com/entragate/entragate/tokencache"
)

// tokenEndpoint is a fake Entra token endpoint issuing JWT-looking tokens.
func tokenEndpoint(t testing.TB) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"token_type": "Bearer", "expires_in": 3600, "scope": r.PostForm.Get("scope"),
			"access_token": fmt.Sprintf("eyJ0eXAiOiJKV1QifQ.eyJuIjo%d.c2ln", n),
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

type obs struct {
	mu     sync.Mutex
	levels map[string]int
	l2errs int
}

func (o *obs) TokenRequest(string, time.Duration) {}
func (o *obs) CacheLookup(l string)               { o.mu.Lock(); o.levels[l]++; o.mu.Unlock() }
func (o *obs) SingleFlightMerge()                 {}
func (o *obs) L2Error(string)                     { o.mu.Lock(); o.l2errs++; o.mu.Unlock() }

// replica is one gateway instance: its own L1, the shared L2.
func replica(t testing.TB, endpoint string, l2 obo.Cache) (*obo.Client, *obs) {
	t.Helper()
	cred, _ := obo.NewClientSecret("secret")
	o := &obs{levels: map[string]int{}}
	c, err := obo.New(obo.Config{
		Instance: endpoint + "/", TenantID: "t1", ClientID: "api", Credential: cred,
		Doer: http.DefaultClient, Observer: o, L1: tokencache.NewMemory(100, 1<<20, nil), L2: l2, L2Timeout: 3 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, o
}

func assertion(user string) string { return "eyJhbGciOiJSUzI1NiJ9.eyJ1c2VyIjoi" + user + "In0.c2ln" }

func TestReplicasShareL2(t *testing.T) {
	srv := startRedis(t)
	ep, calls := tokenEndpoint(t)
	s := sealer(t, "k1", "k1")
	a, _ := replica(t, ep.URL, newCache(t, srv.url(), s))
	b, bobs := replica(t, ep.URL, newCache(t, srv.url(), s))
	req := obo.Request{Assertion: assertion("alice"), Scopes: []string{"User.Read"}}
	ta, err := a.Token(bg, req)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.Token(bg, req)
	if err != nil || tb.AccessToken != ta.AccessToken || calls.Load() != 1 || bobs.levels["l2"] != 1 {
		t.Fatalf("replica b: %v calls=%d levels=%v", err, calls.Load(), bobs.levels)
	}
	// L2 hit filled b's L1.
	if _, err := b.Token(bg, req); err != nil || bobs.levels["l1"] != 1 {
		t.Fatalf("L1 not filled: %v", bobs.levels)
	}
	// Another user: no sharing.
	tbob, _ := b.Token(bg, obo.Request{Assertion: assertion("bob"), Scopes: []string{"User.Read"}})
	if tbob.AccessToken == ta.AccessToken || calls.Load() != 2 {
		t.Fatal("bob got alice's token")
	}
	for k, e := range srv.dump(t) {
		if strings.Contains(e.val, "eyJ") || containsAny(k, "alice", "bob", "User.Read", "user.read") {
			t.Errorf("clear text in Redis: key %q", k)
		}
		if e.ttl <= 0 || e.ttl > time.Hour {
			t.Errorf("key without a proper TTL: %v", e.ttl)
		}
	}
}

func TestRedisStoppedMidway(t *testing.T) {
	srv := startRedis(t)
	ep, calls := tokenEndpoint(t)
	s := sealer(t, "k1", "k1")
	a, _ := replica(t, ep.URL, newCache(t, srv.url(), s))
	b, bobs := replica(t, ep.URL, newCache(t, srv.url(), s))
	if _, err := a.Token(bg, obo.Request{Assertion: assertion("alice"), Scopes: []string{"User.Read"}}); err != nil {
		t.Fatal(err)
	}
	srv.stop()
	start := time.Now()
	for i := range 20 {
		req := obo.Request{Assertion: assertion(fmt.Sprint("user", i%5)), Scopes: []string{"User.Read"}}
		if _, err := b.Token(bg, req); err != nil {
			t.Fatalf("request %d failed with Redis down: %v", i, err)
		}
		if _, err := a.Token(bg, req); err != nil {
			t.Fatalf("replica a failed with Redis down: %v", err)
		}
	}
	if bobs.l2errs == 0 {
		t.Fatal("L2 errors not counted")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Redis outage slowed requests: %v", d)
	}
	if calls.Load() != 1+5+5 {
		t.Fatalf("calls %d (each replica fetches each user once)", calls.Load())
	}
}

// TestL2HitLatency measures L2 hits through Redis on loopback under 50
// concurrent callers and reports p50/p99. Gated: ENTRAGATE_REDIS_LATENCY=1.
func TestL2HitLatency(t *testing.T) {
	if os.Getenv("ENTRAGATE_REDIS_LATENCY") != "1" {
		t.Skip("set ENTRAGATE_REDIS_LATENCY=1 to measure")
	}
	srv := startRedis(t)
	c, err := New(Options{URL: srv.url(), Sealer: sealer(t, "k1", "k1"), PoolSize: 64, OpTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	val := make([]byte, 2000)
	const keys = 100
	for i := range keys {
		if err := c.Set(bg, fmt.Sprint("key", i), val, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for _, workers := range []int{1, 50} {
		measure(t, c, workers, keys)
	}
	// The same with the live heap of a gateway whose L1 holds 10,000 OBO
	// tokens (~64 MiB, TokenCache.MaxBytes' default): the test process's
	// own heap is tiny, so it collects garbage far more often than a
	// gateway does; this run shows what that does to the tail.
	l1 := tokencache.NewMemory(10000, 64<<20, time.Now)
	for i := range 10000 {
		if err := l1.Set(bg, fmt.Sprint("l1-", i), make([]byte, 6000), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("with a populated L1 (%d entries, %d MiB) in the process:", l1.Len(), l1.Bytes()>>20)
	measure(t, c, 50, keys)
	runtime.KeepAlive(l1)
}

func measure(t *testing.T, c *Cache, workers, keys int) {
	const per = 400
	lat := make([]time.Duration, workers*per)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				start := time.Now()
				_, ok, err := c.Get(bg, fmt.Sprint("key", (w*per+i)%keys))
				lat[w*per+i] = time.Since(start)
				if err != nil || !ok {
					t.Errorf("get: %v %v", ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
	slices.Sort(lat)
	p := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))] }
	t.Logf("L2 hit latency, %d concurrent, %d ops: p50=%v p90=%v p99=%v max=%v", workers, len(lat), p(.5), p(.9), p(.99), lat[len(lat)-1])
}

// BenchmarkL2Get: one sealed L2 hit through Redis on loopback, 50 goroutines.
func BenchmarkL2Get(b *testing.B) {
	srv := startRedis(b)
	// Generous op timeout: a benchmark on a shared machine measures latency,
	// it must not trip the production 75 ms timeout.
	c, err := New(Options{URL: srv.url(), Sealer: sealer(b, "k1", "k1"), PoolSize: 64, OpTimeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(bg, "key", make([]byte, 2000), time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(25) // ×GOMAXPROCS(2) = 50 goroutines
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok, err := c.Get(bg, "key"); err != nil || !ok {
				b.Error(err)
				return
			}
		}
	})
}
