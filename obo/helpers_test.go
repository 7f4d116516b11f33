package obo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeEndpoint is an httptest token endpoint that issues a token naming the
// assertion and scope it was asked for (so tests can see who got what).
type fakeEndpoint struct {
	srv       *httptest.Server
	calls     atomic.Int64
	expiresIn atomic.Int64
	mu        sync.Mutex
	forms     []url.Values
	// handler overrides the default answer when set.
	handler func(w http.ResponseWriter, r *http.Request, form url.Values)
	gate    chan struct{} // if non-nil, each request waits for it to close
}

func newFakeEndpoint(t testing.TB) *fakeEndpoint {
	t.Helper()
	f := &fakeEndpoint{}
	f.expiresIn.Store(3600)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.calls.Add(1)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", 400)
			return
		}
		f.mu.Lock()
		f.forms = append(f.forms, r.PostForm)
		h, gate := f.handler, f.gate
		f.mu.Unlock()
		if gate != nil {
			<-gate
		}
		if h != nil {
			h(w, r, r.PostForm)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"token_type":     "Bearer",
			"scope":          r.PostForm.Get("scope"),
			"expires_in":     f.expiresIn.Load(),
			"ext_expires_in": f.expiresIn.Load(),
			"access_token":   fmt.Sprintf("tok.%s.%s.%d", r.PostForm.Get("assertion"), url.QueryEscape(r.PostForm.Get("scope")), n),
		})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeEndpoint) setHandler(h func(w http.ResponseWriter, r *http.Request, form url.Values)) {
	f.mu.Lock()
	f.handler = h
	f.mu.Unlock()
}

func (f *fakeEndpoint) lastForm() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.forms[len(f.forms)-1]
}

// countingObserver records Observer events.
type countingObserver struct {
	mu      sync.Mutex
	results map[string]int
	lookups map[string]int
	merges  int
	l2errs  map[string]int
}

func newObserver() *countingObserver {
	return &countingObserver{results: map[string]int{}, lookups: map[string]int{}, l2errs: map[string]int{}}
}
func (o *countingObserver) TokenRequest(r string, _ time.Duration) {
	o.mu.Lock()
	o.results[r]++
	o.mu.Unlock()
}
func (o *countingObserver) CacheLookup(l string) { o.mu.Lock(); o.lookups[l]++; o.mu.Unlock() }
func (o *countingObserver) SingleFlightMerge()   { o.mu.Lock(); o.merges++; o.mu.Unlock() }
func (o *countingObserver) L2Error(op string)    { o.mu.Lock(); o.l2errs[op]++; o.mu.Unlock() }
func (o *countingObserver) get(m map[string]int, k string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return m[k]
}

const (
	testTenant = "11111111-2222-3333-4444-555555555555"
	testClient = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
)

func newTestClient(t testing.TB, f *fakeEndpoint, clk *clock, mod func(*Config)) *Client {
	t.Helper()
	cred, err := NewClientSecret("s3cr3t-value")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Instance: f.srv.URL + "/", TenantID: testTenant, ClientID: testClient, Credential: cred,
		Doer: f.srv.Client(), Now: clk.Now, Timeout: 5 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// jwtLike returns a fake compact JWT naming user (tests never parse it).
func jwtLike(user string) string { return "eyJhbGciOiJub25lIn0." + user + ".sig" }

var bg = context.Background()
