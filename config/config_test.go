package config

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const minimal = `
AzureAd:
  TenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47
  ClientId: 11111111-2222-3333-4444-555555555555
`

func TestLoadFull(t *testing.T) {
	c, err := LoadFile(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := c.Graph()
	if !ok || g.BaseUrl != "https://graph.microsoft.com/v1.0" || g.Timeout != 5*time.Second || g.MaxBodyBytes != DefaultDownstreamMaxBody {
		t.Fatalf("graph %+v", g)
	}
	if c.Server.IdleTimeout != time.Minute || c.Server.ReadTimeout != DefaultReadTimeout || !c.Keys.FailOnStartup {
		t.Fatalf("server/keys %+v %+v", c.Server, c.Keys)
	}
	if c.TokenCache.Redis.KeyPrefix != DefaultRedisPrefix || c.TokenCache.Redis.Timeout != DefaultRedisTimeout {
		t.Fatalf("redis %+v", c.TokenCache.Redis)
	}
	if len(c.AzureAd.AllAudiences()) != 2 || c.Logging.Format != "text" {
		t.Fatal("audiences/logging")
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if c.AzureAd.Instance != DefaultInstance || c.Server.Listen != DefaultListen || c.Validation.MaxTokenSize != DefaultMaxTokenSize ||
		c.Keys.RefreshInterval != DefaultRefreshInterval || c.Validation.Algorithms[0] != "RS256" || c.Logging.Level != "info" {
		t.Fatalf("%+v", c)
	}
	if _, ok := c.Graph(); ok {
		t.Fatal("graph configured by default")
	}
	again := *c
	again.SetDefaults()
	if again.AzureAd.Instance != DefaultInstance {
		t.Fatal("not idempotent")
	}
}

func TestInstanceSlash(t *testing.T) {
	c, err := Parse([]byte(minimal + "  Instance: http://127.0.0.1:8081\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.AzureAd.Instance != "http://127.0.0.1:8081/" {
		t.Fatal(c.AzureAd.Instance)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		wants []string // substrings of the error
		is    error
	}{
		{"empty", "", []string{"empty"}, ErrSyntax},
		{"unknown key", minimal + "  ClientSecret: nope\n", []string{"line 5", "ClientSecret"}, ErrSyntax},
		{"unknown section", minimal + "Bogus: 1\n", []string{"line 5", "Bogus"}, ErrSyntax},
		{"bad duration", minimal + "Server:\n  IdleTimeout: soon\n", []string{"line 6"}, ErrSyntax},
		{"duplicate key", minimal + "  ClientId: 11111111-2222-3333-4444-555555555556\n", []string{"line 5", "already defined"}, ErrSyntax},
		{"two docs", minimal + "---\nAzureAd: {}\n", []string{"more than one"}, ErrSyntax},
		{"missing ids", "Logging: {Level: info}\n", []string{"AzureAd.TenantId: is required", "AzureAd.ClientId: is required"}, ErrInvalid},
		{"bad guid", "AzureAd: {TenantId: common, ClientId: nope}\n", []string{"AzureAd.ClientId: \"nope\" is not a GUID", "AllowedTenants"}, ErrInvalid},
		{"http instance", minimal + "  Instance: http://login.example.com/\n", []string{"AzureAd.Instance", "non-loopback"}, ErrInvalid},
		{"both audiences", minimal + "  Audience: a\n  Audiences: [b]\n", []string{"not both"}, ErrInvalid},
		{"graph without credential", minimal + "DownstreamApis:\n  MicrosoftGraph:\n    Scopes: [https://graph.microsoft.com/User.Read]\n", []string{"ClientCredentials"}, ErrInvalid},
		{"secret without env", minimal + "  ClientCredentials:\n    - SourceType: ClientSecret\n", []string{"ClientSecretEnv: is required"}, ErrInvalid},
		{"bad source", minimal + "  ClientCredentials:\n    - SourceType: KeyVault\n", []string{"\"KeyVault\" is not"}, ErrInvalid},
		{"no scopes", minimal + "  ClientCredentials: [{SourceType: ClientSecret, ClientSecretEnv: X}]\nDownstreamApis:\n  Other:\n    BaseUrl: https://x.example.com\n", []string{"DownstreamApis.Other.Scopes"}, ErrInvalid},
		{"alg none", minimal + "Validation:\n  Algorithms: [none, HS256]\n", []string{"\"none\" is not", "\"HS256\" is not"}, ErrInvalid},
		{"negative", minimal + "Server:\n  IdleTimeout: -1s\n", []string{"Server.IdleTimeout: must be a positive"}, ErrInvalid},
		{"bad listen", minimal + "Server:\n  Listen: nowhere\n", []string{"Server.Listen"}, ErrInvalid},
		{"small header", minimal + "Server:\n  MaxHeaderBytes: 8192\n", []string{"too small"}, ErrInvalid},
		{"redis pw", minimal + "TokenCache:\n  Redis: {URL: \"redis://:pw@h:6379\"}\n", []string{"holds a password", "EncryptionKeysEnv: is required"}, ErrInvalid},
		{"logging", minimal + "Logging: {Level: loud, Format: xml}\n", []string{"Logging.Level", "Logging.Format"}, ErrInvalid},
		{"both versions off", minimal + "  AcceptV1: false\n  AcceptV2: false\n", []string{"both false"}, ErrInvalid},
		{"allowed single", minimal + "  AllowedTenants: [72f988bf-86f1-41af-91ab-2d7cd011db47]\n", []string{"only applies"}, ErrInvalid},
		{"personal tenant", "AzureAd: {TenantId: 9188040D-6c67-4c5b-b112-36a304b66dad, ClientId: 11111111-2222-3333-4444-555555555555}\n",
			[]string{"AzureAd.TenantId: 9188040D-6c67-4c5b-b112-36a304b66dad is the tenant of personal Microsoft accounts", "consumers"}, ErrInvalid},
		{"organizations personal", "AzureAd: {TenantId: organizations, ClientId: 11111111-2222-3333-4444-555555555555, AllowedTenants: [72f988bf-86f1-41af-91ab-2d7cd011db47, 9188040d-6c67-4c5b-b112-36a304b66dad]}\n",
			[]string{"AzureAd.AllowedTenants[1]: 9188040d-6c67-4c5b-b112-36a304b66dad is the personal-account tenant", "never accepts"}, ErrInvalid},
		{"metrics path", minimal + "Server: {MetricsPath: metrics}\n", []string{`Server.MetricsPath: "metrics" must be an absolute path`}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, tc.is) {
				t.Fatalf("%v is not %v", err, tc.is)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestMultiTenantOK(t *testing.T) {
	for _, y := range []string{
		"AzureAd: {TenantId: organizations, ClientId: 11111111-2222-3333-4444-555555555555, AllowedTenants: [72f988bf-86f1-41af-91ab-2d7cd011db47]}",
		"AzureAd: {TenantId: common, ClientId: 11111111-2222-3333-4444-555555555555, AllowAnyTenant: true}",
		"AzureAd: {TenantId: contoso.onmicrosoft.com, ClientId: 11111111-2222-3333-4444-555555555555}",
		// common accepts personal accounts: their tenant may be listed.
		"AzureAd: {TenantId: common, ClientId: 11111111-2222-3333-4444-555555555555, AllowedTenants: [9188040d-6c67-4c5b-b112-36a304b66dad]}",
		"AzureAd: {TenantId: consumers, ClientId: 11111111-2222-3333-4444-555555555555}",
	} {
		if _, err := Parse([]byte(y)); err != nil {
			t.Errorf("%s: %v", y, err)
		}
	}
}

// TestMetricsPath: the metrics path is a literal, clean path that cannot
// shadow a gateway route (a protected one would then answer metrics
// without a token) nor make http.ServeMux panic.
func TestMetricsPath(t *testing.T) {
	for _, p := range []string{"/metrics", "/-/metrics", "/internal/metrics", "/_m.v1~x", "/mex", "/me-metrics", "/graphx", "/healthz2"} {
		if err := CheckMetricsPath(p); err != nil {
			t.Errorf("%s refused: %v", p, err)
		}
		if _, err := Parse([]byte(minimal + "Server: {MetricsPath: \"" + p + "\"}\n")); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for p, want := range map[string]string{
		"":               "must be an absolute path",
		"metrics":        "must be an absolute path",
		"GET /metrics":   "must be an absolute path",
		"example.com/m":  "must be an absolute path",
		"/":              "would capture every route",
		"//":             "would capture every route",
		"/m etrics":      "may hold only",
		"/metrics/{x}":   "may hold only",
		"/metrics/{$}":   "may hold only",
		"/metrics?x=1":   "may hold only",
		"/metrics#x":     "may hold only",
		"/m%65trics":     "may hold only",
		"/metrics\t":     "may hold only",
		"/metrics/":      `not a clean path`,
		"//metrics":      `not a clean path`,
		"/a/../metrics":  `not a clean path`,
		"/./metrics":     `not a clean path`,
		"/me":            "overlaps",
		"/me/":           "overlaps",
		"/me/metrics":    "overlaps",
		"/graph":         "overlaps",
		"/graph/":        "overlaps",
		"/graph/me":      "overlaps",
		"/graph/metrics": "overlaps",
		"//graph//x":     "overlaps",
		"/healthz":       "overlaps",
		"/readyz":        "overlaps",
		"/readyz/x":      "overlaps",
	} {
		err := CheckMetricsPath(p)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", p, err, want)
			continue
		}
		if p == "" {
			continue // unset: the default /metrics
		}
		y := minimal + "Server: {MetricsPath: " + strconv.Quote(p) + "}\n"
		_, perr := Parse([]byte(y))
		if !errors.Is(perr, ErrInvalid) || !strings.Contains(perr.Error(), "Server.MetricsPath: ") ||
			!strings.Contains(perr.Error(), want) || strings.Contains(perr.Error(), "\n") {
			t.Errorf("%q: Parse: %v", p, perr)
		}
	}
}

func TestLoadFileErrors(t *testing.T) {
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", MaxFileSize+10)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(big); !errors.Is(err, ErrSyntax) {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{minimal, "AzureAd: {TenantId: common}", "Server: {Listen: ':0'}", "a: [", "- 1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err == nil && (c.AzureAd.ClientId == "" || c.Validate() != nil) {
			t.Fatal("accepted an invalid config")
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error %q", err)
		}
	})
}

func TestDerived(t *testing.T) {
	c, err := Parse([]byte(minimal + "  RequiredScopes: [access_as_user]\n"))
	if err != nil {
		t.Fatal(err)
	}
	meta, jwks, file := c.KeySource()
	if meta != "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/.well-known/openid-configuration" || jwks != "" || file != "" {
		t.Fatal(meta, jwks, file)
	}
	vc := c.ValidatorConfig(nil, time.Now)
	if vc.ClientID != c.AzureAd.ClientId || vc.MaxTokenSize != DefaultMaxTokenSize || vc.Algorithms[0] != "RS256" {
		t.Fatalf("%+v", vc)
	}
	if r := c.Requirement(); len(r.AnyScopes) != 1 || c.MultiTenant() {
		t.Fatal(r)
	}
	c.AzureAd.JwksUrl = "https://keys.example.com/keys"
	if _, jwks, _ := c.KeySource(); jwks == "" {
		t.Fatal("JwksUrl ignored")
	}
}
