// Package authority holds Entra ID's issuer and tenant logic: instances
// (public and sovereign clouds, B2C / External ID), tenants (GUIDs,
// organizations, common, consumers), metadata and key-set URLs, the issuer
// rules, and the OpenID Connect discovery document parser. Pure: no I/O.
//
// CONTRACT: ParseMetadata and Metadata are used by keysource and by tests that
// feed both the real documents in ../shared/testdata/entra/metadata and the
// emulator's own. Extend, do not rename.
package authority

import "errors"

// ErrMalformedMetadata: the discovery document is unusable.
var ErrMalformedMetadata = errors.New("authority: malformed metadata document")

// Metadata is the subset of an OpenID Connect discovery document we use.
type Metadata struct {
	Issuer                string   `json:"issuer"`   // may hold "{tenantid}"
	JWKSURI               string   `json:"jwks_uri"` // required
	TokenEndpoint         string   `json:"token_endpoint"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	IDTokenSigningAlgs    []string `json:"id_token_signing_alg_values_supported"`
	TenantRegionScope     string   `json:"tenant_region_scope"`
	CloudInstanceName     string   `json:"cloud_instance_name"`
	MSGraphHost           string   `json:"msgraph_host"`
}

// ParseMetadata is implemented in metadata.go:
//
//	func ParseMetadata(data []byte) (*Metadata, error)
//
// It requires issuer and jwks_uri (absolute https URLs, or http on loopback),
// and wraps ErrMalformedMetadata on failure.
