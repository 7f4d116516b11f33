package obo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRequestForm(t *testing.T) {
	f := newFakeEndpoint(t)
	c := newTestClient(t, f, newClock(), nil)
	_, err := c.Token(bg, Request{Assertion: jwtLike("alice"), Scopes: []string{"https://graph.microsoft.com/User.Read", "offline_access"}, Claims: `{"access_token":{"xms_cc":{"values":["cp1"]}}}`})
	if err != nil {
		t.Fatal(err)
	}
	form := f.lastForm()
	want := map[string]string{
		"grant_type":          GrantTypeJWTBearer,
		"client_id":           testClient,
		"assertion":           jwtLike("alice"),
		"scope":               "https://graph.microsoft.com/user.read offline_access",
		"requested_token_use": "on_behalf_of",
		"client_secret":       "s3cr3t-value",
		"claims":              `{"access_token":{"xms_cc":{"values":["cp1"]}}}`,
	}
	for k, v := range want {
		if got := form.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if got := c.TokenEndpoint(testTenant); got != f.srv.URL+"/"+testTenant+"/oauth2/v2.0/token" {
		t.Errorf("endpoint %q", got)
	}
}

func TestUsersIsolatedAndScopeOrder(t *testing.T) {
	f := newFakeEndpoint(t)
	c := newTestClient(t, f, newClock(), nil)
	get := func(user string, scopes ...string) string {
		t.Helper()
		tok, err := c.Token(bg, Request{Assertion: jwtLike(user), Scopes: scopes})
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	a1 := get("alice", "User.Read", "Mail.Read")
	b1 := get("bob", "User.Read", "Mail.Read")
	if a1 == b1 || !strings.Contains(a1, "alice") || !strings.Contains(b1, "bob") {
		t.Fatalf("users mixed: %q %q", a1, b1)
	}
	if a2 := get("alice", "mail.read", "USER.READ", "Mail.Read"); a2 != a1 {
		t.Fatalf("scope order/case changed the key: %q vs %q", a2, a1)
	}
	if b2 := get("bob", "Mail.Read User.Read"); b2 != b1 {
		t.Fatalf("bob not served from cache")
	}
	if n := f.calls.Load(); n != 2 {
		t.Fatalf("calls = %d, want 2", n)
	}
	// Same user, new assertion → new token.
	a3 := get("alice-new-assertion", "User.Read", "Mail.Read")
	if a3 == a1 || f.calls.Load() != 3 {
		t.Fatalf("new assertion served the old token")
	}
	// Different scope set → new token.
	if get("alice", "User.Read") == a1 {
		t.Fatal("different scopes served the same token")
	}
}

func TestExpiryMargin(t *testing.T) {
	tests := []struct {
		name      string
		expiresIn int64
		margin    time.Duration // effective
	}{
		{"long-lived uses 5 min", 3600, 5 * time.Minute},
		{"short-lived uses a quarter", 120, 30 * time.Second},
		{"very short", 4, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEndpoint(t)
			f.expiresIn.Store(tt.expiresIn)
			clk := newClock()
			c := newTestClient(t, f, clk, nil)
			req := Request{Assertion: jwtLike("alice"), Scopes: []string{"User.Read"}}
			tok, err := c.Token(bg, req)
			if err != nil {
				t.Fatal(err)
			}
			if want := clk.Now().Add(time.Duration(tt.expiresIn) * time.Second); !tok.ExpiresAt.Equal(want) {
				t.Fatalf("ExpiresAt %v want %v", tok.ExpiresAt, want)
			}
			clk.Add(time.Duration(tt.expiresIn)*time.Second - tt.margin - time.Millisecond)
			tok2, err := c.Token(bg, req)
			if err != nil || tok2.AccessToken != tok.AccessToken {
				t.Fatalf("not served from cache just before the margin")
			}
			clk.Add(time.Millisecond)
			tok3, err := c.Token(bg, req)
			if err != nil || tok3.AccessToken == tok.AccessToken {
				t.Fatalf("served inside the margin")
			}
			if !clk.Now().Before(tok3.ExpiresAt) {
				t.Fatal("served an expired token")
			}
		})
	}
}

func TestSingleFlight1000(t *testing.T) {
	f := newFakeEndpoint(t)
	f.gate = make(chan struct{})
	obs := newObserver()
	c := newTestClient(t, f, newClock(), func(cfg *Config) { cfg.Observer = obs })
	req := Request{Assertion: jwtLike("alice"), Scopes: []string{"User.Read"}}
	const n = 1000
	var wg sync.WaitGroup
	toks := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			tok, err := c.Token(bg, req)
			errs[i] = err
			if tok != nil {
				toks[i] = tok.AccessToken
			}
		})
	}
	// Let the callers pile up behind the one request, then release it.
	deadline := time.Now().Add(10 * time.Second)
	for obs.get(obs.lookups, "miss") == 0 || f.calls.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no request arrived")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(f.gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || toks[i] != toks[0] {
			t.Fatalf("caller %d: %v %q", i, errs[i], toks[i])
		}
	}
	if got := f.calls.Load(); got != 1 {
		t.Fatalf("token requests = %d, want 1", got)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.merges+obs.lookups["l1"] != n-1 || obs.results["success"] != 1 {
		t.Fatalf("merges %d l1 %d results %v", obs.merges, obs.lookups["l1"], obs.results)
	}
}

