package keysource

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ---- fake clock ----

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// ---- test keys (generated once per test binary) ----

var (
	keysOnce sync.Once
	testKeys []*rsa.PrivateKey
)

func rsaKeys(t testing.TB) []*rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys = append(testKeys, k)
		}
	})
	return testKeys
}

// jwksJSON builds a key set; kids[i] uses test key i (mod 3).
func jwksJSON(t testing.TB, kids ...string) []byte {
	t.Helper()
	ks := rsaKeys(t)
	type jk struct {
		Kty string `json:"kty"`
		Use string `json:"use"`
		Kid string `json:"kid"`
		N   string `json:"n"`
		E   string `json:"e"`
	}
	var doc struct {
		Keys []jk `json:"keys"`
	}
	doc.Keys = []jk{}
	for i, kid := range kids {
		pub := ks[kidIndex(kid, i)].PublicKey
		doc.Keys = append(doc.Keys, jk{Kty: "RSA", Use: "sig", Kid: kid,
			N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// kidIndex maps "K1".."K3" to keys 0..2 so a kid always names the same key.
func kidIndex(kid string, i int) int {
	switch kid {
	case "K1":
		return 0
	case "K2":
		return 1
	case "K3":
		return 2
	}
	return i % 3
}

// ---- scripted key server ----

type mode int32

const (
	modeOK mode = iota
	mode500
	modeHang
	modeGarbage
	modeHTML
	modeHuge
	modeEmpty
)

type keyServer struct {
	t        testing.TB
	srv      *httptest.Server
	mode     atomic.Int32
	metaMode atomic.Int32
	keyHits  atomic.Int64
	metaHits atomic.Int64
	release  chan struct{}

	mu   sync.Mutex
	body []byte
}

func newKeyServer(t testing.TB, kids ...string) *keyServer {
	t.Helper()
	ks := &keyServer{t: t, release: make(chan struct{})}
	ks.setKids(kids...)
	mux := http.NewServeMux()
	mux.HandleFunc("/tenant/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		ks.metaHits.Add(1)
		if mode(ks.metaMode.Load()) != modeOK {
			ks.serveMode(w, r, mode(ks.metaMode.Load()))
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q,"token_endpoint":%q}`,
			ks.srv.URL+"/tenant/v2.0", ks.srv.URL+"/tenant/discovery/v2.0/keys", ks.srv.URL+"/tenant/oauth2/v2.0/token")
	})
	mux.HandleFunc("/tenant/discovery/v2.0/keys", func(w http.ResponseWriter, r *http.Request) {
		ks.keyHits.Add(1)
		if r.Header.Get("Accept") != "application/json" || r.Header.Get("Cache-Control") != "no-cache" {
			http.Error(w, "bad accept", http.StatusNotAcceptable)
			return
		}
		if m := mode(ks.mode.Load()); m != modeOK {
			ks.serveMode(w, r, m)
			return
		}
		ks.mu.Lock()
		b := ks.body
		ks.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(b)
	})
	ks.srv = httptest.NewServer(mux)
	t.Cleanup(ks.srv.Close)
	t.Cleanup(func() { close(ks.release) }) // runs first: unblocks hanging handlers
	return ks
}

func (ks *keyServer) serveMode(w http.ResponseWriter, r *http.Request, m mode) {
	switch m {
	case mode500:
		http.Error(w, "boom", http.StatusInternalServerError)
	case modeHang:
		select {
		case <-ks.release:
		case <-r.Context().Done():
		}
	case modeGarbage:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys": [ {"kty": "RSA", `))
	case modeHTML:
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<html>maintenance</html>`))
	case modeHuge:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[]}` + strings.Repeat(" ", DefaultMaxBytes)))
	case modeEmpty:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}
}

func (ks *keyServer) setKids(kids ...string) {
	b := jwksJSON(ks.t, kids...)
	ks.mu.Lock()
	ks.body = b
	ks.mu.Unlock()
}

func (ks *keyServer) setMode(m mode) { ks.mode.Store(int32(m)) }

func (ks *keyServer) jwksURL() string { return ks.srv.URL + "/tenant/discovery/v2.0/keys" }
func (ks *keyServer) metadataURL() string {
	return ks.srv.URL + "/tenant/v2.0/.well-known/openid-configuration"
}

// ---- recording observer ----

type recObserver struct {
	mu       sync.Mutex
	fetches  map[string]int // what/result
	keySets  int
	lastKeys int
	unknown  map[string]int
	negHits  int
}

func newRecObserver() *recObserver {
	return &recObserver{fetches: map[string]int{}, unknown: map[string]int{}}
}

func (o *recObserver) Fetch(what, result string, _ time.Duration) {
	o.mu.Lock()
	o.fetches[what+"/"+result]++
	o.mu.Unlock()
}
func (o *recObserver) KeySet(n int, _ time.Time) {
	o.mu.Lock()
	o.keySets++
	o.lastKeys = n
	o.mu.Unlock()
}
func (o *recObserver) UnknownKid(outcome string) {
	o.mu.Lock()
	o.unknown[outcome]++
	o.mu.Unlock()
}
func (o *recObserver) NegativeCacheHit() {
	o.mu.Lock()
	o.negHits++
	o.mu.Unlock()
}
func (o *recObserver) get(f func(*recObserver) int) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return f(o)
}

// ---- source construction ----

func newTestSource(t testing.TB, ks *keyServer, clk *fakeClock, mod func(*Config)) *Source {
	t.Helper()
	cfg := Config{
		JWKSURL:      ks.jwksURL(),
		Doer:         ks.srv.Client(),
		Now:          clk.Now,
		Rand:         func() float64 { return 0.5 },
		FetchTimeout: 2 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func mustKey(t testing.TB, s *Source, kid string) {
	t.Helper()
	k, err := s.Key(context.Background(), kid, "")
	if err != nil {
		t.Fatalf("Key(%s): %v", kid, err)
	}
	if k.Kid != kid || k.Public == nil {
		t.Fatalf("Key(%s) = %+v", kid, k)
	}
}
