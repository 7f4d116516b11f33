package emulator

import (
	"strings"
)

// resource is the target of a token request: Graph or an app registration.
type resource struct {
	graph bool
	app   App    // when !graph (a copy)
	id    string // identifier used in the request (App ID URI or client id)
}

// prefix is what scope strings are prefixed with in answers.
func (r resource) prefix() string {
	if r.graph {
		return GraphResource
	}
	return r.id
}

// scopeReq is a parsed scope parameter.
type scopeReq struct {
	res      resource
	scopes   []string // short names ("access_as_user"), or [".default"]
	offline  bool
	oidc     []string // openid, profile, email
	isDotDef bool
}

var oidcScopes = map[string]bool{"openid": true, "profile": true, "email": true}

const maxScopes = 32

// parseScopes resolves the space-separated scope parameter against a tenant.
// Caller holds e.mu (read).
func parseScopes(t *Tenant, raw string) (*scopeReq, *aadError) {
	fields := strings.Fields(raw)
	if len(fields) == 0 {
		return nil, errMissingParam("scope")
	}
	if len(fields) > maxScopes {
		return nil, newErr(400, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid.")
	}
	sr := &scopeReq{}
	var resID string
	for _, f := range fields {
		lf := strings.ToLower(f)
		if lf == "offline_access" {
			sr.offline = true
			continue
		}
		if oidcScopes[lf] {
			sr.oidc = append(sr.oidc, lf)
			continue
		}
		res, name := splitScope(f)
		if resID == "" {
			resID = res
		} else if !equalFold(resID, res) {
			return nil, newErr(400, "invalid_scope", 28000,
				"Provided value for the input parameter scope is not valid because it contains more than one resource. Scope %s is not valid.",
				truncate(raw, 256))
		}
		if name == ".default" {
			sr.isDotDef = true
		}
		sr.scopes = append(sr.scopes, name)
	}
	if resID == "" {
		// Only OIDC scopes: Entra issues a Graph token.
		resID = GraphResource
		sr.scopes = []string{"User.Read"}
	}
	if sr.isDotDef && len(sr.scopes) > 1 {
		return nil, newErr(400, "invalid_scope", 70011,
			"The provided value for the input parameter 'scope' is not valid. The scope %s is not valid. .default scope can't be combined with resource-specific scopes.",
			truncate(raw, 256))
	}
	switch {
	case equalFold(resID, GraphResource) || equalFold(resID, GraphResource+"/") || equalFold(resID, GraphAppID):
		sr.res = resource{graph: true, id: GraphResource}
	default:
		a := findApp(t, resID)
		if a == nil {
			return nil, newErr(400, "invalid_resource", 500011,
				"The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
				truncate(resID, 128), t.DisplayName)
		}
		sr.res = resource{app: *a, id: resID}
		if !sr.isDotDef {
			for _, s := range sr.scopes {
				if !a.hasScope(s) {
					return nil, newErr(400, "invalid_scope", 70011,
						"The provided value for the input parameter 'scope' is not valid. The scope %s is not valid.", truncate(resID+"/"+s, 256))
				}
			}
		}
	}
	return sr, nil
}

// splitScope splits "api://x/read" into ("api://x", "read"); a bare scope
// ("User.Read") belongs to Graph.
func splitScope(s string) (res, name string) {
	i := strings.LastIndex(s, "/")
	if i <= 0 || i == len(s)-1 {
		return GraphResource, s
	}
	return s[:i], s[i+1:]
}

// delegatedScp is the scp claim for a delegated token.
func (sr *scopeReq) delegatedScp() []string {
	if sr.res.graph {
		if sr.isDotDef {
			return []string{"openid", "profile", "User.Read", "email"}
		}
		return sr.scopes
	}
	if sr.isDotDef {
		return sr.res.app.Scopes
	}
	out := make([]string, 0, len(sr.scopes))
	for _, s := range sr.scopes {
		for _, x := range sr.res.app.Scopes { // canonical spelling
			if equalFold(x, s) {
				out = append(out, x)
			}
		}
	}
	return out
}

// answerScope is the "scope" member of a success answer.
func (sr *scopeReq) answerScope(granted []string) string {
	parts := make([]string, 0, len(granted)+4)
	for _, s := range granted {
		parts = append(parts, sr.res.prefix()+"/"+s)
	}
	parts = append(parts, sr.oidc...)
	if sr.offline {
		parts = append(parts, "offline_access")
	}
	return strings.Join(parts, " ")
}
