package e2e

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entragate/entragate/config"
	"github.com/entragate/entragate/emulator"
	"github.com/entragate/entragate/server"
)

// clock is a settable clock shared by the emulator and the gateway.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Truncate(time.Second)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// env is the emulator plus a gateway wired to it.
type env struct {
	emu    *emulator.Emulator
	emuSrv *httptest.Server
	srv    *server.Server
	gw     *httptest.Server
	clock  *clock
}

type envOpts struct {
	clientID, secret string // the gateway's API (default the demo API)
	graphBase        string // default the emulator's Graph
	graphScope       string // default Graph User.Read
	instance         string // default the emulator
	extraYAML        string
	graphTimeout     string // DownstreamApis.MicrosoftGraph.Timeout, e.g. "300ms"
	clock            *clock // default real time
}

func shared(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "shared", "testdata"}, parts...)...)
}

// newEmulator starts the demo emulator on an httptest server.
func newEmulator(t *testing.T, now func() time.Time) (*emulator.Emulator, *httptest.Server) {
	t.Helper()
	emu, err := emulator.New(emulator.Config{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	emu.SetBaseURL(srv.URL)
	return emu, srv
}

// gatewayConfig is the YAML a user would write for the emulator.
func gatewayConfig(t *testing.T, o envOpts) *config.Config {
	t.Helper()
	y := `
AzureAd:
  Instance: ` + o.instance + `/
  TenantId: ` + emulator.DemoTenantID + `
  ClientId: ` + o.clientID + `
  RequiredScopes: [access_as_user]
  ClientCredentials:
    - SourceType: ClientSecret
      ClientSecretEnv: E2E_CLIENT_SECRET
DownstreamApis:
  MicrosoftGraph:
    BaseUrl: ` + o.graphBase + `
    Scopes: [` + o.graphScope + `]
` + graphTimeoutYAML(o.graphTimeout) + `Logging: {Level: debug}
` + o.extraYAML
	c, err := config.Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newGateway builds the gateway from a config (as `entragate serve` does)
// and serves its handler on an httptest server.
func newGateway(t *testing.T, cfg *config.Config, secret string, now func() time.Time) (*server.Server, *httptest.Server) {
	t.Helper()
	s, err := server.New(server.Options{Config: cfg, Now: now, Logger: slog.New(slog.DiscardHandler),
		LookupEnv: func(k string) (string, bool) { return secret, k == "E2E_CLIENT_SECRET" }})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(s.Handler())
	t.Cleanup(gw.Close)
	return s, gw
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	e := &env{clock: o.clock}
	now := time.Now
	if o.clock != nil {
		now = o.clock.Now
	}
	e.emu, e.emuSrv = newEmulator(t, now)
	if o.clientID == "" {
		o.clientID, o.secret = emulator.DemoAPIClientID, emulator.DemoAPIClientSecret
	}
	if o.graphBase == "" {
		o.graphBase = e.emuSrv.URL + "/v1.0"
	}
	if o.graphScope == "" {
		o.graphScope = "https://graph.microsoft.com/User.Read"
	}
	if o.instance == "" {
		o.instance = e.emuSrv.URL
	}
	e.srv, e.gw = newGateway(t, gatewayConfig(t, o), o.secret, now)
	return e
}

// token gets an access token for scope (default the demo API) by the
// password grant; claims is an optional claims request (step-up).
func (e *env) token(t *testing.T, user, scope, claims string) string {
	t.Helper()
	if scope == "" {
		scope = emulator.DemoAPIScope
	}
	form := url.Values{"grant_type": {"password"}, "client_id": {emulator.DemoClientAppID},
		"username": {user}, "password": {emulator.DemoPassword}, "scope": {scope}}
	if claims != "" {
		form.Set("claims", claims)
	}
	resp, err := http.Post(e.emu.TokenEndpoint(emulator.DemoTenantID), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		AccessToken string `json:"access_token"`
	}
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &ans); err != nil || ans.AccessToken == "" {
		t.Fatalf("token for %s: %d %s", scope, resp.StatusCode, body)
	}
	return ans.AccessToken
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("not JSON (%d): %s", a.status, a.body)
	}
	return m
}

func (e *env) get(t *testing.T, path, token string) answer {
	t.Helper()
	return get(t, e.gw.URL+path, token)
}

func get(t *testing.T, u, token string) answer {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// oboOK is the number of successful OBO requests the emulator answered.
func (e *env) oboOK() float64 { return e.emu.TokenRequests("on_behalf_of", "ok") }

// emuMetric sums a counter of the emulator's Prometheus registry over the
// series whose labels include all of want.
func (e *env) emuMetric(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := e.emu.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue series
				}
			}
			n += m.GetCounter().GetValue()
		}
	}
	return n
}

func mustParse(t *testing.T, y string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newServerEnv builds a gateway with the given environment variables and
// returns its URL.
func newServerEnv(t *testing.T, cfg *config.Config, vars map[string]string) (string, error) {
	t.Helper()
	s, err := server.New(server.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler),
		LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { _ = s.Close() })
	gw := httptest.NewServer(s.Handler())
	t.Cleanup(gw.Close)
	return gw.URL, nil
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// grep returns the lines of s holding sub (for failure messages).
func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func graphTimeoutYAML(d string) string {
	if d == "" {
		return ""
	}
	return "    Timeout: " + d + "\n"
}
