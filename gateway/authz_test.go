package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/httpauth"
	"github.com/entragate/entragate/obo"
	"github.com/entragate/entragate/validate"
)

// claimsValidator reads a test token, the base64url of
// "scp=a,b;roles=R1,R2[;app]" (see tok), as the validated result
// (delegated unless ";app").
type claimsValidator struct{}

func tok(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func (claimsValidator) Validate(_ context.Context, raw string) (*validate.Result, error) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, &validate.Error{Reason: validate.ReasonMalformed, Msg: "bad test token."}
	}
	res := &validate.Result{Claims: json.RawMessage(`{"oid":"o1","tid":"t1"}`)}
	for _, part := range strings.Split(string(b), ";") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "scp":
			res.Scopes = strings.Split(v, ",")
		case "roles":
			res.Roles = strings.Split(v, ",")
		case "app":
			res.AppOnly = true
		default:
			return nil, &validate.Error{Reason: validate.ReasonMalformed, Msg: "bad test token."}
		}
	}
	return res, nil
}

// TestRouteRequire: each route applies its own requirement (any-of and
// all-of, scopes and roles), and a refusal's challenge lists that route's
// scopes.
func TestRouteRequire(t *testing.T) {
	g := graphServer(t, 200, `{"id":"u1"}`)
	routes := map[string]httpauth.Authorizer{
		RouteMe:      validate.Requirement{AnyScopes: []string{"access_as_user", "Me.Read"}, AnyRoles: []string{"Me.Read.All", "Admin"}},
		RouteGraphMe: validate.Requirement{AllScopes: []string{"access_as_user", "Profile.Read"}, AllRoles: []string{"Profile.Read.All", "Graph.Call"}},
	}
	const (
		meScope    = `Bearer error="insufficient_scope", error_description="insufficient_scope: `
		meScopes   = `scope="access_as_user Me.Read"`
		graphScope = `scope="access_as_user Profile.Read"`
	)
	tests := []struct {
		name   string
		path   string
		token  string
		status int
		scope  string // expected scope= parameter of a 403 challenge
	}{
		{"me any-of first scope", "/me", "scp=access_as_user", 200, ""},
		{"me any-of second scope", "/me", "scp=other,Me.Read", 200, ""},
		{"me no listed scope", "/me", "scp=other", 403, meScopes},
		{"me any-of role (delegated)", "/me", "scp=other;roles=Admin", 200, ""},
		{"me app-only by role", "/me", "roles=Me.Read.All;app", 200, ""},
		{"me app-only without role", "/me", "roles=Other;app", 403, meScopes},
		{"me app-only scope ignored", "/me", "scp=access_as_user;roles=Other;app", 403, meScopes},
		{"graph all scopes", "/graph/me", "scp=access_as_user,Profile.Read,x", 200, ""},
		{"graph one of all scopes", "/graph/me", "scp=access_as_user", 403, graphScope},
		{"graph other of all scopes", "/graph/me", "scp=Profile.Read", 403, graphScope},
		{"graph all roles (delegated)", "/graph/me", "scp=x;roles=Graph.Call,Profile.Read.All", 200, ""},
		{"graph one of all roles", "/graph/me", "scp=access_as_user;roles=Graph.Call", 403, graphScope},
		{"graph Me.Read is not enough", "/graph/me", "scp=Me.Read,access_as_user", 403, graphScope},
		// Passes authorization by roles; then /graph/me itself needs a user.
		{"graph app-only all roles", "/graph/me", "roles=Graph.Call,Profile.Read.All;app", 403, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := &fakeOBO{tok: &obo.Token{AccessToken: "graph-token", ExpiresAt: time.Now().Add(time.Hour)}}
			h, _ := newHandler(t, o, g, func(c *Config) {
				c.Validator = claimsValidator{}
				c.Require = validate.Requirement{AnyScopes: []string{"never"}} // replaced on both routes
				c.RouteRequire = routes
			})
			rec := do(h, "GET", tc.path, tok(tc.token))
			if rec.Code != tc.status {
				t.Fatalf("%d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			www := rec.Header().Get("WWW-Authenticate")
			switch {
			case tc.status == 200:
				if www != "" {
					t.Fatalf("challenge on 200: %q", www)
				}
			case tc.scope != "":
				if !strings.HasPrefix(www, meScope) || !strings.HasSuffix(www, ", "+tc.scope) {
					t.Fatalf("challenge %q, want scope %s", www, tc.scope)
				}
				var body struct{ Error string }
				if json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error != "insufficient_scope" {
					t.Fatalf("body %s", rec.Body)
				}
			default: // app-only on /graph/me
				if !strings.Contains(rec.Body.String(), "delegated_token_required") {
					t.Fatalf("%q %s", www, rec.Body)
				}
			}
			if tc.path == "/graph/me" && (tc.status == 200) != (o.got.Assertion != "") {
				t.Fatalf("OBO called: %v", o.got.Assertion != "")
			}
		})
	}
}

// TestRouteRequireFallback: routes without an entry keep Require and
// Scope; a nil entry removes the requirement; a roles-only route's
// challenge has no scope parameter.
func TestRouteRequireFallback(t *testing.T) {
	g := graphServer(t, 200, `{"id":"u1"}`)
	o := &fakeOBO{tok: &obo.Token{AccessToken: "graph-token", ExpiresAt: time.Now().Add(time.Hour)}}
	tests := []struct {
		name          string
		mod           func(*Config)
		path, token   string
		status        int
		wantChallenge string
	}{
		{"default on /me", func(c *Config) {
			c.Require = validate.Requirement{AllScopes: []string{"a", "b"}}
			c.RouteRequire = map[string]httpauth.Authorizer{RouteGraphMe: validate.Requirement{AnyScopes: []string{"g"}}}
		}, "/me", "scp=a", 403, `scope="a b"`},
		{"explicit Scope kept on default route", func(c *Config) {
			c.Require, c.Scope = validate.Requirement{AnyScopes: []string{"a"}}, "api://x/a"
			c.RouteRequire = map[string]httpauth.Authorizer{RouteGraphMe: validate.Requirement{AnyScopes: []string{"g"}}}
		}, "/me", "scp=z", 403, `scope="api://x/a"`},
		{"explicit Scope not used on own route", func(c *Config) {
			c.Require, c.Scope = validate.Requirement{AnyScopes: []string{"a"}}, "api://x/a"
			c.RouteRequire = map[string]httpauth.Authorizer{RouteGraphMe: validate.Requirement{AnyScopes: []string{"g"}}}
		}, "/graph/me", "scp=a", 403, `scope="g"`},
		{"nil entry opens the route", func(c *Config) {
			c.Require = validate.Requirement{AnyScopes: []string{"a"}}
			c.RouteRequire = map[string]httpauth.Authorizer{RouteMe: nil}
		}, "/me", "scp=z", 200, ""},
		{"roles-only challenge", func(c *Config) {
			c.RouteRequire = map[string]httpauth.Authorizer{RouteMe: validate.Requirement{AllRoles: []string{"R"}}}
		}, "/me", "scp=a", 403, `Bearer error="insufficient_scope", error_description=`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newHandler(t, o, g, func(c *Config) { c.Validator = claimsValidator{}; tc.mod(c) })
			rec := do(h, "GET", tc.path, tok(tc.token))
			www := rec.Header().Get("WWW-Authenticate")
			if rec.Code != tc.status || !strings.Contains(www, tc.wantChallenge) {
				t.Fatalf("%d %q %s", rec.Code, www, rec.Body)
			}
			if tc.name == "roles-only challenge" && strings.Contains(www, "scope=") {
				t.Fatalf("scope in a roles-only challenge: %q", www)
			}
		})
	}
}

func TestRouteRequireUnknownRoute(t *testing.T) {
	for _, r := range []string{"/healthz", "/x", "/me/", ""} {
		_, err := New(Config{Validator: claimsValidator{}, RouteRequire: map[string]httpauth.Authorizer{r: validate.Requirement{}}})
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "not a protected route") {
			t.Errorf("%q: %v", r, err)
		}
	}
	// /graph/me may be named without OBO (the route is then not served).
	h, err := New(Config{Validator: claimsValidator{},
		RouteRequire: map[string]httpauth.Authorizer{RouteGraphMe: validate.Requirement{AnyScopes: []string{"g"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if rec := do(h, "GET", "/graph/me", tok("scp=g")); rec.Code != http.StatusNotFound {
		t.Fatal(rec.Code)
	}
}
