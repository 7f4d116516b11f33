package httpauth

import (
	"errors"
	"net/http"
	"strings"
)

// Extraction errors. ErrNoToken means "no credentials" (RFC 6750 §3.1: the
// challenge carries no error code); the others are client errors.
var (
	ErrNoToken        = errors.New("httpauth: no bearer token in the Authorization header")
	ErrMultipleHeader = errors.New("httpauth: more than one Authorization header")
	ErrHeaderTooLarge = errors.New("httpauth: Authorization header too large")
	ErrEmptyToken     = errors.New("httpauth: empty bearer token")
	ErrBadTokenChars  = errors.New("httpauth: bearer token holds characters outside b64token")
)

// DefaultMaxTokenSize bounds the Authorization header (scheme included).
const DefaultMaxTokenSize = 16384

// ExtractBearer returns the bearer token of r's Authorization header. It
// looks only at that header (never the query string or body), requires
// exactly one such header, checks the size cap before anything else,
// matches the scheme case-insensitively, and checks the RFC 6750 b64token
// syntax. A header with another scheme (Basic, ...) yields ErrNoToken.
// Two headers folded into one comma-separated value ("Bearer a, Bearer b",
// or "Basic x, Bearer y") count as two: ErrMultipleHeader.
func ExtractBearer(r *http.Request, maxSize int) (string, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxTokenSize
	}
	vals := r.Header.Values("Authorization")
	for _, v := range vals {
		if len(v) > maxSize+len("Bearer ") {
			return "", ErrHeaderTooLarge
		}
	}
	switch len(vals) {
	case 0:
		return "", ErrNoToken
	case 1:
	default:
		return "", ErrMultipleHeader
	}
	v := strings.TrimLeft(vals[0], " \t")
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		if foldedBearer(v) {
			return "", ErrMultipleHeader
		}
		return "", ErrNoToken
	}
	if strings.IndexByte(rest, ',') >= 0 {
		// A b64token never holds ',': two headers folded into one by a
		// proxy ("Bearer a, Bearer b"), refused like two headers.
		return "", ErrMultipleHeader
	}
	tok := strings.Trim(rest, " \t")
	if tok == "" {
		return "", ErrEmptyToken
	}
	if !isB64Token(tok) {
		return "", ErrBadTokenChars
	}
	return tok, nil
}

// foldedBearer reports whether a header whose first scheme is not Bearer
// holds, after a comma, another credential with the Bearer scheme (auth
// params of schemes like Digest also follow commas, but never start with
// "Bearer" and a space).
func foldedBearer(v string) bool {
	for {
		i := strings.IndexByte(v, ',')
		if i < 0 {
			return false
		}
		v = strings.TrimLeft(v[i+1:], " \t")
		if len(v) >= len("Bearer") && strings.EqualFold(v[:len("Bearer")], "Bearer") &&
			(len(v) == len("Bearer") || v[len("Bearer")] == ' ' || v[len("Bearer")] == '\t' || v[len("Bearer")] == ',') {
			return true
		}
	}
}

// isB64Token reports whether s matches RFC 6750's
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' {
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
