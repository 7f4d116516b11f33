package authority

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func shared(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "shared", "testdata", "entra", "metadata", name))
	if err != nil {
		t.Fatalf("shared test data missing: %v", err)
	}
	return b
}

func TestParseRealMetadata(t *testing.T) {
	cases := []struct{ file, issuer string }{
		{"entra-v2-common.panva-wellknown.json", "https://login.microsoftonline.com/{tenantid}/v2.0"},
		{"entra-v2-organizations.panva-wellknown.json", "https://login.microsoftonline.com/{tenantid}/v2.0"},
		{"entra-v2-common.identitymodel-2024-07-22.json", "https://login.microsoftonline.com/{tenantid}/v2.0"},
		{"entra-v1-common.identitymodel-2024-07-22.json", "https://sts.windows.net/{tenantid}/"},
		{"entra-v2-tenant-72f988bf.azure-sdk-js-recording-2021-06-18.json", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			m, err := ParseMetadata(shared(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if m.Issuer != tc.issuer || !strings.HasPrefix(m.JWKSURI, "https://login.microsoftonline.com/") {
				t.Fatalf("%+v", m)
			}
			// The issuer in the document equals our template for the public cloud.
			tm := IssuerTemplates(PublicCloud)
			want := FillTenant(tm.V2, "72f988bf-86f1-41af-91ab-2d7cd011db47")
			if strings.Contains(m.Issuer, "sts.windows.net") {
				want = FillTenant(tm.V1, "72f988bf-86f1-41af-91ab-2d7cd011db47")
			}
			if FillTenant(m.Issuer, "72f988bf-86f1-41af-91ab-2d7cd011db47") != want {
				t.Fatalf("issuer %s does not follow the template %s", m.Issuer, want)
			}
		})
	}
}

// The B2C document is a PHP var_export; extract its string members.
func TestParseB2CFromPHP(t *testing.T) {
	php := shared(t, "b2c-custom-policy.itk-dev-cacheTest.php")
	re := regexp.MustCompile(`'([a-z_]+)' => '([^']*)'`)
	doc := map[string]string{}
	for _, m := range re.FindAllSubmatch(php, -1) {
		doc[string(m[1])] = string(m[2])
	}
	b, _ := json.Marshal(doc)
	m, err := ParseMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(m.Issuer, "/v2.0/") {
		t.Fatalf("B2C issuer %s", m.Issuer)
	}
	tm := IssuerTemplates("https://aarhuskommunetest.b2clogin.com/")
	if FillTenant(tm.V2, "8719d819-a3ee-4a5a-a776-d1911eaaa5ed") != m.Issuer || tm.V1 != "" {
		t.Fatalf("b2c template %+v vs %s", tm, m.Issuer)
	}
}

func TestInstanceDiscovery(t *testing.T) {
	clouds, err := ParseInstanceDiscovery(shared(t, "entra-instance-discovery.azure-sdk-js-recording-2021-06-18.json"))
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[string]bool{}
	for _, c := range clouds {
		hosts[c.PreferredNetwork] = true
	}
	for _, h := range []string{"login.microsoftonline.com", "login.partner.microsoftonline.cn", "login.microsoftonline.us"} {
		if !hosts[h] {
			t.Errorf("missing cloud %s in %v", h, hosts)
		}
	}
}

func TestParseMetadataRules(t *testing.T) {
	cases := []struct {
		name, doc string
		ok        bool
	}{
		{"ok", `{"issuer":"https://a/{tenantid}/v2.0","jwks_uri":"https://a/keys"}`, true},
		{"loopback http", `{"issuer":"http://127.0.0.1:8081/t/v2.0","jwks_uri":"http://localhost:8081/t/keys"}`, true},
		{"no issuer", `{"jwks_uri":"https://a/keys"}`, false},
		{"no jwks", `{"issuer":"https://a/"}`, false},
		{"http remote", `{"issuer":"https://a/","jwks_uri":"http://a/keys"}`, false},
		{"relative", `{"issuer":"https://a/","jwks_uri":"/keys"}`, false},
		{"bad token endpoint", `{"issuer":"https://a/","jwks_uri":"https://a/k","token_endpoint":"ftp://x"}`, false},
		{"not json", `<html>`, false},
		{"trailing", `{"issuer":"https://a/","jwks_uri":"https://a/k"} {}`, false},
		{"wrong type", `{"issuer":1,"jwks_uri":"https://a/k"}`, false},
	}
	for _, tc := range cases {
		_, err := ParseMetadata([]byte(tc.doc))
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrMalformedMetadata)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestIssuerTemplates(t *testing.T) {
	const tid = "tid"
	cases := []struct{ instance, v1, v2 string }{
		{PublicCloud, "https://sts.windows.net/tid/", "https://login.microsoftonline.com/tid/v2.0"},
		{"https://login.windows.net/", "https://sts.windows.net/tid/", "https://login.microsoftonline.com/tid/v2.0"},
		{USGovernment, "https://sts.windows.net/tid/", "https://login.microsoftonline.us/tid/v2.0"},
		{China, "https://sts.chinacloudapi.cn/tid/", "https://login.partner.microsoftonline.cn/tid/v2.0"},
		{ChinaPartner, "https://sts.chinacloudapi.cn/tid/", "https://login.partner.microsoftonline.cn/tid/v2.0"},
		{"http://127.0.0.1:8081/", "http://127.0.0.1:8081/tid/", "http://127.0.0.1:8081/tid/v2.0"},
		{"https://contoso.b2clogin.com/", "", "https://contoso.b2clogin.com/tid/v2.0/"},
		{"https://contoso.ciamlogin.com/", "", "https://tid.ciamlogin.com/tid/v2.0"},
	}
	for _, tc := range cases {
		tm := IssuerTemplates(tc.instance)
		if FillTenant(tm.V1, tid) != tc.v1 || FillTenant(tm.V2, tid) != tc.v2 {
			t.Errorf("%s: %+v", tc.instance, tm)
		}
	}
}

func TestURLs(t *testing.T) {
	if got := MetadataURL("https://login.microsoftonline.com", "common", true); got != "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration" {
		t.Error(got)
	}
	if got := MetadataURL(PublicCloud, "t", false); got != "https://login.microsoftonline.com/t/.well-known/openid-configuration" {
		t.Error(got)
	}
	if got := TokenEndpoint("http://127.0.0.1:8081/", "t"); got != "http://127.0.0.1:8081/t/oauth2/v2.0/token" {
		t.Error(got)
	}
	if got := KeysURL(PublicCloud, "t", true); got != "https://login.microsoftonline.com/t/discovery/v2.0/keys" {
		t.Error(got)
	}
}

func TestNormalizeInstance(t *testing.T) {
	cases := []struct{ in, out string }{
		{"", PublicCloud},
		{"https://login.microsoftonline.com", PublicCloud},
		{"https://LOGIN.microsoftonline.com/", PublicCloud},
		{"http://127.0.0.1:8081", "http://127.0.0.1:8081/"},
		{"http://localhost:1/x", "http://localhost:1/x/"},
		{"http://login.microsoftonline.com/", ""},
		{"https://a/?q=1", ""},
		{"ftp://a/", ""},
		{"login.microsoftonline.com", ""},
	}
	for _, tc := range cases {
		got, err := NormalizeInstance(tc.in)
		if (tc.out == "") != (err != nil) || got != tc.out {
			t.Errorf("%q: %q %v", tc.in, got, err)
		}
	}
}

func TestClassifyTenant(t *testing.T) {
	cases := map[string]TenantKind{
		"72f988bf-86f1-41af-91ab-2d7cd011db47": TenantGUID,
		"72F988BF-86F1-41AF-91AB-2D7CD011DB47": TenantGUID,
		"organizations":                        TenantKindOrganizations,
		"Common":                               TenantKindCommon,
		"consumers":                            TenantKindConsumers,
		"contoso.onmicrosoft.com":              TenantDomain,
		"":                                     TenantInvalid,
		"../etc":                               TenantInvalid,
		"72f988bf86f141af91ab2d7cd011db47":     TenantInvalid,
	}
	for in, want := range cases {
		if got := ClassifyTenant(in); got != want {
			t.Errorf("%q: %v want %v", in, got, want)
		}
	}
}
