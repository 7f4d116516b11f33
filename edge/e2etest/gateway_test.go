package e2etest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
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
}

func newEnv(t *testing.T, l2 string) *env { return newEnvTLS(t, l2, false) }

func newEnvTLS(t *testing.T, l2 string, useTLS bool) *env {
	t.Helper()
	skew := new(atomic.Int64) // shifts the emulator's clock, to mint expired tokens
	e, err := emulator.New(emulator.Config{Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(e.Handler())
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
		edge.BindRequiredScopes: emulator.DemoScope,
	}
	return &env{emu: e, srv: srv, bindings: b, certPEM: certPEM, skew: skew}
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
	bin := workerdtest.Binary(t, edgeDir)
	r := build(t, "./edge/cmd/worker")
	cfg := workerdtest.Config{
		Workerd: bin, Dist: r.OutDir, Text: e.bindings, KV: []string{"TOKEN_CACHE"}, Cache: true, StateDir: stateDir,
	}
	if e.certPEM != "" {
		cfg.TrustedCertsPEM = []string{e.certPEM}
	}
	w := workerdtest.Start(t, cfg)
	cold := w.WaitReady(t, "/healthz", 30*time.Second)
	t.Logf("cold start (workerd launch to first 200): %s", cold)
	return w
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

func TestWorkerMatchesNativeGateway(t *testing.T) {
	e := newEnv(t, edge.L2KV)
	w := e.worker(t, "")
	native := e.native(t)
	alice := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	otherAPI := e.userToken(t, emulator.DemoUser, emulator.DemoShortLivedAppIDURI+"/"+emulator.DemoScope)
	expired := e.expiredToken(t)
	appOnly := e.appToken(t)
	other, err := emulator.New(emulator.Config{}) // same claims, signed by a key the Worker does not know
	if err != nil {
		t.Fatal(err)
	}
	otherSrv := httptest.NewServer(other.Handler())
	t.Cleanup(otherSrv.Close)
	other.SetBaseURL(e.srv.URL) // same issuer
	foreign := (&env{emu: other, srv: otherSrv}).token(t, url.Values{
		"grant_type": {"password"}, "client_id": {emulator.DemoClientAppID},
		"username": {emulator.DemoUser}, "password": {emulator.DemoPassword}, "scope": {emulator.DemoAPIScope},
	})

	cases := []struct {
		name, path, token string
		want              int
	}{
		{"me valid", "/me", alice, 200},
		{"graph me valid", "/graph/me", alice, 200},
		{"no token", "/me", "", 401},
		{"garbage token", "/me", "abc.def.ghi", 401},
		{"not a JWT", "/graph/me", "notajwt", 401},
		{"bad signature", "/me", tamper(alice), 401},
		{"wrong audience", "/me", otherAPI, 401},
		{"expired", "/me", expired, 401},
		{"expired graph", "/graph/me", expired, 401},
		{"unknown signing key", "/me", foreign, 401},
		{"app-only token lacks the scope", "/me", appOnly, 403},
		{"app-only token on graph", "/graph/me", appOnly, 403},
		{"healthz", "/healthz", "", 200},
		{"unknown route", "/nope", alice, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, wk := call(t, native.URL, c.path, c.token), call(t, w.URL, c.path, c.token)
			if wk.Status != c.want {
				t.Errorf("worker %s = %d, want %d: %s", c.path, wk.Status, c.want, wk.Body)
			}
			same(t, c.name, n, wk)
		})
	}
	t.Run("readyz once keys are loaded", func(t *testing.T) {
		n, wk := call(t, native.URL, "/readyz", ""), call(t, w.URL, "/readyz", "")
		var nb, wb struct {
			Status string
			Keys   int
		}
		_ = json.Unmarshal(n.Body, &nb)
		_ = json.Unmarshal(wk.Body, &wb)
		if n.Status != 200 || wk.Status != 200 || nb != wb || wb.Status != "ready" {
			t.Fatalf("readyz native %d %s, worker %d %s", n.Status, n.Body, wk.Status, wk.Body)
		}
	})
}

// TestWorkerOverTLS: Entra ID is https; the Worker trusts the emulator's
// self-signed certificate through tlsOptions.trustedCertificates.
func TestWorkerOverTLS(t *testing.T) {
	e := newEnvTLS(t, edge.L2KV, true)
	w := e.worker(t, "")
	native := e.native(t)
	alice := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	for _, path := range []string{"/me", "/graph/me"} {
		n, wk := call(t, native.URL, path, alice), call(t, w.URL, path, alice)
		if wk.Status != 200 {
			t.Fatalf("worker %s over TLS = %d %s", path, wk.Status, wk.Body)
		}
		same(t, path, n, wk)
	}
}

func TestWorkerConcurrentOBOIsSingleFlight(t *testing.T) {
	e := newEnv(t, edge.L2KV)
	w := e.worker(t, "")
	bob := e.userToken(t, emulator.DemoUser2, emulator.DemoAPIScope)
	before := e.oboRequests()
	const n = 200
	var wg sync.WaitGroup
	codes := make(chan answer, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- call(t, w.URL, "/graph/me", bob)
		}()
	}
	wg.Wait()
	close(codes)
	bad := 0
	for a := range codes {
		if a.Status != 200 {
			if bad < 3 {
				t.Errorf("/graph/me = %d %s", a.Status, a.Body)
			}
			bad++
		}
	}
	if got := e.oboRequests() - before; got != 1 {
		t.Errorf("OBO requests for %d concurrent /graph/me = %v, want 1", n, got)
	}
	if bad > 0 {
		t.Fatalf("%d of %d failed", bad, n)
	}
}

