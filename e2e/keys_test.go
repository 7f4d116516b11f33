package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entragate/entragate/authority"
	"github.com/entragate/entragate/emulator"
	"github.com/entragate/entragate/jwk"
)

// TestKeyRotationWhileServing: requests keep flowing while the emulator
// rotates its signing key; a token signed with the new key is accepted on
// its first request (unknown kid → one refresh).
func TestKeyRotationWhileServing(t *testing.T) {
	e := newEnv(t, envOpts{})
	old := e.token(t, emulator.DemoUser, "", "")
	if a := e.get(t, "/me", old); a.status != 200 {
		t.Fatal(a.status)
	}
	oldKid := e.emu.SigningKeyID()
	stop := make(chan struct{})
	var failures atomic.Int64
	var total atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if a := e.get(t, "/me", old); a.status != 200 {
					failures.Add(1)
				}
				total.Add(1)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	e.emu.RotateKeys(false)
	if e.emu.SigningKeyID() == oldKid {
		t.Fatal("no rotation")
	}
	fresh := e.token(t, emulator.DemoUser, "", "")
	a := e.get(t, "/graph/me", fresh)
	if a.status != 200 {
		t.Fatalf("first request with the new key: %d %s", a.status, a.body)
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failures.Load() != 0 || total.Load() == 0 {
		t.Fatalf("%d of %d requests failed during rotation", failures.Load(), total.Load())
	}
}

// TestStartupKeysDown: with the key server down, protected routes answer
// 503 + Retry-After; once it is back (and the retry is due), 200.
func TestStartupKeysDown(t *testing.T) {
	clk := newClock()
	emu, emuSrv := newEmulator(t, clk.Now)
	var down atomic.Bool
	down.Store(true)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() && (strings.Contains(r.URL.Path, "/discovery/") || strings.Contains(r.URL.Path, "/.well-known/")) {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		emu.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	emu.SetBaseURL(front.URL)
	cfg := gatewayConfig(t, envOpts{instance: front.URL, clientID: emulator.DemoAPIClientID,
		graphBase: front.URL + "/v1.0", graphScope: "https://graph.microsoft.com/User.Read"})
	_, gw := newGateway(t, cfg, emulator.DemoAPIClientSecret, clk.Now)
	e := &env{emu: emu, emuSrv: emuSrv, gw: gw, clock: clk}
	tok := e.token(t, emulator.DemoUser, "", "")

	for i := 0; i < 2; i++ {
		a := e.get(t, "/graph/me", tok)
		ra, err := strconv.Atoi(a.header.Get("Retry-After"))
		if a.status != 503 || err != nil || ra < 1 || a.json(t)["error"] != "temporarily_unavailable" {
			t.Fatalf("keys down: %d %q %s", a.status, a.header.Get("Retry-After"), a.body)
		}
	}
	if a := e.get(t, "/readyz", ""); a.status != 503 || a.header.Get("Retry-After") == "" {
		t.Fatalf("readyz while down: %d", a.status)
	}
	down.Store(false)
	var a answer
	for i := 0; i < 40; i++ { // retries are scheduled on the injected clock
		if a = e.get(t, "/graph/me", tok); a.status == 200 {
			break
		}
		if a.status != 503 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		t.Logf("attempt %d: %d retry-after %s", i, a.status, a.header.Get("Retry-After"))
		clk.Advance(5 * time.Second)
	}
	if a.status != 200 {
		t.Fatalf("keys back: %d %s", a.status, a.body)
	}
	if a := e.get(t, "/readyz", ""); a.status != 200 {
		t.Fatalf("readyz: %d", a.status)
	}
}

// TestDiscoveryDocuments feeds Microsoft's real metadata and key sets and
// the emulator's own (over HTTP) through the same discovery code.
func TestDiscoveryDocuments(t *testing.T) {
	read := func(parts ...string) []byte {
		t.Helper()
		b, err := os.ReadFile(shared(parts...))
		if err != nil {
			t.Fatal(err) // the shared artifacts are part of the test
		}
		return b
	}
	metas := map[string][]byte{}
	for _, f := range []string{"entra-v2-common.panva-wellknown.json", "entra-v2-organizations.panva-wellknown.json",
		"entra-v2-common.identitymodel-2024-07-22.json", "entra-v1-common.identitymodel-2024-07-22.json",
		"entra-v2-tenant-72f988bf.azure-sdk-js-recording-2021-06-18.json"} {
		metas["real/"+f] = read("entra", "metadata", f)
	}
	sets := map[string][]byte{}
	for _, f := range []string{"entra-v2-common-keys.panva-wellknown.json", "entra-v2-organizations-keys.panva-wellknown.json",
		"entra-v2-common-keys.identitymodel-2024-07-22.json", "entra-v1-common-keys.identitymodel-2024-07-22.json",
		"aad-2014-JsonWebKeySet.identitymodel-test.json", "nbCwW11w3XkB-key.reformatted-from-js.json"} {
		sets["real/"+f] = read("entra", "jwks", f)
	}
	_, emuSrv := newEmulator(t, time.Now)
	for _, v2 := range []bool{true, false} {
		name := "emulator/v1"
		if v2 {
			name = "emulator/v2"
		}
		a := get(t, authority.MetadataURL(emuSrv.URL, emulator.DemoTenantID, v2), "")
		if a.status != 200 {
			t.Fatalf("%s metadata: %d", name, a.status)
		}
		metas[name] = a.body
		md, err := authority.ParseMetadata(a.body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		k := get(t, md.JWKSURI, "")
		if k.status != 200 {
			t.Fatalf("%s keys: %d", name, k.status)
		}
		sets[name] = k.body
	}
	for name, b := range metas {
		md, err := authority.ParseMetadata(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if md.Issuer == "" || md.JWKSURI == "" {
			t.Errorf("%s: issuer %q jwks_uri %q", name, md.Issuer, md.JWKSURI)
		}
		if strings.HasPrefix(name, "emulator/v2") && md.Issuer != emuSrv.URL+"/"+emulator.DemoTenantID+"/v2.0" {
			t.Errorf("%s issuer %q", name, md.Issuer)
		}
	}
	for name, b := range sets {
		set, err := jwk.Parse(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if set.Len() == 0 {
			t.Errorf("%s: no keys", name)
		}
		for _, k := range set.Keys() {
			if k.Public == nil || k.Public.N.BitLen() < 2048 {
				t.Errorf("%s: weak key %s", name, k.Kid)
			}
		}
	}
	// A broken document is refused by the same code.
	if _, err := authority.ParseMetadata([]byte(`{"issuer":"https://x/"}`)); !errors.Is(err, authority.ErrMalformedMetadata) {
		t.Fatal(err)
	}
}

// TestGenuineMicrosoftToken runs a real Microsoft-signed token through the
// validator construction the gateway uses (server.New from a config with
// the token's key set as file): accepted inside its lifetime with its own
// aud/iss, refused as expired today — both directly and through GET /me.
func TestGenuineMicrosoftToken(t *testing.T) {
	raw, err := os.ReadFile(shared("entra", "tokens", "keyvault-doc-2019-nbCwW11w3XkB.jwt"))
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(string(raw))
	keyFile := shared("entra", "jwks", "nbCwW11w3XkB-key.reformatted-from-js.json")
	if _, err := os.Stat(keyFile); err != nil {
		t.Fatal(err)
	}
	cfgYAML := `
AzureAd:
  TenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47
  ClientId: cfa8b339-82a2-471a-a3c9-0fc0be7a4093
  Audience: https://vault.azure.net
  JwksFile: ` + keyFile + `
`
	for _, tc := range []struct {
		name   string
		now    time.Time
		status int
		reason string
	}{
		{"inside lifetime", time.Date(2019, 1, 28, 18, 0, 0, 0, time.UTC), 200, ""},
		{"today", time.Now(), 401, "token_expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := func() time.Time { return tc.now }
			cfg := mustParse(t, cfgYAML)
			s, gw := newGateway(t, cfg, "", now)
			res, err := s.Validator.Validate(context.Background(), tok)
			if tc.status == 200 {
				if err != nil {
					t.Fatal(err)
				}
				if res.Issuer != "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/" || res.Audience != "https://vault.azure.net" || res.Version != "1.0" {
					t.Fatalf("%+v", res)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("want %s, got %v", tc.reason, err)
			}
			a := get(t, gw.URL+"/me", tok)
			if a.status != tc.status {
				t.Fatalf("/me: %d %s", a.status, a.body)
			}
			if tc.status == 200 && a.json(t)["claims"].(map[string]any)["aud"] != "https://vault.azure.net" {
				t.Fatal(string(a.body))
			}
			if tc.status == 401 && !strings.Contains(a.header.Get("WWW-Authenticate"), `error_description="token_expired: `) {
				t.Fatal(a.header.Get("WWW-Authenticate"))
			}
		})
	}
}
