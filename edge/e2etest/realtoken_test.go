package e2etest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entragate/entragate/edge"
)

// shared is ../shared/testdata relative to the repository root.
var shared = filepath.Join("..", "..", "..", "shared", "testdata")

func readShared(t *testing.T, rel string) []byte {
	t.Helper()
	p, err := os.ReadFile(filepath.Join(shared, rel))
	if err != nil {
		t.Fatalf("shared test data missing: %v", err)
	}
	return p
}

// TestWorkerRealMicrosoftToken: a real token signed by Microsoft (a Key
// Vault access token from 2019, expired) against its real key. The
// validator checks the signature before the time claims, so "token_expired"
// (not "signature_invalid") proves the RS256 verification of a real Entra
// signature inside wasm; a one-character change must be "signature_invalid".
// Native and Worker must agree.
func TestWorkerRealMicrosoftToken(t *testing.T) {
	keys := readShared(t, "entra/jwks/nbCwW11w3XkB-key.reformatted-from-js.json")
	tok := strings.TrimSpace(string(readShared(t, "entra/tokens/keyvault-doc-2019-nbCwW11w3XkB.jwt")))
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(keys)
	}))
	t.Cleanup(jwks.Close)
	e := &env{bindings: map[string]string{
		edge.BindTenantID:  "72f988bf-86f1-41af-91ab-2d7cd011db47",
		edge.BindClientID:  "11111111-2222-3333-4444-555555555555",
		edge.BindAudiences: "https://vault.azure.net",
		edge.BindJWKSURL:   jwks.URL + "/keys",
	}}
	w := e.worker(t, "")
	native := e.native(t)
	for _, c := range []struct{ name, token, reason string }{
		{"real token", tok, "token_expired"},
		{"real token, one character changed", tamper(tok), "signature_invalid"},
	} {
		n, wk := call(t, native.URL, "/me", c.token), call(t, w.URL, "/me", c.token)
		if wk.Status != 401 || !strings.Contains(string(wk.Body)+wk.Header.Get("WWW-Authenticate"), c.reason) {
			t.Errorf("%s: worker = %d %s %s, want 401 %s", c.name, wk.Status, wk.Header.Get("WWW-Authenticate"), wk.Body, c.reason)
		}
		same(t, c.name, n, wk)
	}
}
