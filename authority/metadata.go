package authority

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// MaxMetadataSize bounds a discovery document (Entra's are about 2 KiB).
const MaxMetadataSize = 256 << 10

// ParseMetadata parses an OpenID Connect discovery document. issuer and
// jwks_uri are required and must be absolute https URLs (http only on
// loopback hosts); token_endpoint, when present, must be too. Unknown members
// are ignored. Errors wrap ErrMalformedMetadata.
func ParseMetadata(data []byte) (*Metadata, error) {
	if len(data) > MaxMetadataSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrMalformedMetadata, len(data), MaxMetadataSize)
	}
	var m Metadata
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedMetadata, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", ErrMalformedMetadata)
	}
	if m.Issuer == "" {
		return nil, fmt.Errorf("%w: no issuer", ErrMalformedMetadata)
	}
	if err := checkURL(m.Issuer, true); err != nil {
		return nil, fmt.Errorf("%w: issuer: %v", ErrMalformedMetadata, err)
	}
	if m.JWKSURI == "" {
		return nil, fmt.Errorf("%w: no jwks_uri", ErrMalformedMetadata)
	}
	if err := checkURL(m.JWKSURI, false); err != nil {
		return nil, fmt.Errorf("%w: jwks_uri: %v", ErrMalformedMetadata, err)
	}
	if m.TokenEndpoint != "" {
		if err := checkURL(m.TokenEndpoint, false); err != nil {
			return nil, fmt.Errorf("%w: token_endpoint: %v", ErrMalformedMetadata, err)
		}
	}
	return &m, nil
}

// checkURL requires an absolute https URL (http on loopback). The issuer may
// hold the "{tenantid}" template, which url.Parse would otherwise refuse.
func checkURL(s string, template bool) error {
	if len(s) > 2048 {
		return fmt.Errorf("too long")
	}
	if template {
		s = strings.ReplaceAll(s, TenantPlaceholder, "tenant")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	if u.Host == "" || u.User != nil {
		return fmt.Errorf("not an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("must be https")
}
