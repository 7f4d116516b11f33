package jwk

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// Limits of Parse.
const (
	// MaxSetSize is the largest key-set document Parse accepts (1 MiB; Entra's
	// are about 10 KiB). Fetchers should cap their reads at this size too.
	MaxSetSize = 1 << 20
	// MaxKeys is the most keys Parse considers; later entries are skipped.
	MaxKeys = 100
	// MinRSABits is the smallest accepted modulus.
	MinRSABits = 2048
	// MaxRSABits is the largest accepted modulus (bounds verification cost).
	MaxRSABits = 8192
)

type rawKey struct {
	Kty    *string `json:"kty"`
	Use    *string `json:"use"`
	Kid    string  `json:"kid"`
	X5t    string  `json:"x5t"`
	N      string  `json:"n"`
	E      string  `json:"e"`
	Issuer string  `json:"issuer"`
	Alg    string  `json:"alg"`
	// KeyOps, when present, must include "verify".
	KeyOps *[]string `json:"key_ops"`
}

// Parse parses a JSON Web Key Set as Entra ID publishes it (see the package
// documentation for the accepted forms). Unusable keys are skipped and
// described in Skipped; a document with no usable key is ErrEmptySet.
//
// Decisions:
//   - RSA only; keys are built from n and e, never from x5c (the 2014 Entra
//     certificates have negative serial numbers that crypto/x509 refuses, and
//     a key set's certificate is not a trust anchor here anyway).
//   - n and e may be base64url (RFC 7518) or, as Microsoft's own parser
//     tolerates for KEY SETS, standard base64 with '+', '/' and '=' padding.
//     Tokens never get this tolerance (see package jwt).
//   - modulus < 2048 or > 8192 bits, or e != 65537: skipped.
//   - use other than "sig", key_ops without "verify", or alg that is not an
//     RSA JWS alg: skipped.
func Parse(data []byte) (*Set, error) {
	if len(data) > MaxSetSize {
		return nil, fmt.Errorf("%w: document is %d bytes, limit %d", ErrMalformedSet, len(data), MaxSetSize)
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedSet, err)
	}
	if doc.Keys == nil {
		return nil, fmt.Errorf("%w: no \"keys\" array", ErrMalformedSet)
	}
	var keys []*Key
	var skipped []string
	for i, rk := range doc.Keys {
		if i >= MaxKeys {
			skipped = append(skipped, fmt.Sprintf("keys after the first %d ignored (%d more)", MaxKeys, len(doc.Keys)-MaxKeys))
			break
		}
		k, why := parseKey(rk)
		if why != "" {
			skipped = append(skipped, fmt.Sprintf("key %d%s: %s", i, label(k), why))
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrEmptySet, strings.Join(skipped, "; "))
	}
	s := NewSet(keys)
	s.skipped = skipped
	return s, nil
}

func label(k *Key) string {
	if k == nil {
		return ""
	}
	if k.Kid != "" {
		return fmt.Sprintf(" (kid %q)", k.Kid)
	}
	if k.X5t != "" {
		return fmt.Sprintf(" (x5t %q)", k.X5t)
	}
	return ""
}

func parseKey(msg json.RawMessage) (*Key, string) {
	var rk rawKey
	if err := json.Unmarshal(msg, &rk); err != nil {
		return nil, "not a JSON object with string members"
	}
	k := &Key{Kid: rk.Kid, X5t: rk.X5t, Issuer: rk.Issuer, Alg: rk.Alg}
	if len(k.Kid) > 256 || len(k.X5t) > 256 || len(k.Issuer) > 512 {
		return nil, "kid, x5t or issuer too long"
	}
	if rk.Kty == nil || *rk.Kty != "RSA" {
		return k, "kty is not RSA"
	}
	if rk.Use != nil && *rk.Use != "sig" {
		return k, "use is not sig"
	}
	if rk.KeyOps != nil && !hasVerify(*rk.KeyOps) {
		return k, "key_ops does not include verify"
	}
	if rk.Alg != "" && !isRSAAlg(rk.Alg) {
		return k, "alg is not an RSA signature algorithm"
	}
	if k.Kid == "" && k.X5t == "" {
		return k, "neither kid nor x5t"
	}
	n, err := DecodeKeyInt(rk.N)
	if err != nil {
		return k, "n is not base64: " + err.Error()
	}
	e, err := DecodeKeyInt(rk.E)
	if err != nil {
		return k, "e is not base64: " + err.Error()
	}
	pub := &rsa.PublicKey{N: n, E: 0}
	if !e.IsInt64() || e.Int64() != 65537 {
		return k, "exponent is not 65537"
	}
	pub.E = 65537
	if err := CheckRSA(pub); err != nil {
		return k, err.Error()
	}
	k.Public = pub
	return k, ""
}

func hasVerify(ops []string) bool {
	for _, o := range ops {
		if o == "verify" {
			return true
		}
	}
	return false
}

func isRSAAlg(a string) bool {
	switch a {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return true
	}
	return false
}

// CheckRSA reports why pub is not acceptable for verification (nil if it is):
// modulus between MinRSABits and MaxRSABits, odd, exponent 65537.
func CheckRSA(pub *rsa.PublicKey) error {
	if pub == nil || pub.N == nil {
		return fmt.Errorf("no RSA public key")
	}
	if bits := pub.N.BitLen(); bits < MinRSABits {
		return fmt.Errorf("modulus is %d bits, below %d", bits, MinRSABits)
	} else if bits > MaxRSABits {
		return fmt.Errorf("modulus is %d bits, above %d", bits, MaxRSABits)
	}
	if pub.N.Bit(0) == 0 {
		return fmt.Errorf("modulus is even")
	}
	if pub.E != 65537 {
		return fmt.Errorf("exponent is not 65537")
	}
	return nil
}

// DecodeKeyInt decodes a key-set big-endian integer (n or e): base64url
// without padding, or the standard-base64 form (with '+', '/', '=') that
// Microsoft's 2014 key sets use. Whitespace is refused.
func DecodeKeyInt(s string) (*big.Int, error) {
	if s == "" {
		return nil, fmt.Errorf("empty")
	}
	var b []byte
	var err error
	if strings.ContainsAny(s, "+/=") {
		if strings.ContainsAny(s, "-_") {
			return nil, fmt.Errorf("mixes base64 alphabets")
		}
		if strings.HasSuffix(s, "=") {
			b, err = base64.StdEncoding.Strict().DecodeString(s)
		} else {
			b, err = base64.RawStdEncoding.Strict().DecodeString(s)
		}
	} else {
		b, err = base64.RawURLEncoding.Strict().DecodeString(s)
	}
	if err != nil {
		return nil, fmt.Errorf("invalid encoding")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return nil, fmt.Errorf("contains whitespace")
	}
	return new(big.Int).SetBytes(b), nil
}
