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

// Requirement is the authorization rule for /me and /graph/me
// (RequiredScopes any-of, RequiredRoles any-of); empty accepts any valid token.
func (c *Config) Requirement() validate.Requirement {
	return validate.Requirement{AnyScopes: c.AzureAd.RequiredScopes, AnyRoles: c.AzureAd.RequiredRoles}
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
