package obo

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
	"unsafe"
)

// NormalizeScopes returns the scope set as Entra treats it: split on
// whitespace, case-folded, de-duplicated and sorted. The token request sends
// exactly this set (space-joined), so the cache key and the request agree.
func NormalizeScopes(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if s != "" && !strings.ContainsAny(s, " \t\r\n\v\f") {
			out = append(out, strings.ToLower(s)) // common case: one scope per element
			continue
		}
		for _, f := range strings.Fields(s) {
			out = append(out, strings.ToLower(f))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CacheKey derives the cache key of an OBO token: hex SHA-256 over a
// length-prefixed encoding of instance, tenant, client id, SHA-256 of the
// assertion, the normalized scope set and the claims request. The key never
// holds the assertion, a user id or a scope in clear, and is never keyed by
// the user alone: a new assertion gives a new key.
func CacheKey(instance, tenant, clientID, assertion string, scopes []string, claims string) string {
	return cacheKey(instance, tenant, clientID, assertionHash(assertion), NormalizeScopes(scopes), claims)
}

// assertionHash is the SHA-256 of the assertion.
func assertionHash(assertion string) [32]byte {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(assertion), len(assertion))) // read-only view, no copy
}

// cacheKey is CacheKey for an already hashed assertion ah and an already
// normalized scope set ns.
func cacheKey(instance, tenant, clientID string, ah [32]byte, ns []string, claims string) string {
	buf := make([]byte, 0, 256)
	buf = appendField(buf, "entragate-obo-v1")
	buf = appendField(buf, strings.ToLower(normalizeInstance(instance)))
	buf = appendField(buf, strings.ToLower(tenant))
	buf = appendField(buf, strings.ToLower(clientID))
	buf = appendField(buf, string(ah[:]))
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(ns)))
	for _, s := range ns {
		buf = appendField(buf, s)
	}
	buf = appendField(buf, claims)
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

func appendField(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// normalizeInstance makes the instance end with exactly one "/".
func normalizeInstance(instance string) string {
	if instance == "" {
		return DefaultInstance
	}
	if n := len(instance); instance[n-1] == '/' && (n == 1 || instance[n-2] != '/') {
		return instance
	}
	return strings.TrimRight(instance, "/") + "/"
}
