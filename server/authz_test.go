package server

import (
	"reflect"
	"testing"

	"github.com/entragate/entragate/config"
	"github.com/entragate/entragate/gateway"
	"github.com/entragate/entragate/validate"
)

// TestRouteRequirements: every protected route gets its rule, under the
// gateway's own route names.
func TestRouteRequirements(t *testing.T) {
	if config.RouteMe != gateway.RouteMe || config.RouteGraphMe != gateway.RouteGraphMe {
		t.Fatal("config and gateway disagree on the protected routes")
	}
	tests := []struct {
		name      string
		extra     string // appended to demoConfig (RequiredScopes: [access_as_user])
		me, graph validate.Requirement
	}{
		{"legacy default", "", validate.Requirement{AnyScopes: []string{"access_as_user"}}, validate.Requirement{AnyScopes: []string{"access_as_user"}}},
		{"route entry", "Authorization:\n  Routes:\n    /graph/me: {AllScopes: [access_as_user, Profile.Read]}\n",
			validate.Requirement{AnyScopes: []string{"access_as_user"}}, validate.Requirement{AllScopes: []string{"access_as_user", "Profile.Read"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := routeRequirements(demoConfig(t, "http://127.0.0.1:1", tc.extra))
			if len(m) != 2 || !reflect.DeepEqual(m[gateway.RouteMe], tc.me) || !reflect.DeepEqual(m[gateway.RouteGraphMe], tc.graph) {
				t.Fatalf("%+v", m)
			}
		})
	}
}
