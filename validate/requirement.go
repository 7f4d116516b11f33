package validate

import "strings"

// Check reports whether res satisfies the requirement: an *Error with
// ReasonInsufficientScope otherwise. Scopes (scp) apply to delegated tokens,
// roles to both; an app-only token (no scp, or idtyp=app) can satisfy only
// role requirements. An empty Requirement accepts everything.
func (r Requirement) Check(res *Result) error {
	if res == nil {
		return refuse(ReasonInsufficientScope, "no verified token", "Send a valid access token.", nil)
	}
	hasScopeReq := len(r.AnyScopes) > 0 || len(r.AllScopes) > 0
	hasRoleReq := len(r.AnyRoles) > 0 || len(r.AllRoles) > 0
	if !hasScopeReq && !hasRoleReq {
		return nil
	}
	rolesOK := hasRoleReq && anyOf(res.Roles, r.AnyRoles) && allOf(res.Roles, r.AllRoles)
	scopesOK := hasScopeReq && !res.AppOnly && anyOf(res.Scopes, r.AnyScopes) && allOf(res.Scopes, r.AllScopes)
	// Delegated tokens pass via scopes (or roles, where users hold app roles);
	// app-only tokens only via roles.
	if scopesOK || rolesOK {
		return nil
	}
	var need []string
	if hasScopeReq {
		need = append(need, "scopes "+strings.Join(append(append([]string{}, r.AnyScopes...), r.AllScopes...), ", "))
	}
	if hasRoleReq {
		need = append(need, "roles "+strings.Join(append(append([]string{}, r.AnyRoles...), r.AllRoles...), ", "))
	}
	msg := "the token lacks the required permission (" + strings.Join(need, "; or ") + ")"
	hint := "Request a token with the required scope, or grant the app role to the caller."
	if res.AppOnly && !hasRoleReq {
		msg = "this operation needs a delegated (user) token with a scope; app-only tokens are not accepted"
		hint = "Call with a user's token, or ask the API owner to expose an app role for applications."
	}
	return refuse(ReasonInsufficientScope, msg, hint, nil)
}

func anyOf(have, want []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, w := range want {
		for _, h := range have {
			if h == w {
				return true
			}
		}
	}
	return false
}

func allOf(have, want []string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
