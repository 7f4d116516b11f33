package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/validate"
	vt "github.com/entragate/entragate/validate/validatetest"
)

func run(t *testing.T, args []string, stdin string, opts Options) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errb, opts)
	return code, out.String(), errb.String()
}

// The shared acceptance table, through the command.
func TestAcceptanceCases(t *testing.T) {
	env, err := vt.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	jwksFile := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(jwksFile, env.JWKS, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := env.Cases()
	if len(cases) < 50 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			tenant := tc.Tenant
			if tenant == "" {
				tenant = vt.TenantID
			}
			args := []string{"--jwks", jwksFile, "--tenant", tenant, "--at", env.Now.Format(time.RFC3339), "--json"}
			for _, a := range tc.AllowedTenants {
				args = append(args, "--allowed-tenant", a)
			}
			auds := tc.Audiences
			if auds == nil {
				auds = []string{vt.ClientID, vt.AppIDURI}
			}
			for _, a := range auds {
				args = append(args, "--audience", a)
			}
			code, out, errOut := run(t, append(args, "-"), tc.Token, Options{})
			var rep report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("exit %d, stderr %q, bad JSON: %v", code, errOut, err)
			}
			wantCode := ExitRefused
			if tc.Want == "" {
				wantCode = ExitAccepted
			}
			if code != wantCode || rep.Reason != tc.Want {
				t.Fatalf("exit %d reason %q (%s), want %d %q", code, rep.Reason, rep.Message, wantCode, tc.Want)
			}
			if tc.Want != "" && (rep.Message == "" || rep.Fix == "") {
				t.Fatal("refusal without message or fix")
			}
			if i := strings.LastIndexByte(tc.Token, '.'); i > 0 && len(tc.Token)-i > 20 && strings.Contains(out+errOut, tc.Token[i+1:]) {
				t.Fatal("output echoes the token's signature")
			}
			if strings.Contains(out, tc.Token) {
				t.Fatal("output echoes the token")
			}
		})
	}
}

