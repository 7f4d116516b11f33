package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/entragate/entragate/validate"
)

func TestAuthorizationFull(t *testing.T) {
	c, err := LoadFile(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	def := validate.Requirement{AnyScopes: []string{"access_as_user"}, AnyRoles: []string{"Data.Read.All"}}
	want := map[string]validate.Requirement{
		RouteMe:      def,
		RouteGraphMe: {AllScopes: []string{"access_as_user", "Profile.Read"}},
	}
	if got := c.RouteRequirements(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if got := c.Requirement(); !reflect.DeepEqual(got, def) {
		t.Fatalf("default %+v", got)
	}
}

// TestAuthorizationDerived: the effective rule of each protected route.
func TestAuthorizationDerived(t *testing.T) {
	me, graph := RouteMe, RouteGraphMe
	tests := []struct {
		name      string
		yaml      string
		me, graph validate.Requirement
	}{
		{"none", minimal, validate.Requirement{}, validate.Requirement{}},
		{"legacy any-of",
			minimal + "  RequiredScopes: [access_as_user, other]\n  RequiredRoles: [Data.Read.All]\n",
			validate.Requirement{AnyScopes: []string{"access_as_user", "other"}, AnyRoles: []string{"Data.Read.All"}},
			validate.Requirement{AnyScopes: []string{"access_as_user", "other"}, AnyRoles: []string{"Data.Read.All"}}},
		{"default all-of",
			minimal + "Authorization:\n  Default: {AllScopes: [a, b], AllRoles: [R1, R2]}\n",
			validate.Requirement{AllScopes: []string{"a", "b"}, AllRoles: []string{"R1", "R2"}},
			validate.Requirement{AllScopes: []string{"a", "b"}, AllRoles: []string{"R1", "R2"}}},
		{"route replaces legacy default",
			minimal + "  RequiredScopes: [access_as_user]\nAuthorization:\n  Routes:\n    /graph/me: {AllScopes: [access_as_user, Profile.Read]}\n",
			validate.Requirement{AnyScopes: []string{"access_as_user"}},
			validate.Requirement{AllScopes: []string{"access_as_user", "Profile.Read"}}},
		{"route replaces default",
			minimal + "Authorization:\n  Default: {AnyScopes: [a]}\n  Routes:\n    /me: {AnyRoles: [R]}\n",
			validate.Requirement{AnyRoles: []string{"R"}},
			validate.Requirement{AnyScopes: []string{"a"}}},
		{"routes only",
			minimal + "Authorization:\n  Routes:\n    /me: {AnyScopes: [a, b]}\n    /graph/me: {AnyScopes: [a], AllScopes: [c], AnyRoles: [R1], AllRoles: [R2]}\n",
			validate.Requirement{AnyScopes: []string{"a", "b"}},
			validate.Requirement{AnyScopes: []string{"a"}, AllScopes: []string{"c"}, AnyRoles: []string{"R1"}, AllRoles: []string{"R2"}}},
		{"empty default is unset",
			minimal + "  RequiredRoles: [R]\nAuthorization:\n  Default: {}\n",
			validate.Requirement{AnyRoles: []string{"R"}}, validate.Requirement{AnyRoles: []string{"R"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			got := c.RouteRequirements()
			if len(got) != 2 || !reflect.DeepEqual(got[me], tc.me) || !reflect.DeepEqual(got[graph], tc.graph) {
				t.Fatalf("got %+v", got)
			}
			if !reflect.DeepEqual(c.RouteRequirement(me), tc.me) {
				t.Fatalf("RouteRequirement(/me) %+v", c.RouteRequirement(me))
			}
			// The rules are copies: changing one does not change the config.
			if r := got[me]; len(r.AnyScopes) > 0 {
				r.AnyScopes[0] = "changed"
				if c.RouteRequirement(me).AnyScopes[0] == "changed" {
					t.Fatal("requirement aliases the config")
				}
			}
		})
	}
	if !reflect.DeepEqual(ProtectedRoutes(), []string{"/me", "/graph/me"}) {
		t.Fatal(ProtectedRoutes())
	}
}

func TestAuthorizationErrors(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		wants []string
		is    error
	}{
		{"unknown key", "Authorization:\n  Default: {AnyScope: [a]}\n", []string{"line 6", "AnyScope", "config.Requirement"}, ErrSyntax},
		{"unknown section key", "Authorization:\n  Route: {}\n", []string{"line 6", "Route"}, ErrSyntax},
		{"scalar list", "Authorization:\n  Default: {AllScopes: a b}\n", []string{"line 6"}, ErrSyntax},
		{"duplicate route", "Authorization:\n  Routes:\n    /me: {AnyScopes: [a]}\n    /me: {AnyScopes: [b]}\n", []string{"line 8", "already defined at line 7"}, ErrSyntax},
		{"both default and legacy scopes", "  RequiredScopes: [a]\nAuthorization:\n  Default: {AllScopes: [b]}\n",
			[]string{"Authorization.Default: set Authorization.Default or AzureAd.RequiredScopes/RequiredRoles, not both"}, ErrInvalid},
		{"both default and legacy roles", "  RequiredRoles: [R]\nAuthorization:\n  Default: {AnyScopes: [b]}\n",
			[]string{"Authorization.Default: set Authorization.Default or AzureAd.RequiredScopes/RequiredRoles, not both"}, ErrInvalid},
		{"unknown route", "Authorization:\n  Routes:\n    /x: {AnyScopes: [a]}\n",
			[]string{`Authorization.Routes["/x"]: is not a route the gateway protects (/me, /graph/me)`}, ErrInvalid},
		{"unprotected route", "Authorization:\n  Routes:\n    /healthz: {AnyScopes: [a]}\n",
			[]string{`Authorization.Routes["/healthz"]: is not a route`}, ErrInvalid},
		{"not exact route", "Authorization:\n  Routes:\n    /me/: {AnyScopes: [a]}\n    /graph: {AnyScopes: [a]}\n    /ME: {AnyScopes: [a]}\n",
			[]string{`Authorization.Routes["/ME"]: is not`, `Authorization.Routes["/graph"]: is not`, `Authorization.Routes["/me/"]: is not`}, ErrInvalid},
		{"empty route entry", "Authorization:\n  Routes:\n    /me: {}\n",
			[]string{`Authorization.Routes["/me"]: sets no AnyScopes, AllScopes, AnyRoles or AllRoles`}, ErrInvalid},
		{"null route entry", "Authorization:\n  Routes:\n    /graph/me:\n",
			[]string{`Authorization.Routes["/graph/me"]: sets no`}, ErrInvalid},
		{"empty entries", "Authorization:\n  Routes:\n    /me: {AnyScopes: [\"\"], AllRoles: [R, \"\"]}\n",
			[]string{`Authorization.Routes["/me"].AnyScopes[0]: "" is empty or holds spaces or quotes`,
				`Authorization.Routes["/me"].AllRoles[1]: "" is empty`}, ErrInvalid},
		{"spaces and quotes", "Authorization:\n  Routes:\n    /graph/me: {AllScopes: [\"a b\", \"x\\\"y\", \"t\\tz\", \" c\", \"d\\\\e\"]}\n",
			[]string{`Authorization.Routes["/graph/me"].AllScopes[0]: "a b"`, `AllScopes[1]: "x\"y"`, `AllScopes[2]: "t\tz"`,
				`AllScopes[3]: " c"`, `AllScopes[4]: "d\\e"`}, ErrInvalid},
		{"newline and nbsp", "Authorization:\n  Default: {AnyRoles: [\"a\\nb\", \"a\\u00a0b\", \"it's\"]}\n",
			[]string{`Authorization.Default.AnyRoles[0]: "a\nb" is empty or holds spaces or quotes`, `Authorization.Default.AnyRoles[1]`,
				`Authorization.Default.AnyRoles[2]`}, ErrInvalid},
		{"legacy entries", "  RequiredScopes: [ok, \"a b\"]\n  RequiredRoles: [\"\"]\n",
			[]string{`AzureAd.RequiredScopes[1]: "a b" is empty or holds spaces or quotes`, `AzureAd.RequiredRoles[0]: "" is empty`}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(minimal + tc.yaml))
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
