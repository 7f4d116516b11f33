package edge

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	testTenant = "11111111-2222-3333-4444-555555555555"
	testClient = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
)

func baseEnv() map[string]string {
	return map[string]string{
		BindTenantID: testTenant,
		BindClientID: testClient,
	}
}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestFromBindings(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string // substrings; nil = success
		check   func(t *testing.T, s *Settings)
	}{
		{name: "minimal", env: with(baseEnv(), "OTHER_APP_VAR", "ignored"), check: func(t *testing.T, s *Settings) {
			if s.Config.AzureAd.Instance != "https://login.microsoftonline.com/" {
				t.Errorf("instance %q", s.Config.AzureAd.Instance)
			}
			if _, ok := s.Config.Graph(); ok {
				t.Error("graph configured without a secret")
			}
			if s.L2 != L2None {
				t.Errorf("L2 %q", s.L2)
			}
			if c := s.Config; c.TokenCache.MaxBytes != EdgeDefaultCacheBytes || c.TokenCache.MaxEntries != EdgeDefaultCacheEntries || c.Validation.CacheEntries != EdgeDefaultVerifiedEntries {
				t.Errorf("edge cache defaults not applied: %+v %+v", c.TokenCache, c.Validation)
			}
		}},
		{name: "full", env: with(baseEnv(),
			BindInstance, "http://127.0.0.1:9999",
			BindAudiences, "api://x, "+testClient,
			BindClientSecret, "s3cret",
			BindGraphBaseURL, "http://127.0.0.1:9999/v1.0/",
			BindGraphScopes, "https://graph.microsoft.com/User.Read openid",
			BindCacheKind, "KV", BindCacheKeys, "k1:"+key+",k0:"+key,
			BindCacheMargin, "2m", BindClockSkew, "1m", BindAcceptV1, "false",
		), check: func(t *testing.T, s *Settings) {
			c := s.Config
			if c.AzureAd.Instance != "http://127.0.0.1:9999/" {
				t.Errorf("instance %q", c.AzureAd.Instance)
			}
			if got := strings.Join(c.AzureAd.Audiences, "|"); got != "api://x|"+testClient {
				t.Errorf("audiences %q", got)
			}
			g, ok := c.Graph()
			if !ok || g.BaseUrl != "http://127.0.0.1:9999/v1.0" || len(g.Scopes) != 2 || g.RelativePath != "me" {
				t.Errorf("graph %+v", g)
			}
			if s.ClientSecret != "s3cret" || c.AzureAd.ClientCredentials[0].ClientSecretEnv != BindClientSecret {
				t.Error("client secret not mapped")
			}
			if s.L2 != L2KV || s.SealerCurrent != "k1" || len(s.SealerKeys) != 2 || s.KVBinding != "TOKEN_CACHE" {
				t.Errorf("L2 %q %q %d %q", s.L2, s.SealerCurrent, len(s.SealerKeys), s.KVBinding)
			}
			if s.L2Timeout != DefaultL2Timeout {
				t.Errorf("L2 timeout %s", s.L2Timeout)
			}
			if c.TokenCache.Margin != 2*time.Minute || c.Validation.ClockSkew != time.Minute || *c.AzureAd.AcceptV1 {
				t.Error("durations/bools not mapped")
			}
		}},
		{name: "missing ids", env: map[string]string{}, wantErr: []string{"AzureAd.TenantId", "AzureAd.ClientId"}},
		{name: "graph without secret", env: with(baseEnv(), BindGraphScopes, "x"), wantErr: []string{"ClientCredentials"}},
		{name: "l2 without keys", env: with(baseEnv(), BindCacheKind, "cache"), wantErr: []string{BindCacheKeys}},
		{name: "bad l2", env: with(baseEnv(), BindCacheKind, "redis"), wantErr: []string{BindCacheKind}},
		{name: "bad duration", env: with(baseEnv(), BindClockSkew, "5"), wantErr: []string{BindClockSkew}},
		{name: "bad l2 timeout", env: with(baseEnv(), BindCacheL2Timeout, "0s"), wantErr: []string{BindCacheL2Timeout}},
		{name: "bad cache bytes", env: with(baseEnv(), BindCacheBytes, "lots"), wantErr: []string{BindCacheBytes}},
		{name: "misspelt binding", env: with(baseEnv(), "AZUREAD_TENANT_ID", "x"), wantErr: []string{"AZUREAD_TENANT_ID: unknown binding"}},
		{name: "bad bool", env: with(baseEnv(), BindAcceptV2, "maybe"), wantErr: []string{BindAcceptV2}},
		{name: "insecure instance", env: with(baseEnv(), BindInstance, "http://login.example.com/"), wantErr: []string{"AzureAd.Instance"}},
		{name: "multi-tenant needs allow-list", env: with(baseEnv(), BindTenantID, "organizations"), wantErr: []string{"AllowedTenants"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := FromBindings(tt.env)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, s)
				return
			}
			if !errors.Is(err, ErrBindings) {
				t.Fatalf("err = %v, want ErrBindings", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestFromBindingsNeverEchoesSecrets(t *testing.T) {
	_, err := FromBindings(with(baseEnv(), BindCacheKind, "kv", BindCacheKeys, "k1:TOPSECRETbase64value", BindClientSecret, "TOPSECRET2", BindClientID, "not-a-guid"))
	if err == nil || strings.Contains(err.Error(), "TOPSECRET") {
		t.Fatalf("err = %v", err)
	}
}

// TestFromWorkerChecksStores: with the Worker's runtime known, the store
// TOKENCACHE_L2 selects must be bound; the problem is reported with the
// others.
func TestFromWorkerChecksStores(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	kv := with(baseEnv(), BindCacheKind, "kv", BindCacheKeys, "k1:"+key)
	cache := with(baseEnv(), BindCacheKind, "cache", BindCacheKeys, "k1:"+key)
	tests := []struct {
		name    string
		env     map[string]string
		rt      *Runtime
		wantErr []string
	}{
		{"kv bound", kv, &Runtime{KV: []string{"OTHER", DefaultKVBinding}}, nil},
		{"kv runtime unknown", kv, nil, nil},
		{"kv not bound", kv, &Runtime{Cache: true}, []string{BindCacheKV, `"TOKEN_CACHE"`, "bound: none"}},
		{"kv misspelt", with(kv, BindCacheKV, "TOKEN_CAHCE"), &Runtime{KV: []string{"TOKEN_CACHE"}},
			[]string{BindCacheKV, `"TOKEN_CAHCE"`, `bound: "TOKEN_CACHE"`}},
		{"kv missing and another problem", with(kv, BindClockSkew, "5"), &Runtime{}, []string{BindCacheKV, BindClockSkew}},
		{"cache available", cache, &Runtime{Cache: true}, nil},
		{"cache missing", cache, &Runtime{KV: []string{"TOKEN_CACHE"}}, []string{BindCacheKind, "Cache API"}},
		{"no l2 needs no store", baseEnv(), &Runtime{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromWorker(tt.env, tt.rt)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrBindings) {
				t.Fatalf("err = %v", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), key) {
				t.Error("error echoes the key")
			}
		})
	}
}

// TestEdgeRuntimeBindings: EDGE_REQUEST_TIMEOUT_MS and EDGE_DEBUG_STATS
// (applied by the shim) are validated like every other binding.
func TestEdgeRuntimeBindings(t *testing.T) {
	s, err := FromBindings(baseEnv())
	if err != nil || s.RequestTimeout != DefaultRequestTimeout || s.DebugStats {
		t.Fatalf("defaults: %v %v %v", s, err, err)
	}
	s, err = FromBindings(with(baseEnv(), BindRequestTimeout, " 30000 ", BindDebugStats, "TRUE"))
	if err != nil || s.RequestTimeout != 30*time.Second || !s.DebugStats {
		t.Fatalf("valid: %+v %v", s, err)
	}
	for _, v := range []string{"2s", "0", "-5", "1.5", "30001", "1e4", "fifteen"} {
		if _, err := FromBindings(with(baseEnv(), BindRequestTimeout, v)); err == nil || !strings.Contains(err.Error(), BindRequestTimeout) {
			t.Errorf("%s=%q: %v", BindRequestTimeout, v, err)
		}
	}
	for _, v := range []string{"yes", "on", "tRUE"} {
		if _, err := FromBindings(with(baseEnv(), BindDebugStats, v)); err == nil || !strings.Contains(err.Error(), BindDebugStats) {
			t.Errorf("%s=%q: %v", BindDebugStats, v, err)
		}
	}
}

// TestAuthorizationBindings: AUTHORIZATION_DEFAULT / AUTHORIZATION_ROUTES
// map onto config.Authorization, with the native validation.
func TestAuthorizationBindings(t *testing.T) {
	s, err := FromBindings(with(baseEnv(),
		BindAuthzRoutes, `{"/me":{"AnyScopes":["x"]},"/graph/me":{"AllScopes":["a","b"],"AnyRoles":["r"]}}`,
		BindAuthzDefault, `{"AllRoles":["d"]}`))
	if err != nil {
		t.Fatal(err)
	}
	az := s.Config.Authorization
	if len(az.Routes) != 2 || az.Routes["/me"].AnyScopes[0] != "x" || len(az.Routes["/graph/me"].AllScopes) != 2 ||
		az.Routes["/graph/me"].AnyRoles[0] != "r" || az.Default.AllRoles[0] != "d" {
		t.Fatalf("authorization %+v", az)
	}
	if rr := routeRequirements(s.Config); len(rr) != 2 {
		t.Errorf("route requirements %v", rr)
	}
	for _, tt := range []struct{ name, key, val, want string }{
		{"unknown route", BindAuthzRoutes, `{"/x":{"AnyScopes":["x"]}}`, `Authorization.Routes["/x"]`},
		{"unknown field", BindAuthzRoutes, `{"/me":{"AnyScope":["x"]}}`, BindAuthzRoutes},
		{"not JSON", BindAuthzRoutes, `/me: x`, BindAuthzRoutes},
		{"trailing data", BindAuthzRoutes, `{"/me":{"AnyScopes":["x"]}} {}`, BindAuthzRoutes},
		{"empty entry", BindAuthzRoutes, `{"/me":{}}`, `Authorization.Routes["/me"]`},
		{"bad scope", BindAuthzRoutes, `{"/me":{"AnyScopes":["a b"]}}`, `AnyScopes[0]`},
		{"misspelt binding", "AUTHORIZATION_ROUTE", `{}`, "AUTHORIZATION_ROUTE: unknown binding"},
		{"default with required scopes", BindAuthzDefault, `{"AnyScopes":["x"]}`, "Authorization.Default"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := with(baseEnv(), tt.key, tt.val)
			if tt.name == "default with required scopes" {
				env[BindRequiredScopes] = "y"
			}
			_, err := FromBindings(env)
			if !errors.Is(err, ErrBindings) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want mention of %q", err, tt.want)
			}
		})
	}
}
