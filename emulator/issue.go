package emulator

import (
	"fmt"
	"strings"
)

// TokenOptions asks IssueToken for an access token without an HTTP round trip.
type TokenOptions struct {
	TenantID string // default DemoTenantID
	ClientID string // the calling client (azp / appid); default DemoClientAppID (DemoDaemonClientID when app-only)
	User     string // user name, UPN or object id; "" = app-only token
	Scope    string // default DemoAPIScope (delegated) or DemoAPIAppIDURI+"/.default" (app-only)
	MFA      bool   // amr ["pwd","mfa"] instead of ["pwd"]
}

// IssueToken mints an access token as the token endpoint would (same
// claims, same signing key), skipping client and user authentication.
// Consent and MFA settings are not applied. For tests of other packages.
func (e *Emulator) IssueToken(o TokenOptions) (string, error) {
	if o.TenantID == "" {
		o.TenantID = DemoTenantID
	}
	if o.ClientID == "" {
		o.ClientID = DemoClientAppID
		if o.User == "" {
			o.ClientID = DemoDaemonClientID
		}
	}
	if o.Scope == "" {
		o.Scope = DemoAPIScope
		if o.User == "" {
			o.Scope = DemoAPIAppIDURI + "/.default"
		}
	}
	e.mu.RLock()
	t := e.lookupTenant(o.TenantID)
	if t == nil {
		e.mu.RUnlock()
		return "", fmt.Errorf("%w: %s", ErrUnknownTenant, o.TenantID)
	}
	tenant := *t
	a := findApp(t, o.ClientID)
	var user *User
	if o.User != "" {
		if u := findUser(t, o.User); u != nil {
			cp := *u
			user = &cp
		}
	}
	sr, serr := parseScopes(t, o.Scope)
	var client App
	if a != nil {
		client = *a
	}
	e.mu.RUnlock()
	switch {
	case a == nil:
		return "", fmt.Errorf("%w: %s", ErrUnknownApp, o.ClientID)
	case o.User != "" && user == nil:
		return "", fmt.Errorf("%w: %s", ErrUnknownUser, o.User)
	case serr != nil:
		return "", fmt.Errorf("emulator: %w", serr)
	}
	acr := "1"
	if client.PublicClient {
		acr = "0"
	}
	req := mintReq{tenant: &tenant, client: client, clientAuth: acr, sr: sr}
	if user == nil {
		if !strings.HasSuffix(o.Scope, "/.default") {
			return "", fmt.Errorf("emulator: app-only tokens need a <resource>/.default scope")
		}
		if !sr.res.graph {
			req.roles = rolesFor(client.RoleGrants, &sr.res.app)
		}
	} else {
		req.user = user
		req.amr = []string{"pwd"}
		if o.MFA {
			req.amr = append(req.amr, "mfa")
		}
		if !sr.res.graph {
			req.roles = rolesFor(user.Roles, &sr.res.app)
		}
	}
	m, err := e.mint(req)
	if err != nil {
		return "", err
	}
	return m.token, nil
}
