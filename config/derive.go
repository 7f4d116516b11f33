package config

import (
	"time"

	"github.com/entragate/entragate/authority"
	"github.com/entragate/entragate/validate"
)

// ValidatorConfig maps the configuration onto validate.Config. Every form
// (gateway, edge, tests) builds its validator through this one function.
func (c *Config) ValidatorConfig(keys validate.Keys, now func() time.Time) validate.Config {
	a := &c.AzureAd
	return validate.Config{
		Instance:       a.Instance,
		TenantID:       a.TenantId,
		AllowedTenants: a.AllowedTenants,
		AllowAnyTenant: a.AllowAnyTenant,
		ClientID:       a.ClientId,
		Audiences:      a.AllAudiences(),
		Issuers:        a.Issuers,
		AcceptV1:       a.AcceptV1,
		AcceptV2:       a.AcceptV2,
		Algorithms:     c.Validation.Algorithms,
		Types:          c.Validation.Types,
		ClockSkew:      c.Validation.ClockSkew,
		MaxTokenSize:   c.Validation.MaxTokenSize,
		CacheEntries:   c.Validation.CacheEntries,
		Keys:           keys,
		Now:            now,
	}
}

// NewValidator builds the validator exactly as the gateway does.
func (c *Config) NewValidator(keys validate.Keys, now func() time.Time) (*validate.Validator, error) {
	return validate.New(c.ValidatorConfig(keys, now))
}

// Requirement is the default authorization rule of the protected routes:
// Authorization.Default, or else the older AzureAd.RequiredScopes (any-of)
// and RequiredRoles (any-of); empty accepts any valid token.
func (c *Config) Requirement() validate.Requirement {
	if d := c.Authorization.Default; !d.IsZero() {
		return d.validate()
	}
	return validate.Requirement{AnyScopes: clone(c.AzureAd.RequiredScopes), AnyRoles: clone(c.AzureAd.RequiredRoles)}
}

// RouteRequirement is the rule for one protected route (RouteMe,
// RouteGraphMe): its Authorization.Routes entry, which replaces the
// default, or else Requirement().
func (c *Config) RouteRequirement(route string) validate.Requirement {
	if r, ok := c.Authorization.Routes[route]; ok {
		return r.validate()
	}
	return c.Requirement()
}

// RouteRequirements maps every protected route (ProtectedRoutes) to its
// rule; the gateway applies them.
func (c *Config) RouteRequirements() map[string]validate.Requirement {
	m := make(map[string]validate.Requirement, len(protectedRoutes))
	for _, r := range protectedRoutes {
		m[r] = c.RouteRequirement(r)
	}
	return m
}

func (r Requirement) validate() validate.Requirement {
	return validate.Requirement{AnyScopes: clone(r.AnyScopes), AllScopes: clone(r.AllScopes),
		AnyRoles: clone(r.AnyRoles), AllRoles: clone(r.AllRoles)}
}

func clone(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

// KeySource says where the signing keys come from: exactly one of the
// returned strings is non-empty. Default: the tenant's v2 discovery document.
func (c *Config) KeySource() (metadataURL, jwksURL, file string) {
	a := &c.AzureAd
	switch {
	case a.JwksFile != "":
		return "", "", a.JwksFile
	case a.JwksUrl != "":
		return "", a.JwksUrl, ""
	case a.MetadataUrl != "":
		return a.MetadataUrl, "", ""
	}
	return authority.MetadataURL(a.Instance, a.TenantId, true), "", ""
}

// MultiTenant reports whether TenantId is organizations or common (OBO
// then runs in the caller's tenant).
func (c *Config) MultiTenant() bool { return isMultiTenant(c.AzureAd.TenantId) }
