package validate

import (
	"context"
	"fmt"

	"github.com/entragate/entragate/jwk"
)

// SetKeys adapts a fixed jwk.Set to Keys (tests, inspect, key files). A nil
// Set reports jwk.ErrKeySetUnavailable.
type SetKeys struct{ Set *jwk.Set }

// Key implements Keys: kid is only a map key; x5t is used when kid is empty.
func (s SetKeys) Key(_ context.Context, kid, x5t string) (*jwk.Key, error) {
	if s.Set == nil {
		return nil, jwk.ErrKeySetUnavailable
	}
	k, ok := s.Set.Lookup(kid, x5t)
	if !ok {
		return nil, fmt.Errorf("%w", jwk.ErrKeyNotFound)
	}
	return k, nil
}
