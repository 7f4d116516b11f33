package emulator

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sharedData is the path of a file under /work/shared/testdata, relative to
// this package (emulator/ is one level below the repo root).
func sharedData(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "shared", "testdata"}, parts...)...)
}

func readShared(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(sharedData(parts...))
	if err != nil {
		t.Fatalf("shared test data missing: %v", err)
	}
	return b
}

type testEnv struct {
	e   *Emulator
	srv *httptest.Server
	now *time.Time
}

func newEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	now := time.Now().Truncate(time.Second)
	env := &testEnv{now: &now}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return *env.now }
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env.e = e
	env.srv = httptest.NewServer(e.Handler())
	t.Cleanup(env.srv.Close)
	e.SetBaseURL(env.srv.URL)
	return env
}

func (env *testEnv) advance(d time.Duration) { *env.now = env.now.Add(d) }

type tokenResp struct {
	status int
	header http.Header
	body   map[string]any
}

func (r tokenResp) str(k string) string { s, _ := r.body[k].(string); return s }

func (env *testEnv) post(t *testing.T, tenant string, form url.Values) tokenResp {
	t.Helper()
	resp, err := http.PostForm(env.srv.URL+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("token endpoint answered non-JSON (%d): %q", resp.StatusCode, b)
	}
	return tokenResp{status: resp.StatusCode, header: resp.Header, body: m}
}

func passwordForm(user, scope string) url.Values {
	return url.Values{
		"grant_type": {"password"}, "client_id": {DemoClientAppID},
		"username": {user}, "password": {DemoPassword}, "scope": {scope},
	}
}

func oboForm(assertion, scope string) url.Values {
	return url.Values{
		"grant_type": {grantJWTBearer}, "requested_token_use": {"on_behalf_of"},
		"client_id": {DemoAPIClientID}, "client_secret": {DemoAPIClientSecret},
		"assertion": {assertion}, "scope": {scope},
	}
}

// userToken gets a demo API token for user by the password grant.
func (env *testEnv) userToken(t *testing.T, user string) string {
	t.Helper()
	r := env.post(t, DemoTenantID, passwordForm(user, DemoAPIScope))
	if r.status != 200 {
		t.Fatalf("password grant: %d %v", r.status, r.body)
	}
	return r.str("access_token")
}

func decodeJWT(t *testing.T, tok string) (hdr, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT")
	}
	for i, dst := range []*map[string]any{&hdr, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return hdr, claims
}

func getJSON(t *testing.T, u string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("GET %s: non-JSON %q", u, b)
	}
	return resp.StatusCode, m
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
