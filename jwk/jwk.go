// Package jwk parses JSON Web Key Sets as Entra ID publishes them and holds
// the RSA verification keys they contain. It is pure: no I/O, no goroutines.
//
// Parsing decisions (see Parse and docs/validation.md): RSA keys only, built
// from n and e and never from x5c (the 2014 Entra certificates carry negative
// serial numbers that crypto/x509 refuses); n and e may be base64url or, as
// in Microsoft's 2014 key sets and as Microsoft's own stack tolerates,
// standard base64 with padding — for key sets only, never for tokens; keys
// under 2048 bits (or over 8192), with e != 65537, use other than "sig",
// key_ops without "verify" or a non-RSA alg are skipped and listed in
// Skipped; documents are capped at MaxSetSize bytes and MaxKeys keys.
//
// CONTRACT (shared by keysource, validate, gateway, edge): the exported names
// in this file are relied on by other packages. Extend, do not rename.
package jwk

import (
	"crypto/rsa"
	"errors"
)

// Sentinel errors. Key sources wrap them with %w so that callers can tell
// "key set unreachable" from "no such key" from "bad signature".
var (
	// ErrKeyNotFound: no key in the (fresh enough) set matches the token's kid/x5t.
	ErrKeyNotFound = errors.New("jwk: signing key not found")
	// ErrKeySetUnavailable: the key set could not be loaded and no usable
	// last-known-good copy exists.
	ErrKeySetUnavailable = errors.New("jwk: key set unavailable")
	// ErrMalformedSet: the document is not a usable JWKS (bad JSON, no keys member).
	ErrMalformedSet = errors.New("jwk: malformed key set")
	// ErrEmptySet: the document parsed but holds no usable RSA signing key.
	ErrEmptySet = errors.New("jwk: key set holds no usable key")
)

// Key is one RSA verification key.
type Key struct {
	Kid string // "kid" member; may be empty
	X5t string // "x5t" member (base64url SHA-1 of the certificate); may be empty
	// Issuer is the Entra v2 "issuer" member, possibly holding the
	// "{tenantid}" template; empty when the key carries none (v1 key sets).
	Issuer string
	Alg    string // "alg" member if present (Entra keys usually omit it)
	Public *rsa.PublicKey
}

// Set is an immutable set of keys, safe for concurrent use.
type Set struct {
	keys    []*Key
	byKid   map[string]*Key
	byX5t   map[string]*Key
	skipped []string
}

// NewSet builds a set from keys (used by tests and by Parse).
func NewSet(keys []*Key) *Set {
	s := &Set{keys: keys, byKid: make(map[string]*Key, len(keys)), byX5t: make(map[string]*Key, len(keys))}
	for _, k := range keys {
		if k.Kid != "" {
			if _, dup := s.byKid[k.Kid]; !dup {
				s.byKid[k.Kid] = k
			}
		}
		if k.X5t != "" {
			if _, dup := s.byX5t[k.X5t]; !dup {
				s.byX5t[k.X5t] = k
			}
		}
	}
	return s
}

// Lookup finds the key for a token header. kid is only ever a map key;
// x5t is consulted only when kid is empty (older Entra v1 tokens).
func (s *Set) Lookup(kid, x5t string) (*Key, bool) {
	if s == nil {
		return nil, false
	}
	if kid != "" {
		k, ok := s.byKid[kid]
		return k, ok
	}
	if x5t != "" {
		k, ok := s.byX5t[x5t]
		return k, ok
	}
	return nil, false
}

// Keys returns the keys in document order. Callers must not modify them.
func (s *Set) Keys() []*Key {
	if s == nil {
		return nil
	}
	return s.keys
}

// Len is the number of usable keys.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.keys)
}

// Kids lists the key ids (or x5t where kid is absent), in document order.
func (s *Set) Kids() []string {
	out := make([]string, 0, s.Len())
	for _, k := range s.Keys() {
		if k.Kid != "" {
			out = append(out, k.Kid)
		} else {
			out = append(out, k.X5t)
		}
	}
	return out
}

// Skipped describes keys that were present but not usable (wrong kty, too
// small, bad exponent, ...), one short sentence each, without key material.
func (s *Set) Skipped() []string {
	if s == nil {
		return nil
	}
	return s.skipped
}

// Parse is implemented in parse.go:
//
//	func Parse(data []byte) (*Set, error)
//
// It returns ErrMalformedSet or ErrEmptySet (wrapped) on failure and skips
// individual unusable keys (recorded in Skipped).