func shared(t *testing.T, parts ...string) string {
	p := filepath.Join(append([]string{"..", "..", "shared", "testdata", "entra"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test data missing: %v", err)
	}
	return p
}

func TestRealTokenText(t *testing.T) {
	tok, err := os.ReadFile(shared(t, "tokens", "keyvault-doc-2019-nbCwW11w3XkB.jwt"))
	if err != nil {
		t.Fatal(err)
	}
	keys := shared(t, "jwks", "nbCwW11w3XkB-key.reformatted-from-js.json")
	base := []string{"--jwks", keys, "--tenant", "72f988bf-86f1-41af-91ab-2d7cd011db47", "--audience", "https://vault.azure.net"}
	code, out, errOut := run(t, append(base, "--at", "2019-01-28T18:00:00Z"), "Bearer "+string(tok), Options{})
	if code != ExitAccepted || !strings.Contains(out, "Verdict: accepted") || !strings.Contains(out, "v1.0 access token, app-only") ||
		!strings.Contains(out, "2019-01-28T18:50:13Z (in 50m13s)") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	code, out, _ = run(t, append(base, strings.TrimSpace(string(tok))), "", Options{Now: now})
	if code != ExitRefused || !strings.Contains(out, "refused (token_expired)") || !strings.Contains(out, "Fix: ") || !strings.Contains(out, " ago)") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if strings.Contains(out, strings.TrimSpace(string(tok))[:40]) {
		t.Fatal("token printed back")
	}
}

func TestUsageAndSources(t *testing.T) {
	env, err := vt.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	tok := env.GoodToken(env.V2())
	at := env.Now.Format(time.RFC3339)
	metadata := []byte(`{"issuer":"https://login.microsoftonline.com/{tenantid}/v2.0","jwks_uri":"https://login.microsoftonline.com/common/discovery/v2.0/keys"}`)
	var fetched []string
	fetch := func(_ context.Context, url string) ([]byte, error) {
		fetched = append(fetched, url)
		switch url {
		case "https://keys.example/keys":
			return env.JWKS, nil
		case "https://md.example/openid":
			return metadata, nil
		case "https://login.microsoftonline.com/common/discovery/v2.0/keys":
			return env.JWKS, nil
		case "https://login.microsoftonline.com/" + vt.TenantID + "/v2.0/.well-known/openid-configuration":
			return metadata, nil
		}
		return nil, errors.New("404")
	}
	loadCfg := func(path string) (validate.Config, ConfigKeys, error) {
		switch path {
		case "gw.yaml":
			return validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID}, ConfigKeys{}, nil
		case "gw-jwks.yaml": // a configuration with its own JwksUrl
			return validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID}, ConfigKeys{JWKS: "https://keys.example/keys"}, nil
		case "gw-metadata.yaml": // a configuration with its own MetadataUrl
			return validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID}, ConfigKeys{Metadata: "https://md.example/openid"}, nil
		}
		return validate.Config{}, ConfigKeys{}, errors.New("no such file")
	}
	cases := []struct {
		name string
		args []string
		opts Options
		code int
	}{
		{"jwks URL without fetcher", []string{"--jwks", "https://keys.example/keys", "--tenant", vt.TenantID, "--client-id", vt.ClientID, "--at", at}, Options{}, ExitUsage},
		{"jwks URL", []string{"--jwks", "https://keys.example/keys", "--tenant", vt.TenantID, "--client-id", vt.ClientID, "--at", at}, Options{Fetch: fetch}, ExitAccepted},
		{"metadata URL", []string{"--metadata", "https://md.example/openid", "--tenant", vt.TenantID, "--client-id", vt.ClientID, "--at", at}, Options{Fetch: fetch}, ExitAccepted},
		{"config", []string{"--config", "gw.yaml", "--jwks", "https://keys.example/keys", "--at", at}, Options{Fetch: fetch, LoadConfig: loadCfg}, ExitAccepted},
		{"config with its own key-set URL", []string{"--config", "gw-jwks.yaml", "--at", at}, Options{Fetch: fetch, LoadConfig: loadCfg}, ExitAccepted},
		{"config with its own metadata URL", []string{"--config", "gw-metadata.yaml", "--at", at}, Options{Fetch: fetch, LoadConfig: loadCfg}, ExitAccepted},
		{"config missing", []string{"--config", "x.yaml", "--jwks", "https://keys.example/keys"}, Options{Fetch: fetch, LoadConfig: loadCfg}, ExitUsage},
		{"config unsupported", []string{"--config", "gw.yaml"}, Options{}, ExitUsage},
		{"tenant and audience from token", []string{"--jwks", "https://keys.example/keys", "--at", at}, Options{Fetch: fetch}, ExitAccepted},
		{"no keys", []string{"--tenant", vt.TenantID, "--client-id", vt.ClientID}, Options{}, ExitUsage},
		{"keys from the configured tenant", []string{"--tenant", vt.TenantID, "--client-id", vt.ClientID, "--at", at}, Options{Fetch: fetch}, ExitAccepted},
		{"no auto-fetch for a tenant taken from the token", []string{"--client-id", vt.ClientID, "--at", at}, Options{Fetch: fetch}, ExitUsage},
		{"bad flag", []string{"--nope"}, Options{}, ExitUsage},
		{"bad --at", []string{"--at", "yesterday", "--jwks", "x"}, Options{}, ExitUsage},
		{"two tokens", []string{"a", "b"}, Options{}, ExitUsage},
		{"bad tenant", []string{"--jwks", "https://keys.example/keys", "--tenant", "organizations", "--client-id", vt.ClientID}, Options{Fetch: fetch}, ExitUsage},
		{"help", []string{"-h"}, Options{}, ExitAccepted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.args, tok, tc.opts)
			if code != tc.code {
				t.Fatalf("exit %d want %d\n%s\n%s", code, tc.code, out, errOut)
			}
			if code == ExitUsage && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("usage errors are one line on stderr: %q", errOut)
			}
			if strings.Contains(out+errOut, tok[len(tok)-30:]) {
				t.Fatal("token echoed")
			}
		})
	}
	if len(fetched) == 0 {
		t.Fatal("fetch never called")
	}
}