func TestCancelledLeaderDoesNotFailOthers(t *testing.T) {
	f := newFakeEndpoint(t)
	f.gate = make(chan struct{})
	c := newTestClient(t, f, newClock(), nil)
	req := Request{Assertion: jwtLike("alice"), Scopes: []string{"User.Read"}}
	lctx, cancel := context.WithCancel(bg)
	leaderErr := make(chan error, 1)
	go func() {
		_, err := c.Token(lctx, req)
		leaderErr <- err
	}()
	for f.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { _, errs[i] = c.Token(bg, req) })
	}
	time.Sleep(20 * time.Millisecond)
	cancel()
	// A waiter with its own short deadline gives up alone.
	wctx, wcancel := context.WithTimeout(bg, 10*time.Millisecond)
	defer wcancel()
	if _, err := c.Token(wctx, req); !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || KindOf(err) != KindTimeout {
		t.Fatalf("waiter deadline: %v", err)
	}
	close(f.gate)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("waiter %d failed: %v", i, err)
		}
	}
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v", err)
	}
	if f.calls.Load() != 1 {
		t.Fatalf("calls %d", f.calls.Load())
	}
	// The shared result was cached despite the leader's cancellation.
	if _, err := c.Token(bg, req); err != nil || f.calls.Load() != 1 {
		t.Fatal("result not cached")
	}
}

