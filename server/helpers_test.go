package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/entragate/entragate/config"
	"github.com/entragate/entragate/emulator"
)

// startEmulator runs the demo emulator on an httptest server.
func startEmulator(t *testing.T) (*emulator.Emulator, *httptest.Server) {
	t.Helper()
	emu, err := emulator.New(emulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	emu.SetBaseURL(srv.URL)
	return emu, srv
}

// userToken gets a demo user's access token for the demo API (password grant).
func userToken(t *testing.T, emu *emulator.Emulator) string {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "client_id": {emulator.DemoClientAppID},
		"username": {emulator.DemoUser}, "password": {emulator.DemoPassword}, "scope": {emulator.DemoAPIScope}}
	resp, err := http.Post(emu.TokenEndpoint(emulator.DemoTenantID), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || ans.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return ans.AccessToken
}

// demoConfig is a validated config pointing at the emulator.
func demoConfig(t *testing.T, base string, extra string) *config.Config {
	t.Helper()
	y := `
AzureAd:
  Instance: ` + base + `/
  TenantId: ` + emulator.DemoTenantID + `
  ClientId: ` + emulator.DemoAPIClientID + `
  RequiredScopes: [access_as_user]
  ClientCredentials:
    - SourceType: ClientSecret
      ClientSecretEnv: TEST_SECRET
DownstreamApis:
  MicrosoftGraph:
    BaseUrl: ` + base + `/v1.0
    Scopes: [https://graph.microsoft.com/User.Read]
` + extra
	c, err := config.Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var demoEnv = env(map[string]string{"TEST_SECRET": emulator.DemoAPIClientSecret})

func get(h http.Handler, path, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
