package validate_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/validate"
	vt "github.com/entragate/entragate/validate/validatetest"
)

// sharedEnv generates the test keys once per test binary (RSA key
// generation dominates the run time under -race).
var sharedEnv = sync.OnceValues(vt.NewEnv)

func newEnv(t testing.TB) (*vt.Env, *jwk.Set) {
	t.Helper()
	env, err := sharedEnv()
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwk.Parse(env.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	return env, set
}

func reasonOf(err error) validate.Reason {
	var ve *validate.Error
	if errors.As(err, &ve) {
		return ve.Reason
	}
	return ""
}

func TestNewConfigErrors(t *testing.T) {
	keys := validate.SetKeys{}
	cases := []struct {
		name string
		cfg  validate.Config
		ok   bool
	}{
		{"ok single", validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: keys}, true},
		{"ok consumers", validate.Config{TenantID: "consumers", ClientID: vt.ClientID, Keys: keys}, true},
		{"ok any", validate.Config{TenantID: "common", AllowAnyTenant: true, ClientID: vt.ClientID, Keys: keys}, true},
		{"no keys", validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID}, false},
		{"no tenant", validate.Config{ClientID: vt.ClientID, Keys: keys}, false},
		{"bad tenant", validate.Config{TenantID: "not a tenant", ClientID: vt.ClientID, Keys: keys}, false},
		{"organizations without allow-list", validate.Config{TenantID: "organizations", ClientID: vt.ClientID, Keys: keys}, false},
		{"common without allow-list", validate.Config{TenantID: "common", ClientID: vt.ClientID, Keys: keys}, false},
		{"personal GUID", validate.Config{TenantID: vt.PersonalTID, ClientID: vt.ClientID, Keys: keys}, false},
		{"domain without issuers", validate.Config{TenantID: "contoso.onmicrosoft.com", ClientID: vt.ClientID, Keys: keys}, false},
		{"no audience", validate.Config{TenantID: vt.TenantID, Keys: keys}, false},
		{"HS256 listed", validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: keys, Algorithms: []string{"RS256", "HS256"}}, false},
		{"none listed", validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: keys, Algorithms: []string{"none"}}, false},
		{"http instance", validate.Config{Instance: "http://login.example.com/", TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: keys}, false},
		{"no versions", validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: keys, AcceptV1: validate.Bool(false), AcceptV2: validate.Bool(false)}, false},
		{"bad allowed tenant", validate.Config{TenantID: "organizations", AllowedTenants: []string{"x"}, ClientID: vt.ClientID, Keys: keys}, false},
	}
	for _, tc := range cases {
		_, err := validate.New(tc.cfg)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, validate.ErrConfig)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// Default audiences: v2 → ClientID, v1 → api://ClientID.
