package authority

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// CloudAliases is one entry of Entra's instance-discovery answer
// ({instance}common/discovery/instance): host names that are the same cloud.
type CloudAliases struct {
	PreferredNetwork string   `json:"preferred_network"`
	PreferredCache   string   `json:"preferred_cache"`
	Aliases          []string `json:"aliases"`
}

// ParseInstanceDiscovery parses an instance-discovery answer. Errors wrap
// ErrMalformedMetadata.
func ParseInstanceDiscovery(data []byte) ([]CloudAliases, error) {
	if len(data) > MaxMetadataSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrMalformedMetadata, len(data), MaxMetadataSize)
	}
	var doc struct {
		Metadata []CloudAliases `json:"metadata"`
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedMetadata, err)
	}
	if len(doc.Metadata) == 0 {
		return nil, fmt.Errorf("%w: no metadata entries", ErrMalformedMetadata)
	}
	return doc.Metadata, nil
}