func TestClaimsChallenge(t *testing.T) {
	f := newFakeEndpoint(t)
	body := readShared(t, "entra", "token-endpoint", "obo-error-interaction_required-AADSTS50079-claims.entra-docs.json")
	f.setHandler(func(w http.ResponseWriter, _ *http.Request, _ url.Values) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		_, _ = w.Write(body)
	})
	c := newTestClient(t, f, newClock(), nil)
	req := Request{Assertion: jwtLike("alice"), Scopes: []string{"User.Read"}}
	_, err := c.Token(bg, req)
	var te *TokenError
	if !errors.As(err, &te) || te.Kind() != KindClaimsChallenge || KindOf(err) != KindClaimsChallenge {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(te.Claims, "polids") || te.ErrorCodes[0] != 50079 || te.TraceID != "b72a68c3-0926-4b8e-bc35-3150069c2800" {
		t.Fatalf("te %+v", te)
	}
	if strings.Contains(err.Error(), "alice") || strings.Contains(err.Error(), "eyJ") {
		t.Fatal("error leaks the assertion")
	}
	// Nothing cached from an error: the next call asks again.
	_, _ = c.Token(bg, req)
	if f.calls.Load() != 2 {
		t.Fatalf("calls %d", f.calls.Load())
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	for _, status := range []int{429, 503} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			f := newFakeEndpoint(t)
			f.setHandler(func(w http.ResponseWriter, _ *http.Request, _ url.Values) {
				w.Header().Set("Retry-After", "30")
				w.WriteHeader(status)
				_, _ = w.Write([]byte(`{"error":"temporarily_unavailable","error_codes":[50196]}`))
			})
			clk := newClock()
			obs := newObserver()
			c := newTestClient(t, f, clk, func(cfg *Config) { cfg.Observer = obs })
			req := Request{Assertion: jwtLike("alice"), Scopes: []string{"User.Read"}}
			_, err := c.Token(bg, req)
			if KindOf(err) != KindThrottled || RetryAfterOf(err) != 30*time.Second {
				t.Fatalf("err %v kind %v ra %v", err, KindOf(err), RetryAfterOf(err))
			}
			clk.Add(10 * time.Second)
			_, err = c.Token(bg, req)
			if KindOf(err) != KindThrottled || RetryAfterOf(err) != 20*time.Second || f.calls.Load() != 1 {
				t.Fatalf("second: %v ra %v calls %d", err, RetryAfterOf(err), f.calls.Load())
			}
			if obs.get(obs.results, "throttled_local") != 1 {
				t.Fatal("local throttle not observed")
			}
			// Another user is not throttled by alice's key.
			_, _ = c.Token(bg, Request{Assertion: jwtLike("bob"), Scopes: []string{"User.Read"}})
			if f.calls.Load() != 2 {
				t.Fatal("bob was throttled by alice's Retry-After")
			}
			f.setHandler(nil)
			clk.Add(20 * time.Second)
			if _, err := c.Token(bg, req); err != nil || f.calls.Load() != 3 {
				t.Fatalf("after Retry-After: %v", err)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	f := newFakeEndpoint(t)
	f.gate = make(chan struct{})
	defer close(f.gate)
	c := newTestClient(t, f, newClock(), func(cfg *Config) { cfg.Timeout = 50 * time.Millisecond })
	_, err := c.Token(bg, Request{Assertion: jwtLike("alice"), Scopes: []string{"User.Read"}})
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || KindOf(err) != KindTimeout {
		t.Fatalf("err %v", err)
	}
}

func TestErrorBodyCappedAndUnavailable(t *testing.T) {
	f := newFakeEndpoint(t)
	f.setHandler(func(w http.ResponseWriter, _ *http.Request, _ url.Values) {
		w.WriteHeader(500)
		_, _ = w.Write([]byte(`{"error":"server_error","error_description":"` + strings.Repeat("x", 200<<10) + `"}`))
	})
	c := newTestClient(t, f, newClock(), nil)
	_, err := c.Token(bg, Request{Assertion: jwtLike("alice"), Scopes: []string{"User.Read"}})
	var te *TokenError
	if !errors.As(err, &te) || te.StatusCode != 500 || len(te.Description) > 1024 || te.Kind() != KindUnavailable || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v %+v", err, te)
	}
	// Transport failure.
	f.srv.Close()
	_, err = c.Token(bg, Request{Assertion: jwtLike("bob"), Scopes: []string{"User.Read"}})
	if !errors.Is(err, ErrUnavailable) || KindOf(err) != KindUnavailable {
		t.Fatalf("closed server: %v", err)
	}
}

func TestInvalidRequests(t *testing.T) {
	f := newFakeEndpoint(t)
	c := newTestClient(t, f, newClock(), nil)
	for name, req := range map[string]Request{
		"no assertion": {Scopes: []string{"a"}},
		"not a jwt":    {Assertion: "abc", Scopes: []string{"a"}},
		"bad chars":    {Assertion: "a b.c\n.d", Scopes: []string{"a"}},
		"huge":         {Assertion: strings.Repeat("a", MaxAssertionBytes) + ".b.c", Scopes: []string{"a"}},
		"no scope":     {Assertion: jwtLike("a"), Scopes: []string{" "}},
		"bad claims":   {Assertion: jwtLike("a"), Scopes: []string{"a"}, Claims: "{"},
		"bad tenant":   {Assertion: jwtLike("a"), Scopes: []string{"a"}, TenantID: "../x"},
		"bad scope":    {Assertion: jwtLike("a"), Scopes: []string{"a\"b"}},
	} {
		if _, err := c.Token(bg, req); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if f.calls.Load() != 0 {
		t.Fatal("invalid request reached the endpoint")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cred, _ := NewClientSecret("x")
	ok := Config{TenantID: testTenant, ClientID: testClient, Credential: cred, Doer: http.DefaultClient}
	for name, mod := range map[string]func(*Config){
		"no doer":       func(c *Config) { c.Doer = nil },
		"no credential": func(c *Config) { c.Credential = nil },
		"no tenant":     func(c *Config) { c.TenantID = "" },
		"bad client":    func(c *Config) { c.ClientID = "a/b" },
		"http remote":   func(c *Config) { c.Instance = "http://login.example.com/" },
		"neg margin":    func(c *Config) { c.Margin = -1 },
	} {
		cfg := ok
		mod(&cfg)
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	c, err := New(ok)
	if err != nil || c.TokenEndpoint("t1") != "https://login.microsoftonline.com/t1/oauth2/v2.0/token" {
		t.Fatalf("%v", err)
	}
}

func TestPerRequestTenant(t *testing.T) {
	f := newFakeEndpoint(t)
	var paths []string
	var mu sync.Mutex
	f.setHandler(func(w http.ResponseWriter, r *http.Request, form url.Values) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		_, _ = w.Write([]byte(`{"token_type":"Bearer","expires_in":3600,"access_token":"t-` + r.URL.Path[1:9] + `"}`))
	})
	c := newTestClient(t, f, newClock(), nil)
	t1, _ := c.Token(bg, Request{Assertion: jwtLike("a"), Scopes: []string{"x"}, TenantID: "99999999-0000-0000-0000-000000000000"})
	t2, _ := c.Token(bg, Request{Assertion: jwtLike("a"), Scopes: []string{"x"}})
	if t1 == nil || t2 == nil || t1.AccessToken == t2.AccessToken || paths[0] != "/99999999-0000-0000-0000-000000000000/oauth2/v2.0/token" {
		t.Fatalf("%v %v %v", t1, t2, paths)
	}
}

func TestRedirectRefused(t *testing.T) {
	other := newFakeEndpoint(t)
	f := newFakeEndpoint(t)
	f.setHandler(func(w http.ResponseWriter, r *http.Request, _ url.Values) {
		http.Redirect(w, r, other.srv.URL+"/elsewhere", http.StatusTemporaryRedirect)
	})
	// A Doer that follows redirects: the answer is refused.
	c := newTestClient(t, f, newClock(), nil)
	if _, err := c.Token(bg, Request{Assertion: jwtLike("a"), Scopes: []string{"x"}}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("followed redirect accepted: %v", err)
	}
	// A Doer that does not follow: a refusal, not a token.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c2 := newTestClient(t, f, newClock(), func(cfg *Config) { cfg.Doer = noFollow })
	_, err := c2.Token(bg, Request{Assertion: jwtLike("b"), Scopes: []string{"x"}})
	var te *TokenError
	if !errors.As(err, &te) || te.StatusCode != 307 || KindOf(err) != KindUnknown {
		t.Fatalf("%v", err)
	}
}

func TestExpiryCountsFromRequestStart(t *testing.T) {
	f := newFakeEndpoint(t)
	clk := newClock()
	start := clk.Now()
	f.setHandler(func(w http.ResponseWriter, _ *http.Request, _ url.Values) {
		clk.Add(10 * time.Second) // a slow answer
		_, _ = w.Write([]byte(`{"token_type":"Bearer","expires_in":3600,"access_token":"a.b.c"}`))
	})
	c := newTestClient(t, f, clk, nil)
	tok, err := c.Token(bg, Request{Assertion: jwtLike("a"), Scopes: []string{"x"}})
	if err != nil || !tok.ExpiresAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("%v %v", err, tok)
	}
}

func TestConcurrentUsersNeverMixed(t *testing.T) {
	f := newFakeEndpoint(t)
	c := newTestClient(t, f, newClock(), func(cfg *Config) {
		cfg.L2 = &fakeL2{m: map[string][]byte{}}
	})
	const users, per = 40, 25
	var wg sync.WaitGroup
	errs := make(chan error, users*per)
	for u := range users {
		for range per {
			wg.Go(func() {
				a := jwtLike(fmt.Sprint("user", u, "x"))
				tok, err := c.Token(bg, Request{Assertion: a, Scopes: []string{"User.Read"}})
				if err != nil {
					errs <- err
					return
				}
				if !strings.Contains(tok.AccessToken, "."+fmt.Sprint("user", u, "x")+".") {
					errs <- fmt.Errorf("user %d got %q", u, tok.AccessToken)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := f.calls.Load(); n != users {
		t.Fatalf("calls %d, want %d (one per user)", n, users)
	}
}