func TestWorkerMixedLoad(t *testing.T) {
	e := newEnv(t, edge.L2Cache)
	w := e.worker(t, "")
	alice := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	bob := e.userToken(t, emulator.DemoUser2, emulator.DemoAPIScope)
	kinds := []struct {
		path, token string
		want        int
	}{
		{"/me", alice, 200},
		{"/graph/me", alice, 200},
		{"/graph/me", bob, 200},
		{"/me", "", 401},
		{"/me", tamper(bob), 401},
		{"/graph/me", "x.y.z", 401},
		{"/healthz", "", 200},
	}
	const total, conc = 1000, 40
	jobs := make(chan int)
	var mu sync.Mutex
	wrong := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				k := kinds[j%len(kinds)]
				a := call(t, w.URL, k.path, k.token)
				if a.Status != k.want {
					mu.Lock()
					wrong[fmt.Sprintf("%s want %d got %d", k.path, k.want, a.Status)]++
					mu.Unlock()
				}
			}
		}()
	}
	for j := 0; j < total; j++ {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	if len(wrong) > 0 {
		t.Fatalf("wrong statuses: %v", wrong)
	}
	if got := e.oboRequests(); got != 2 {
		t.Errorf("OBO requests = %v, want 2 (one per user)", got)
	}
}

func TestWorkerL2SurvivesRestart(t *testing.T) {
	for _, l2 := range []string{edge.L2KV, edge.L2Cache} {
		t.Run(l2, func(t *testing.T) {
			e := newEnv(t, l2)
			state := t.TempDir()
			w := e.worker(t, state)
			alice := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
			if a := call(t, w.URL, "/graph/me", alice); a.Status != 200 {
				t.Fatalf("/graph/me = %d %s", a.Status, a.Body)
			}
			w.Stop()
			w2 := e.worker(t, state) // new isolate: empty L1, same L2
			if a := call(t, w2.URL, "/graph/me", alice); a.Status != 200 {
				t.Fatalf("/graph/me after restart = %d %s", a.Status, a.Body)
			}
			if got := e.oboRequests(); got != 1 {
				t.Errorf("OBO requests = %v, want 1 (second isolate served from the %s L2)", got, l2)
			}
		})
	}
}

// TestWorkerLatency measures (does not assert) the first request of an
// isolate and warm latencies.
func TestWorkerLatency(t *testing.T) {
	e := newEnv(t, edge.L2KV)
	{
		bin := workerdtest.Binary(t, edgeDir)
		r := build(t, "./edge/cmd/worker")
		fresh := workerdtest.Start(t, workerdtest.Config{Workerd: bin, Dist: r.OutDir, Text: e.bindings, KV: []string{"TOKEN_CACHE"}})
		time.Sleep(2 * time.Second) // let workerd finish starting, so the first request measures Go's start
		var first, second time.Duration
		for i, d := range []*time.Duration{&first, &second} {
			start := time.Now()
			if a := call(t, fresh.URL, "/healthz", ""); a.Status != 200 {
				t.Fatalf("/healthz #%d = %d", i+1, a.Status)
			}
			*d = time.Since(start)
		}
		t.Logf("first request of an isolate (starts Go, builds the gateway): %s; the next: %s", first.Round(time.Microsecond), second.Round(time.Microsecond))
		fresh.Stop()
	}
	w := e.worker(t, "")
	alice := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	for _, path := range []string{"/me", "/graph/me"} {
		start := time.Now()
		call(t, w.URL, path, alice) // warm: keys, OBO token cached
		t.Logf("first %s (fetches %s): %s", path, map[string]string{"/me": "metadata + keys", "/graph/me": "OBO token"}[path], time.Since(start).Round(time.Microsecond))
		var d []time.Duration
		for i := 0; i < 300; i++ {
			start := time.Now()
			if a := call(t, w.URL, path, alice); a.Status != 200 {
				t.Fatalf("%s = %d", path, a.Status)
			}
			d = append(d, time.Since(start))
		}
		slices.Sort(d)
		t.Logf("warm %s latency over %d sequential requests: p50 %s, p99 %s (client-side, loopback, includes the emulator's Graph for /graph/me)",
			path, len(d), d[len(d)/2].Round(time.Microsecond), d[len(d)*99/100].Round(time.Microsecond))
	}
}

