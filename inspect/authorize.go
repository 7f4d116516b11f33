package inspect

import (
	"errors"
	"sort"
	"strings"

	"github.com/entragate/entragate/validate"
)

// routeResult is one protected route's authorization outcome for a valid token.
type routeResult struct {
	Route   string `json:"route"`
	Verdict string `json:"verdict"`           // allowed / refused
	Reason  string `json:"reason,omitempty"`  // insufficient_scope when refused
	Needs   string `json:"needs,omitempty"`   // the scopes/roles the route requires
	Message string `json:"message,omitempty"` // why it is refused
}

// authorize applies each route's requirement to the verified token (res),
// filling rep.Routes. When every route refuses it, the verdict becomes
// refused (insufficient_scope) and authorize reports true.
func authorize(rep *report, res *validate.Result, routes map[string]validate.Requirement) (refused bool) {
	names := make([]string, 0, len(routes))
	for r := range routes {
		names = append(names, r)
	}
	sort.Slice(names, func(i, j int) bool { // "/me" before "/graph/me"
		if len(names[i]) != len(names[j]) {
			return len(names[i]) < len(names[j])
		}
		return names[i] < names[j]
	})
	var fixOrder []string              // distinct needs, in route order
	fixRoutes := map[string][]string{} // needs → the routes refusing for it
	appOnlyBlocked := false
	allowed := 0
	for _, name := range names {
		req := routes[name]
		rr := routeResult{Route: name, Verdict: "allowed", Needs: needs(req)}
		if err := req.Check(res); err != nil {
			rr.Verdict = "refused"
			rr.Reason = string(validate.ReasonInsufficientScope)
			var ve *validate.Error
			if errors.As(err, &ve) {
				rr.Reason, rr.Message = string(ve.Reason), ve.Msg
			}
			if _, seen := fixRoutes[rr.Needs]; !seen {
				fixOrder = append(fixOrder, rr.Needs)
			}
			fixRoutes[rr.Needs] = append(fixRoutes[rr.Needs], name)
			if res != nil && res.AppOnly && len(req.AnyRoles) == 0 && len(req.AllRoles) == 0 {
				appOnlyBlocked = true
				rr.Needs += ", in a delegated (user) token"
			}
		} else {
			allowed++
		}
		rep.Routes = append(rep.Routes, rr)
	}
	if len(names) == 0 || allowed > 0 {
		return false
	}
	rep.Verdict = "refused"
	rep.Reason = string(validate.ReasonInsufficientScope)
	rep.Message = "the token is valid, but no protected route accepts it: it lacks the scopes or roles the configuration requires"
	fixes := make([]string, 0, len(fixOrder))
	for _, n := range fixOrder {
		fixes = append(fixes, n+" (for "+and(fixRoutes[n])+")")
	}
	fix := "Request a token with " + strings.Join(fixes, ", or ") + "."
	if appOnlyBlocked {
		fix += " An app-only (client credentials) token passes only by app roles: call with a user's token for scopes, or grant the application an app role."
	}
	rep.Fix = fix
	return true
}

// needs describes a requirement: "scope a", "one of the scopes a, b",
// "scopes a and b", "app role R", joined by " or "; "" when it requires nothing.
func needs(r validate.Requirement) string {
	var alts []string
	if s := phrase("scope", "scopes", r.AnyScopes, r.AllScopes); s != "" {
		alts = append(alts, s)
	}
	if s := phrase("app role", "app roles", r.AnyRoles, r.AllRoles); s != "" {
		alts = append(alts, s)
	}
	if len(alts) == 0 {
		return ""
	}
	return strings.Join(alts, " or ")
}

func phrase(one, many string, anyOf, allOf []string) string {
	var parts []string
	switch {
	case len(allOf) == 1 && len(anyOf) == 0:
		return one + " " + allOf[0]
	case len(allOf) > 1:
		parts = append(parts, many+" "+and(allOf))
	case len(allOf) == 1:
		parts = append(parts, one+" "+allOf[0])
	}
	switch {
	case len(anyOf) == 1 && len(parts) == 0:
		return one + " " + anyOf[0]
	case len(anyOf) == 1:
		parts = append(parts, anyOf[0])
	case len(anyOf) > 1 && len(parts) == 0:
		return "one of the " + many + " " + strings.Join(anyOf, ", ")
	case len(anyOf) > 1:
		parts = append(parts, "one of "+strings.Join(anyOf, ", "))
	}
	return strings.Join(parts, " and ")
}

func and(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
