package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entragate/entragate/emulator"
)

func TestServerGraphMe(t *testing.T) {
	emu, srv := startEmulator(t)
	s, err := New(Options{Config: demoConfig(t, srv.URL, ""), LookupEnv: demoEnv, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	if rec := get(h, "/readyz", ""); rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("readyz before keys: %d", rec.Code)
	}
	tok := userToken(t, emu)
	rec := get(h, "/graph/me", tok)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), emulator.DemoAliceObjectID) || !strings.Contains(rec.Body.String(), "displayName") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if rec := get(h, "/me", tok); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"scp":"access_as_user"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if rec := get(h, "/readyz", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ready"`) {
		t.Fatalf("readyz: %d %s", rec.Code, rec.Body)
	}
	m := get(h, "/metrics", "").Body.String()
	for _, want := range []string{`entragate_http_requests_total{code="200",route="/graph/me"} 1`, `entragate_obo_token_requests_total{result="success"} 1`,
		`entragate_key_set_loaded{source="entra"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestServerErrors(t *testing.T) {
	_, srv := startEmulator(t)
	if _, err := New(Options{}); !errors.Is(err, ErrConfig) {
		t.Fatal(err)
	}
	_, err := New(Options{Config: demoConfig(t, srv.URL, ""), LookupEnv: env(nil), Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "TEST_SECRET is not set") {
		t.Fatal(err)
	}
}

func TestFailOnStartup(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	c := demoConfig(t, dead, "Keys:\n  FailOnStartup: true\n  StartupTimeout: 2s\n")
	s, err := New(Options{Config: c, LookupEnv: demoEnv, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background(), nil); !errors.Is(err, ErrKeysAtStartup) {
		t.Fatal(err)
	}
}

func TestRunGracefulShutdown(t *testing.T) {
	emu, srv := startEmulator(t)
	s, err := New(Options{Config: demoConfig(t, srv.URL, "Keys:\n  FailOnStartup: true\n"), LookupEnv: demoEnv, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	tok := userToken(t, emu)
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/graph/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	var resp *http.Response
	for i := 0; i < 50; i++ {
		if resp, err = http.DefaultClient.Do(req); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown")
	}
}

func TestAccessLog(t *testing.T) {
	emu, srv := startEmulator(t)
	var buf strings.Builder
	var mu sync.Mutex
	s, err := New(Options{Config: demoConfig(t, srv.URL, "Logging: {AccessLog: true}\n"), LookupEnv: demoEnv,
		Logger: slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	tok := userToken(t, emu)
	get(s.Handler(), "/me?access_token="+tok, tok)
	get(s.Handler(), "/nope", "")
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	// Unknown paths are logged as "other" (a client may put a token there).
	if !strings.Contains(out, `"path":"/me","path_len":3,"status":200`) || !strings.Contains(out, `"path":"other","path_len":5,"status":404`) {
		t.Fatal(out)
	}
	if strings.Contains(out, tok[:30]) || strings.Contains(out, "access_token") {
		t.Fatal("token or query logged")
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestLimit(t *testing.T) {
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(1)
	h := limit(1, 2*time.Second, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Done()
		<-release
	}))
	done := make(chan struct{})
	go func() { get(h, "/", ""); close(done) }()
	started.Wait()
	rec := get(h, "/", "")
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "2" {
		t.Fatal(rec.Code, rec.Header())
	}
	close(release)
	<-done
}

// TestGraphRedirectNotFollowed: a Graph redirect to another origin (here
// another port on the same host, where net/http would keep the
// Authorization header) receives nothing; the gateway answers 502. Also
// with a caller-supplied HTTPClient that follows redirects.
func TestGraphRedirectNotFollowed(t *testing.T) {
	emu, srv := startEmulator(t)
	var mu sync.Mutex
	var hits []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"stolen"}`)
	}))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/v1.0/me", http.StatusFound)
	}))
	defer redirector.Close()
	tok := userToken(t, emu)
	for name, hc := range map[string]*http.Client{"default client": nil, "HTTPClient option": http.DefaultClient} {
		t.Run(name, func(t *testing.T) {
			c := demoConfig(t, srv.URL, "")
			g := c.DownstreamApis["MicrosoftGraph"]
			g.BaseUrl = redirector.URL + "/v1.0"
			c.DownstreamApis["MicrosoftGraph"] = g
			s, err := New(Options{Config: c, LookupEnv: demoEnv, Logger: slog.New(slog.DiscardHandler), HTTPClient: hc})
			if err != nil {
				t.Fatal(err)
			}
			rec := get(s.Handler(), "/graph/me", tok)
			if rec.Code != 502 || !strings.Contains(rec.Body.String(), `"error":"downstream_error"`) ||
				!strings.Contains(rec.Body.String(), "302 Found (a redirect)") || strings.Contains(rec.Body.String(), "stolen") {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(hits) != 0 {
				t.Fatalf("redirect target reached: %q", hits)
			}
		})
	}
}

// TestMetricsMethods: metrics answer GET and HEAD only; other methods get
// 405 + Allow as a problem body.
func TestMetricsMethods(t *testing.T) {
	_, srv := startEmulator(t)
	s, err := New(Options{Config: demoConfig(t, srv.URL, "Server: {MetricsPath: /-/prom}\n"), LookupEnv: demoEnv, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"GET", "HEAD"} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(m, "/-/prom", nil))
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
			t.Fatalf("%s: %d %v", m, rec.Code, rec.Header())
		}
	}
	for _, m := range []string{"DELETE", "POST", "PUT", "PATCH", "OPTIONS"} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(m, "/-/prom", nil))
		if rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD" || rec.Header().Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(rec.Body.String(), `"error":"method_not_allowed"`) || strings.Contains(rec.Body.String(), "entragate_") {
			t.Fatalf("%s: %d %v %s", m, rec.Code, rec.Header(), rec.Body)
		}
	}
	if rec := get(s.Handler(), "/metrics", ""); rec.Code != 404 {
		t.Fatalf("default path still served: %d", rec.Code)
	}
}