func TestDefaultAudiences(t *testing.T) {
	env, set := newEnv(t)
	v, err := validate.New(validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: validate.SetKeys{Set: set}, Now: func() time.Time { return env.Now }})
	if err != nil {
		t.Fatal(err)
	}
	v1, v2 := env.V1(), env.V2()
	v1aud := env.V1()
	v1aud["aud"] = vt.ClientID
	v2aud := env.V2()
	v2aud["aud"] = vt.AppIDURI
	cases := []struct {
		name string
		c    vt.Claims
		want validate.Reason
	}{
		{"v1 api://", v1, ""}, {"v2 guid", v2, ""},
		{"v1 guid", v1aud, validate.ReasonAudienceMismatch}, {"v2 api://", v2aud, validate.ReasonAudienceMismatch},
	}
	for _, tc := range cases {
		_, err := v.Validate(context.Background(), env.GoodToken(tc.c))
		if reasonOf(err) != tc.want {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestVersionsAndIssuers(t *testing.T) {
	env, set := newEnv(t)
	keys := validate.SetKeys{Set: set}
	now := func() time.Time { return env.Now }
	auds := []string{vt.ClientID, vt.AppIDURI}
	b2c := env.V2()
	b2c["iss"] = "https://contoso.b2clogin.com/" + vt.TenantID + "/v2.0/"
	emu := env.V2()
	emu["iss"] = "http://127.0.0.1:8081/" + vt.TenantID + "/v2.0"
	emu1 := env.V1()
	emu1["iss"] = "http://127.0.0.1:8081/" + vt.TenantID + "/"
	gov := env.V2()
	gov["iss"] = "https://login.microsoftonline.us/" + vt.TenantID + "/v2.0"
	cn := env.V1()
	cn["iss"] = "https://sts.chinacloudapi.cn/" + vt.TenantID + "/"
	cases := []struct {
		name string
		cfg  validate.Config
		c    vt.Claims
		kid  string
		want validate.Reason
	}{
		{"v1 refused", validate.Config{AcceptV1: validate.Bool(false)}, env.V1(), "kA", validate.ReasonIssuerMismatch},
		{"v2 refused", validate.Config{AcceptV2: validate.Bool(false)}, env.V2(), "kA", validate.ReasonIssuerMismatch},
		// kA carries the v2 issuer template; a v1 token of the same tenant is still fine.
		{"v1 with v2-issuer key", validate.Config{}, env.V1(), "kA", ""},
		{"b2c explicit issuer template", validate.Config{Issuers: []string{"https://contoso.b2clogin.com/{tenantid}/v2.0/"}}, b2c, "kA", validate.ReasonKeyIssuerMismatch},
		{"emulator instance v2", validate.Config{Instance: "http://127.0.0.1:8081"}, emu, "kA", validate.ReasonKeyIssuerMismatch},
		{"us gov", validate.Config{Instance: "https://login.microsoftonline.us/"}, gov, "kA", validate.ReasonKeyIssuerMismatch},
		{"china v1", validate.Config{Instance: "https://login.chinacloudapi.cn/"}, cn, "kA", validate.ReasonKeyIssuerMismatch},
		{"public token on gov", validate.Config{Instance: "https://login.microsoftonline.us/"}, env.V2(), "kA", validate.ReasonIssuerMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.TenantID, cfg.Audiences, cfg.Keys, cfg.Now = vt.TenantID, auds, keys, now
			v, err := validate.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Validate(context.Background(), env.GoodToken(tc.c))
			if reasonOf(err) != tc.want {
				t.Fatalf("got %v want %q", err, tc.want)
			}
		})
	}
	// Keys without an issuer (v1 key sets) for the other instances.
	plain := jwk.NewSet([]*jwk.Key{{Kid: "kA", Public: &env.Good.PublicKey}})
	for _, tc := range []struct {
		name, instance string
		issuers        []string
		c              vt.Claims
	}{
		{"b2c", "https://contoso.b2clogin.com/", nil, b2c},
		{"b2c explicit", "", []string{"https://contoso.b2clogin.com/{tenantid}/v2.0/"}, b2c},
		{"emulator v2", "http://127.0.0.1:8081/", nil, emu},
		{"emulator v1", "http://127.0.0.1:8081/", nil, emu1},
		{"us gov", validateUSGov, nil, gov},
		{"china v1", "https://login.chinacloudapi.cn/", nil, cn},
	} {
		v, err := validate.New(validate.Config{Instance: tc.instance, Issuers: tc.issuers, TenantID: vt.TenantID, Audiences: auds, Keys: validate.SetKeys{Set: plain}, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Validate(context.Background(), env.GoodToken(tc.c)); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

const validateUSGov = "https://login.microsoftonline.us/"

type failingKeys struct{ err error }

func (f failingKeys) Key(context.Context, string, string) (*jwk.Key, error) { return nil, f.err }

func TestKeyErrors(t *testing.T) {
	env, _ := newEnv(t)
	tok := env.GoodToken(env.V2())
	weak := jwk.NewSet([]*jwk.Key{{Kid: "kA", Public: &env.Weak.PublicKey}})
	alg := jwk.NewSet([]*jwk.Key{{Kid: "kA", Alg: "PS256", Public: &env.Good.PublicKey}})
	cases := []struct {
		name   string
		keys   validate.Keys
		want   validate.Reason
		wantIs error
	}{
		{"unavailable", failingKeys{fmt.Errorf("fetch: %w", jwk.ErrKeySetUnavailable)}, validate.ReasonKeysUnavailable, jwk.ErrKeySetUnavailable},
		{"not found", failingKeys{fmt.Errorf("x: %w", jwk.ErrKeyNotFound)}, validate.ReasonKeyNotFound, jwk.ErrKeyNotFound},
		{"other error fails closed", failingKeys{errors.New("boom")}, validate.ReasonKeysUnavailable, nil},
		{"ctx canceled", failingKeys{context.Canceled}, validate.ReasonKeysUnavailable, context.Canceled},
		{"nil set", validate.SetKeys{}, validate.ReasonKeysUnavailable, jwk.ErrKeySetUnavailable},
		{"weak key", validate.SetKeys{Set: weak}, validate.ReasonKeyRejected, nil},
		{"key alg mismatch", validate.SetKeys{Set: alg}, validate.ReasonKeyRejected, nil},
	}
	for _, tc := range cases {
		v, err := validate.New(validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: tc.keys, Now: func() time.Time { return env.Now }})
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Validate(context.Background(), tok)
		if reasonOf(err) != tc.want || (tc.wantIs != nil && !errors.Is(err, tc.wantIs)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestCache(t *testing.T) {
	env, set := newEnv(t)
	now := env.Now
	v, err := validate.New(validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: validate.SetKeys{Set: set},
		CacheEntries: 4, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := env.V2()
	c["exp"] = env.Now.Unix() + 600
	tok := env.GoodToken(c)
	r1, err := v.Validate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := v.Validate(ctx, tok)
	if err != nil || r1 != r2 {
		t.Fatalf("cache miss: %v", err)
	}
	// A different token (one byte changed in the signature) is not served from the cache.
	bad := tok[:len(tok)-2] + string("AB"[0]^tok[len(tok)-2]&1)
	if _, err := v.Validate(ctx, bad); err == nil {
		t.Fatal("tampered token accepted")
	}
	// Time claims are rechecked on a hit: past exp+skew the entry is refused and dropped.
	now = env.Now.Add(600*time.Second + validate.DefaultClockSkew)
	if _, err := v.Validate(ctx, tok); reasonOf(err) != validate.ReasonExpired {
		t.Fatalf("expired cached token: %v", err)
	}
	if _, err := v.Validate(ctx, tok); reasonOf(err) != validate.ReasonExpired {
		t.Fatalf("second look: %v", err)
	}
	// Bounded: many tokens, the cache never exceeds its size.
	now = env.Now
	for i := 0; i < 20; i++ {
		c := env.V2()
		c["n"] = i
		if _, err := v.Validate(ctx, env.GoodToken(c)); err != nil {
			t.Fatal(err)
		}
		if v.CacheLen() > 4 {
			t.Fatalf("cache holds %d entries", v.CacheLen())
		}
	}
	v.Purge()
	if v.CacheLen() != 0 {
		t.Fatal("purge")
	}
}

// B2C: ver 1.0 tokens, issuer ending in /v2.0/, aud = client ID.
func TestB2CDefaults(t *testing.T) {
	env, _ := newEnv(t)
	plain := jwk.NewSet([]*jwk.Key{{Kid: "kA", Public: &env.Good.PublicKey}})
	c := env.V2()
	c["ver"] = "1.0"
	c["iss"] = "https://contoso.b2clogin.com/" + vt.TenantID + "/v2.0/"
	v, err := validate.New(validate.Config{Instance: "https://contoso.b2clogin.com/", TenantID: vt.TenantID, ClientID: vt.ClientID,
		Keys: validate.SetKeys{Set: plain}, Now: func() time.Time { return env.Now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(context.Background(), env.GoodToken(c)); err != nil {
		t.Fatal(err)
	}
}

func TestCacheHitZeroAllocs(t *testing.T) {
	env, set := newEnv(t)
	v, err := validate.New(validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: validate.SetKeys{Set: set}, Now: func() time.Time { return env.Now }})
	if err != nil {
		t.Fatal(err)
	}
	tok := env.GoodToken(env.V2())
	ctx := context.Background()
	if _, err := v.Validate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = v.Validate(ctx, tok) }); n != 0 {
		t.Fatalf("cache hit allocates %v", n)
	}
}

func TestResultFields(t *testing.T) {
	env, set := newEnv(t)
	v, err := validate.New(validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: validate.SetKeys{Set: set}, Now: func() time.Time { return env.Now }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Validate(context.Background(), env.GoodToken(env.V2()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != "2.0" || res.TenantID != vt.TenantID || res.Audience != vt.ClientID || res.AppOnly ||
		len(res.Scopes) != 2 || res.Scopes[0] != "access_as_user" || res.ClientID != "cccccccc-0000-4000-8000-000000000002" ||
		res.ObjectID == "" || res.Subject != "subject-1" || res.IssuedAt.IsZero() || res.NotBefore.IsZero() || len(res.Claims) == 0 {
		t.Fatalf("%+v", res)
	}
}

func TestRequirementCheck(t *testing.T) {
	user := &validate.Result{Scopes: []string{"access_as_user", "User.Read"}}
	userWithRole := &validate.Result{Scopes: []string{"access_as_user"}, Roles: []string{"Admin"}}
	app := &validate.Result{Roles: []string{"Data.Read", "Data.Write"}, AppOnly: true}
	appNoRoles := &validate.Result{AppOnly: true}
	cases := []struct {
		name string
		req  validate.Requirement
		res  *validate.Result
		ok   bool
	}{
		{"empty", validate.Requirement{}, appNoRoles, true},
		{"any scope", validate.Requirement{AnyScopes: []string{"x", "access_as_user"}}, user, true},
		{"any scope missing", validate.Requirement{AnyScopes: []string{"x"}}, user, false},
		{"all scopes", validate.Requirement{AllScopes: []string{"access_as_user", "User.Read"}}, user, true},
		{"all scopes partial", validate.Requirement{AllScopes: []string{"access_as_user", "Mail.Read"}}, user, false},
		{"app-only needs roles", validate.Requirement{AnyScopes: []string{"access_as_user"}}, app, false},
		{"app-only any role", validate.Requirement{AnyScopes: []string{"access_as_user"}, AnyRoles: []string{"Data.Read"}}, app, true},
		{"app-only all roles", validate.Requirement{AllRoles: []string{"Data.Read", "Data.Write"}}, app, true},
		{"app-only all roles partial", validate.Requirement{AllRoles: []string{"Data.Read", "Admin"}}, app, false},
		{"app no roles", validate.Requirement{AnyRoles: []string{"Data.Read"}}, appNoRoles, false},
		{"user role", validate.Requirement{AnyRoles: []string{"Admin"}}, userWithRole, true},
		{"nil result", validate.Requirement{AnyScopes: []string{"a"}}, nil, false},
	}
	for _, tc := range cases {
		err := tc.req.Check(tc.res)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
		if err != nil && !errors.Is(err, validate.ErrInsufficientScope) {
			t.Errorf("%s: wrong error %v", tc.name, err)
		}
	}
}

func TestTooLargeBeforeAnything(t *testing.T) {
	v, err := validate.New(validate.Config{TenantID: vt.TenantID, ClientID: vt.ClientID, Keys: failingKeys{errors.New("must not be called")}, MaxTokenSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Validate(context.Background(), string(make([]byte, 101)))
	if !errors.Is(err, validate.ErrTooLarge) {
		t.Fatal(err)
	}
}
