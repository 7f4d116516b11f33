package e2etest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entragate/entragate/edge"
	"github.com/entragate/entragate/edge/internal/workerdtest"
	"github.com/entragate/entragate/emulator"
	"github.com/entragate/entragate/server"
)

var client = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256},
}

type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

func call(t testing.TB, base, path, token string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Errorf("GET %s: %v", path, err)
		return answer{}
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return answer{res.StatusCode, res.Header, body}
}

// env is an emulator on loopback plus the bindings that point a Worker at it.
type env struct {
	emu      *emulator.Emulator
	srv      *httptest.Server
	bindings map[string]string
	certPEM  string // the emulator's certificate when served over TLS
	skew     *atomic.Int64
	// intercept, when set, sees every request to the emulator first and
	// answers it instead when it returns true (faults the emulator lacks).
	intercept atomic.Pointer[func(http.ResponseWriter, *http.Request) bool]
}

func newEnv(t *testing.T, l2 string) *env { return newEnvTLS(t, l2, false) }

func newEnvTLS(t *testing.T, l2 string, useTLS bool) *env {
	t.Helper()
	skew := new(atomic.Int64) // shifts the emulator's clock, to mint expired tokens
	e, err := emulator.New(emulator.Config{Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	if err != nil {
		t.Fatal(err)
	}
	ev := &env{emu: e, skew: skew}
	emu := e.Handler()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := ev.intercept.Load(); f != nil && (*f)(w, r) {
			return
		}
		emu.ServeHTTP(w, r)
	}))
	certPEM := ""
	if useTLS {
		srv.StartTLS()
		certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	e.SetBaseURL(srv.URL)
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i*7 + 3)
	}
	b := map[string]string{
		edge.BindInstance:       srv.URL + "/",
		edge.BindTenantID:       emulator.DemoTenantID,
		edge.BindClientID:       emulator.DemoAPIClientID,
		edge.BindAudiences:      emulator.DemoAPIClientID + "," + emulator.DemoAPIAppIDURI,
		edge.BindClientSecret:   emulator.DemoAPIClientSecret,
		edge.BindGraphBaseURL:   srv.URL + "/v1.0",
		edge.BindGraphScopes:    "https://graph.microsoft.com/User.Read",
		edge.BindCacheKind:      l2,
		edge.BindCacheKeys:      "k1:" + base64.StdEncoding.EncodeToString(key),
		edge.BindCacheKV:        "TOKEN_CACHE",
		edge.BindLogLevel:       "warn",
		edge.BindDebugStats:     "true",
		edge.BindRequestTimeout: "30000", // the machine may be loaded
		edge.BindCacheL2Timeout: "5s",
		edge.BindRequiredScopes: emulator.DemoScope,
	}
	ev.srv, ev.bindings, ev.certPEM = srv, b, certPEM
	return ev
}

// appToken is an app-only token of the demo daemon (client credentials).
func (e *env) appToken(t testing.TB) string {
	t.Helper()
	return e.token(t, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {emulator.DemoDaemonClientID},
		"client_secret": {emulator.DemoDaemonClientSecret}, "scope": {emulator.DemoAPIAppIDURI + "/.default"},
	})
}

// expiredToken is a user token issued two hours ago.
func (e *env) expiredToken(t testing.TB) string {
	t.Helper()
	e.skew.Store(int64(-2 * time.Hour))
	defer e.skew.Store(0)
	return e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
}

// userToken signs in user with the password grant of the demo public client.
func (e *env) userToken(t testing.TB, user, scope string) string {
	t.Helper()
	return e.token(t, url.Values{
		"grant_type": {"password"}, "client_id": {emulator.DemoClientAppID},
		"username": {user}, "password": {emulator.DemoPassword}, "scope": {scope},
	})
}