func TestEmptyStdin(t *testing.T) {
	if code, _, _ := run(t, []string{"--jwks", "x"}, "  \n", Options{}); code != ExitUsage {
		t.Fatal(code)
	}
}

func TestClean(t *testing.T) {
	if got := clean("a\x1b[31mb\n"); got != "a?[31mb?" {
		t.Fatal(got)
	}
	if got := clean(strings.Repeat("x", 500)); len([]rune(got)) != 201 {
		t.Fatal(len(got))
	}
}

func TestRelative(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{0, "now"}, {90 * time.Second, "in 1m30s"}, {-time.Hour, "1h0m0s ago"}, {-72 * time.Hour, "3 days ago"}, {50 * time.Hour, "in 2 days"}} {
		if got := relative(now.Add(tc.d), now); got != tc.want {
			t.Errorf("%v: %q want %q", tc.d, got, tc.want)
		}
	}
}

// The configuration's per-route scopes/roles (ConfigKeys.Routes) after a
// successful validation: the gateway's 403 insufficient_scope, foreseen.
func TestRouteAuthorization(t *testing.T) {
	env, err := vt.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	jwksFile := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(jwksFile, env.JWKS, 0o600); err != nil {
		t.Fatal(err)
	}
	delegated := env.GoodToken(env.V2()) // scp: access_as_user User.Read
	appClaims := env.V2()
	delete(appClaims, "scp")
	appClaims["idtyp"] = "app"
	appOnly := env.GoodToken(appClaims)
	appRoleClaims := env.V2()
	delete(appRoleClaims, "scp")
	appRoleClaims["idtyp"] = "app"
	appRoleClaims["roles"] = []string{"Data.Read.All"}
	appWithRole := env.GoodToken(appRoleClaims)
	expiredClaims := env.V2()
	expiredClaims["exp"] = env.Now.Unix() - 3600
	expired := env.GoodToken(expiredClaims)

	requiredScopes := validate.Requirement{AnyScopes: []string{"access_as_user"}} // AzureAd.RequiredScopes
	configs := map[string]map[string]validate.Requirement{
		"required-scopes.yaml": {"/me": requiredScopes, "/graph/me": requiredScopes},
		"all-scopes.yaml": {"/me": requiredScopes,
			"/graph/me": {AllScopes: []string{"access_as_user", "Profile.Read"}}},
		"scopes-or-roles.yaml": {"/me": {AnyScopes: []string{"access_as_user"}, AnyRoles: []string{"Data.Read.All"}}},
		"no-rules.yaml":        {"/me": {}},
		"nothing.yaml":         nil,
	}
	loadCfg := func(path string) (validate.Config, ConfigKeys, error) {
		routes, ok := configs[path]
		if !ok {
			return validate.Config{}, ConfigKeys{}, errors.New("no such file")
		}
		return validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID}, ConfigKeys{JWKS: jwksFile, Routes: routes}, nil
	}
	at := env.Now.Format(time.RFC3339)
	cases := []struct {
		name, config, token string
		json                bool
		code                int
		reason              string
		want, notWant       []string // substrings of stdout
		routes              map[string]string
	}{
		{name: "app-only token vs RequiredScopes", config: "required-scopes.yaml", token: appOnly, code: ExitRefused, reason: "insufficient_scope",
			want: []string{"Verdict: refused (insufficient_scope)", "Fix: Request a token with scope access_as_user",
				"/me:        refused (insufficient_scope): needs scope access_as_user, in a delegated (user) token",
				"Fix: Request a token with scope access_as_user (for /me and /graph/me).",
				"/graph/me:  refused (insufficient_scope)", "app-only"},
			notWant: []string{"Verdict: accepted"}},
		{name: "app-only token vs RequiredScopes, JSON", config: "required-scopes.yaml", token: appOnly, json: true, code: ExitRefused, reason: "insufficient_scope",
			routes: map[string]string{"/me": "refused", "/graph/me": "refused"}},
		{name: "delegated token, AllScopes on /graph/me", config: "all-scopes.yaml", token: delegated, code: ExitAccepted,
			want: []string{"Verdict: accepted", "Routes (the configuration's scopes and roles)",
				"/me:        allowed (needs scope access_as_user)",
				"/graph/me:  refused (insufficient_scope): needs scopes access_as_user and Profile.Read"},
			notWant: []string{"Fix:"}},
		{name: "delegated token, AllScopes on /graph/me, JSON", config: "all-scopes.yaml", token: delegated, json: true, code: ExitAccepted,
			routes: map[string]string{"/me": "allowed", "/graph/me": "refused"}},
		{name: "app-only token with a role", config: "scopes-or-roles.yaml", token: appWithRole, code: ExitAccepted,
			want: []string{"Verdict: accepted", "/me:        allowed (needs scope access_as_user or app role Data.Read.All)"}},
		{name: "app-only token without the role", config: "scopes-or-roles.yaml", token: appOnly, code: ExitRefused, reason: "insufficient_scope",
			want: []string{"Fix: Request a token with scope access_as_user or app role Data.Read.All (for /me)."}},
		{name: "empty requirement", config: "no-rules.yaml", token: appOnly, code: ExitAccepted,
			want: []string{"Verdict: accepted", "/me:        allowed (no scope or role required)"}},
		{name: "configuration without routes", config: "nothing.yaml", token: appOnly, json: true, code: ExitAccepted, routes: map[string]string{}},
		{name: "invalid token: routes not evaluated", config: "required-scopes.yaml", token: expired, json: true, code: ExitRefused, reason: "token_expired", routes: map[string]string{}},
		{name: "no --config: no rules", token: appOnly, code: ExitAccepted, want: []string{"Verdict: accepted"}, notWant: []string{"Routes"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"--at", at}
			if tc.config != "" {
				args = append(args, "--config", tc.config)
			} else {
				args = append(args, "--jwks", jwksFile, "--tenant", vt.TenantID, "--client-id", vt.ClientID)
			}
			if tc.json {
				args = append(args, "--json")
			}
			code, out, errOut := run(t, args, tc.token, Options{LoadConfig: loadCfg})
			if code != tc.code {
				t.Fatalf("exit %d want %d\n%s\n%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
			if strings.Contains(out+errOut, tc.token[strings.LastIndexByte(tc.token, '.')+1:]) {
				t.Fatal("token echoed")
			}
			if !tc.json {
				return
			}
			var rep report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("bad JSON: %v\n%s", err, out)
			}
			if rep.Reason != tc.reason {
				t.Fatalf("reason %q want %q", rep.Reason, tc.reason)
			}
			if tc.reason == "insufficient_scope" && !strings.HasPrefix(rep.Fix, "Request a token with scope") {
				t.Fatalf("fix %q", rep.Fix)
			}
			got := map[string]string{}
			for _, r := range rep.Routes {
				got[r.Route] = r.Verdict
				if r.Verdict == "refused" && (r.Reason != "insufficient_scope" || r.Needs == "" || r.Message == "") {
					t.Fatalf("refused route without reason, needs or message: %+v", r)
				}
			}
			if len(got) != len(tc.routes) {
				t.Fatalf("routes %v want %v", got, tc.routes)
			}
			for k, v := range tc.routes {
				if got[k] != v {
					t.Fatalf("routes %v want %v", got, tc.routes)
				}
			}
		})
	}
}

func TestNeeds(t *testing.T) {
	for _, tc := range []struct {
		r    validate.Requirement
		want string
	}{
		{validate.Requirement{}, ""},
		{validate.Requirement{AnyScopes: []string{"a"}}, "scope a"},
		{validate.Requirement{AnyScopes: []string{"a", "b"}}, "one of the scopes a, b"},
		{validate.Requirement{AllScopes: []string{"a", "b", "c"}}, "scopes a, b and c"},
		{validate.Requirement{AllScopes: []string{"a"}, AnyScopes: []string{"b", "c"}}, "scope a and one of b, c"},
		{validate.Requirement{AnyRoles: []string{"R"}, AllRoles: []string{"S", "T"}}, "app roles S and T and R"},
		{validate.Requirement{AnyScopes: []string{"a"}, AnyRoles: []string{"R"}}, "scope a or app role R"},
	} {
		if got := needs(tc.r); got != tc.want {
			t.Errorf("%+v: %q want %q", tc.r, got, tc.want)
		}
	}
}
