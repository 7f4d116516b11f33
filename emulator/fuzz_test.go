package emulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzTokenForm throws arbitrary form bodies at the token endpoint: it must
// always answer JSON with an expected status and never panic.
func FuzzTokenForm(f *testing.F) {
	f.Add("grant_type=password&client_id=" + DemoClientAppID + "&username=alice&password=" + DemoPassword + "&scope=" + DemoAPIScope)
	f.Add("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&requested_token_use=on_behalf_of&assertion=a.b.c&scope=User.Read&client_id=" + DemoAPIClientID + "&client_secret=x")
	f.Add("grant_type=client_credentials&scope=%2F.default&client_id=" + DemoDaemonClientID)
	f.Add("grant_type=refresh_token&refresh_token=1.A&client_id=" + DemoClientAppID)
	f.Add("%zz&&==;")
	e, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	h := e.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/" + DemoTenantID + "/oauth2/v2.0/token", "/common/oauth2/v2.0/token", "/" + DemoTenantID + "/oauth2/token"} {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch rec.Code {
			case 200, 400, 401, 429:
			default:
				t.Fatalf("status %d", rec.Code)
			}
			var m map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatalf("non-JSON answer: %v", err)
			}
		}
	})
}

// FuzzVerifyJWT feeds arbitrary strings to the emulator's own JWT verifier
// (used for OBO assertions and Graph tokens): no panic, no acceptance.
func FuzzVerifyJWT(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
	f.Add("a.b.c")
	f.Add("eyJ0eXAiOiJKV1QiLCJub25jZSI6IngiLCJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.e30.")
	f.Add("")
	e, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := e.verifyJWT(raw); err == nil {
			t.Fatal("forged token accepted")
		}
	})
}

// FuzzParseConfig: arbitrary YAML must not panic the parser.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("tenants: []"))
	f.Add([]byte("keyGrace: 5m\ntenants:\n  - id: 6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\n    apps: [{clientId: x}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseConfig(data)
	})
}