func (e *env) token(t testing.TB, form url.Values) string {
	t.Helper()
	endpoint := e.srv.URL + "/" + emulator.DemoTenantID + "/oauth2/v2.0/token" // the server this env started
	res, err := e.httpClient().PostForm(endpoint, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ans struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error_description"`
	}
	if err := json.NewDecoder(res.Body).Decode(&ans); err != nil || ans.AccessToken == "" {
		t.Fatalf("%s grant: %d %v %s", form.Get("grant_type"), res.StatusCode, err, ans.Error)
	}
	return ans.AccessToken
}

func (e *env) httpClient() *http.Client {
	if e.certPEM != "" {
		return e.srv.Client()
	}
	return client
}

// native is the native gateway (package server, as cmd/entragate runs it)
// built from the same configuration the Worker maps its bindings onto.
func (e *env) native(t *testing.T) *httptest.Server {
	t.Helper()
	s, err := edge.FromBindings(e.bindings)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{
		Config: s.Config, Logger: slog.New(slog.DiscardHandler), HTTPClient: e.httpClient(),
		LookupEnv: func(k string) (string, bool) { v, ok := e.bindings[k]; return v, ok },
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs
}

func (e *env) worker(t *testing.T, stateDir string) *workerdtest.Worker {
	t.Helper()
	w := e.startWorker(t, stateDir, []string{"TOKEN_CACHE"}, true)
	cold := w.WaitReady(t, "/healthz", 30*time.Second)
	t.Logf("cold start (workerd launch to first 200): %s", cold)
	return w
}

// readyWorker is worker, then waits until /readyz answers 200: the
// isolate's signing keys are loaded. Until then a cold isolate answers
// authenticated requests 503 (keys not loaded yet), and on a loaded machine
// that takes seconds; tests that fire concurrent load right after start
// need it. /readyz fetches keys (metadata + JWKS) only, never a token: OBO
// counts are unaffected.
func (e *env) readyWorker(t *testing.T, stateDir string) *workerdtest.Worker {
	t.Helper()
	w := e.worker(t, stateDir)
	ready := w.WaitReady(t, "/readyz", 60*time.Second)
	t.Logf("keys loaded (workerd launch to /readyz 200): %s", ready)
	return w
}

// startWorker launches the gateway Worker with the given KV namespaces and
// Cache API, without waiting for it.
func (e *env) startWorker(t *testing.T, stateDir string, kv []string, cache bool) *workerdtest.Worker {
	t.Helper()
	bin := workerdtest.Binary(t, edgeDir)
	r := build(t, "./edge/cmd/worker")
	cfg := workerdtest.Config{
		Workerd: bin, Dist: r.OutDir, Text: e.bindings, KV: kv, Cache: cache, StateDir: stateDir,
	}
	if e.certPEM != "" {
		cfg.TrustedCertsPEM = []string{e.certPEM}
	}
	return workerdtest.Start(t, cfg)
}

// firstAnswer polls path until workerd answers at all (any status).
func firstAnswer(t *testing.T, w *workerdtest.Worker, path string) answer {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := client.Get(w.URL + path)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
			res.Body.Close()
			return answer{res.StatusCode, res.Header, body}
		}
		if time.Now().After(deadline) {
			t.Fatalf("workerd did not answer: %v\n%s", err, w.Logs())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) oboRequests() float64 { return e.emu.TokenRequests("on_behalf_of", "") }

// tamper flips one signature character.
func tamper(tok string) string {
	i := len(tok) - 5
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// same compares two answers: status, the headers clients rely on, body.
func same(t *testing.T, what string, native, worker answer) {
	t.Helper()
	if native.Status != worker.Status {
		t.Errorf("%s: status native %d, worker %d (%s)", what, native.Status, worker.Status, worker.Body)
		return
	}
	for _, h := range []string{"Content-Type", "Www-Authenticate", "Cache-Control", "Retry-After"} {
		if native.Header.Get(h) != worker.Header.Get(h) {
			t.Errorf("%s: %s native %q, worker %q", what, h, native.Header.Get(h), worker.Header.Get(h))
		}
	}
	if !jsonEqual(native.Body, worker.Body) {
		t.Errorf("%s: body differs\nnative: %s\nworker: %s", what, native.Body, worker.Body)
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
