package obo

import (
	"encoding/json"
	"fmt"
)

// mergeCapabilities adds the client capabilities (e.g. "cp1" for
// Continuous Access Evaluation) to a claims request, as MSAL does:
// {"access_token":{"xms_cc":{"values":[...]}}}. An existing claims request
// keeps its other members.
func mergeCapabilities(claims string, caps []string) (string, error) {
	if len(caps) == 0 {
		return claims, nil
	}
	root := map[string]json.RawMessage{}
	if claims != "" {
		if err := json.Unmarshal([]byte(claims), &root); err != nil {
			return "", fmt.Errorf("%w: claims must be a JSON object", ErrInvalidRequest)
		}
	}
	at := map[string]json.RawMessage{}
	if raw, ok := root["access_token"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &at); err != nil {
			return "", fmt.Errorf("%w: claims.access_token must be a JSON object", ErrInvalidRequest)
		}
	}
	cc, err := json.Marshal(map[string][]string{"values": caps})
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	at["xms_cc"] = cc
	if root["access_token"], err = json.Marshal(at); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	out, err := json.Marshal(root)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return string(out), nil
}