// TestWorkerSize is the size budget: worker.wasm + wasm_exec.js + shim,
// each gzip -9, at most 2.5 MB.
func TestWorkerSize(t *testing.T) {
	r := build(t, "./edge/cmd/worker")
	const budget = 2_500_000
	t.Logf("worker size: wasm %d bytes; wasm + JS gzip -9 %d bytes (%.2f MB, budget %.1f MB)", r.WasmBytes, r.GzipBytes, float64(r.GzipBytes)/1e6, float64(budget)/1e6)
	if r.GzipBytes > budget {
		t.Fatalf("worker is %d bytes compressed, over the %d budget", r.GzipBytes, budget)
	}
}

// BenchmarkNativeCoreMe: the wired core (validation with a warm key set and
// verified-token cache) serving /me natively, for comparison with the
// Worker's warm latency.
func BenchmarkNativeCoreMe(b *testing.B) {
	e, err := emulator.New(emulator.Config{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	e.SetBaseURL(srv.URL)
	s, err := edge.FromBindings(map[string]string{
		edge.BindInstance: srv.URL + "/", edge.BindTenantID: emulator.DemoTenantID, edge.BindClientID: emulator.DemoAPIClientID,
	})
	if err != nil {
		b.Fatal(err)
	}
	core, err := edge.NewCore(s, edge.Deps{Doer: client})
	if err != nil {
		b.Fatal(err)
	}
	env := &env{emu: e, srv: srv}
	tok := env.userToken(b, emulator.DemoUser, emulator.DemoAPIScope)
	req := httptest.NewRequest(http.MethodGet, "/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		core.Handler.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("/me = %d %s", rec.Code, rec.Body)
		}
	}
}

// TestWorkerMatchesNativeOnFailures: OBO and Graph failures map to the
// same answers at the edge as natively.
func TestWorkerMatchesNativeOnFailures(t *testing.T) {
	e := newEnv(t, edge.L2KV)
	w := e.worker(t, "")
	native := e.native(t)
	cases := []struct {
		name  string
		user  string
		setup func()
		undo  func()
	}{
		{"mfa required (claims challenge)", emulator.DemoUser2,
			func() { must(t, e.emu.SetRequireMFA(emulator.DemoUser2, true)) },
			func() { must(t, e.emu.SetRequireMFA(emulator.DemoUser2, false)) }},
		{"consent refused", emulator.DemoUser,
			func() { must(t, e.emu.SetRefuseConsent(emulator.DemoAPIClientID, true)) },
			func() { must(t, e.emu.SetRefuseConsent(emulator.DemoAPIClientID, false)) }},
		{"token endpoint throttled", emulator.DemoUser,
			func() {
				e.emu.SetThrottle(emulator.Throttle{Count: 2, GrantType: "on_behalf_of", RetryAfter: 7 * time.Second})
			},
			func() { e.emu.ClearThrottle() }},
		{"graph unavailable", emulator.DemoUser,
			func() {
				e.emu.SetGraphFault(emulator.GraphFault{Count: 2, Status: 503, RetryAfter: 3 * time.Second})
			},
			func() { e.emu.SetGraphFault(emulator.GraphFault{}) }},
		{"graph forbidden", emulator.DemoUser,
			func() { e.emu.SetGraphFault(emulator.GraphFault{Count: 2, Status: 403}) },
			func() { e.emu.SetGraphFault(emulator.GraphFault{}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := e.userToken(t, c.user, emulator.DemoAPIScope) // a fresh token: no cached OBO answer
			c.setup()
			defer c.undo()
			n, wk := call(t, native.URL, "/graph/me", tok), call(t, w.URL, "/graph/me", tok)
			if wk.Status < 400 {
				t.Fatalf("worker answered %d %s", wk.Status, wk.Body)
			}
			same(t, c.name, n, wk)
			t.Logf("%s → %d %s", c.name, wk.Status, wk.Body)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWorkerKeyRotation: a token signed with a key published after the
// isolate loaded its set is accepted through keysource's unknown-kid
// refresh; a token signed with the withdrawn key and not seen before is
// refused. (A token already verified stays in validate's verified-token
// cache until it expires, natively too.)
func TestWorkerKeyRotation(t *testing.T) {
	e := newEnv(t, edge.L2None)
	w := e.worker(t, "")
	native := e.native(t)
	old := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	unseen := e.userToken(t, emulator.DemoUser2, emulator.DemoAPIScope) // same old key, not yet presented
	for _, base := range []string{w.URL, native.URL} {
		if a := call(t, base, "/me", old); a.Status != 200 {
			t.Fatalf("/me = %d %s", a.Status, a.Body)
		}
	}
	e.emu.RotateKeys(true) // new signing key; the old one is withdrawn
	fresh := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	for _, c := range []struct {
		name, token string
		want        int
	}{
		{"new key", fresh, 200},
		{"withdrawn key", unseen, 401},
		{"already verified", old, 200},
	} {
		n, wk := call(t, native.URL, "/me", c.token), call(t, w.URL, "/me", c.token)
		if wk.Status != c.want {
			t.Errorf("%s: worker /me = %d %s", c.name, wk.Status, wk.Body)
		}
		same(t, c.name, n, wk)
	}
}