// TestMetricsPathNeverPanics: a MetricsPath that slipped past validation
// (a hand-built config) is an ErrConfig from New, never a ServeMux panic,
// and never shadows a gateway route.
func TestMetricsPathNeverPanics(t *testing.T) {
	_, srv := startEmulator(t)
	for _, p := range []string{"/", "/m etrics", "GET /metrics", "/me", "/graph/", "/graph/me", "/healthz", "/readyz", "/x/{id}", "metrics"} {
		c := demoConfig(t, srv.URL, "")
		c.Server.MetricsPath = p
		s, err := New(Options{Config: c, LookupEnv: demoEnv, Logger: slog.New(slog.DiscardHandler)})
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "Server.MetricsPath") || s != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
	// DisableMetrics: the path is not routed at all.
	c := demoConfig(t, srv.URL, "Server: {DisableMetrics: true}\n")
	c.Server.MetricsPath = "/"
	if _, err := New(Options{Config: c, LookupEnv: demoEnv, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	// Registration errors are returned, not panics.
	ok := http.NotFoundHandler()
	for _, routes := range [][]muxRoute{
		{{"/a", ok}, {"/a", ok}},
		{{"/", ok}, {"/", ok}},
		{{"/m etrics", ok}},
		{{"/x/{", ok}},
	} {
		if _, err := newMux(routes); err == nil || !strings.Contains(err.Error(), "cannot route") {
			t.Errorf("%v: %v", routes, err)
		}
	}
}

// TestLimitBypassAndCounted: with every slot taken by a slow /graph/me,
// /healthz, /readyz and the metrics still answer; /me gets 503 overloaded
// and that refusal is counted in entragate_http_requests_total.
func TestLimitBypassAndCounted(t *testing.T) {
	emu, srv := startEmulator(t)
	s, err := New(Options{Config: demoConfig(t, srv.URL, "Server: {MaxConcurrent: 1}\nKeys: {RetryAfter: 3s}\n"), LookupEnv: demoEnv,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	tok := userToken(t, emu)
	if rec := get(h, "/me", tok); rec.Code != 200 { // loads the keys
		t.Fatal(rec.Code, rec.Body)
	}
	emu.SetDelay(0, 1500*time.Millisecond)
	done := make(chan int, 1)
	go func() { done <- get(h, "/graph/me", tok).Code }()
	// Probe only once the slow request holds the only slot (its OBO exchange
	// is done and Graph is answering slowly): probing earlier could take the
	// slot first and turn the slow request itself away.
	deadline := time.Now().Add(5 * time.Second)
	for emu.TokenRequests("on_behalf_of", "ok") < 1 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	var rec *httptest.ResponseRecorder
	for {
		if rec = get(h, "/me", tok); rec.Code == 503 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "3" || !strings.Contains(rec.Body.String(), `"error":"overloaded"`) {
		t.Fatalf("/me while busy: %d %s", rec.Code, rec.Body)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if r := get(h, p, ""); r.Code != 200 {
			t.Errorf("%s while busy: %d %s", p, r.Code, r.Body)
		}
	}
	if r := get(h, "/nope", ""); r.Code != 503 {
		t.Errorf("/nope while busy: %d", r.Code)
	}
	m := get(h, "/metrics", "").Body.String()
	for _, want := range []string{`entragate_http_requests_total{code="503",route="/me"} `, `entragate_http_requests_total{code="503",route="other"} 1`,
		`entragate_http_requests_total{code="200",route="/healthz"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if code := <-done; code != 200 {
		t.Fatalf("slow /graph/me: %d", code)
	}
	if r := get(h, "/me", tok); r.Code != 200 {
		t.Fatalf("/me after: %d", r.Code)
	}
}

// TestAnswersOutsideProblemJSON pins what docs/configuration.md says about
// the answers that are not problem+json with an error code: the no-token
// 401 (RFC 6750 §3.1), net/http's 431, ServeMux's 307 path cleaning.
func TestAnswersOutsideProblemJSON(t *testing.T) {
	_, srv := startEmulator(t)
	s, err := New(Options{Config: demoConfig(t, srv.URL, "Server: {MaxHeaderBytes: 20000}\n"), LookupEnv: demoEnv, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	defer func() { cancel(); <-done }()
	base := "http://" + ln.Addr().String()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(path string, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		var resp *http.Response
		for i := 0; i < 50; i++ {
			if resp, err = noFollow.Do(req); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := send("/me", nil)
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != "Bearer" || resp.Header.Get("Content-Type") != "application/problem+json" ||
		strings.Contains(body, `"error"`) || !strings.Contains(body, `"status":401`) {
		t.Fatalf("no token: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, body = send("/me", map[string]string{"X-Big": strings.Repeat("a", 30000)})
	if resp.StatusCode != 431 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("large header: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	for path, loc := range map[string]string{"//me": "/me", "/graph/../me": "/me", "/./healthz?a=1": "/healthz?a=1"} {
		c, err := net.Dial("tcp", ln.Addr().String()) // the path is sent as is
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path)
		r, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		c.Close()
		if r.StatusCode != 307 || r.Header.Get("Location") != loc || r.Header.Get("Content-Type") == "application/problem+json" {
			t.Errorf("%s: %d %v", path, r.StatusCode, r.Header)
		}
	}
}
