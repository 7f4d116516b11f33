package problem

import (
	"net/http"
	"strings"
)

// OAuth 2.0 bearer error codes (RFC 6750 §3.1) and the Entra claims
// challenge code.
const (
	CodeInvalidRequest     = "invalid_request"
	CodeInvalidToken       = "invalid_token"
	CodeInsufficientScope  = "insufficient_scope"
	CodeInsufficientClaims = "insufficient_claims"
)

// Challenge is one RFC 6750 "Bearer" challenge. Empty fields are omitted,
// except Realm when RealmSet is true (Entra's claims challenge sends
// realm="" explicitly).
type Challenge struct {
	Realm            string
	RealmSet         bool
	Error            string // RFC 6750 error code; empty for "no credentials"
	ErrorDescription string // one sentence; never token contents
	Scope            string // space-separated scopes (insufficient_scope)
	Claims           string // base64 claims challenge (insufficient_claims)
}

// String renders the challenge, e.g.
// `Bearer error="invalid_token", error_description="token_expired: ..."`.
// Values are sanitised to the characters RFC 6750 §3 allows, so they can
// never break out of their quoted-string.
func (c Challenge) String() string {
	var b strings.Builder
	b.WriteString("Bearer")
	n := 0
	param := func(name, value string) {
		if n == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(", ")
		}
		n++
		b.WriteString(name)
		b.WriteString(`="`)
		b.WriteString(value)
		b.WriteByte('"')
	}
	if c.RealmSet || c.Realm != "" {
		param("realm", quote(c.Realm))
	}
	if c.Error != "" {
		param("error", sanitize(c.Error, false))
	}
	if c.ErrorDescription != "" {
		param("error_description", sanitize(truncate(c.ErrorDescription, MaxDetail), true))
	}
	if c.Scope != "" {
		param("scope", sanitize(c.Scope, true))
	}
	if c.Claims != "" {
		param("claims", sanitize(c.Claims, false))
	}
	return b.String()
}

// Set writes the challenge as the WWW-Authenticate header of h.
func (c Challenge) Set(h http.Header) { h.Set("WWW-Authenticate", c.String()) }

// sanitize keeps only the characters RFC 6750 allows in error,
// error_description and scope values: %x20-21 / %x23-5B / %x5D-7E
// (printable ASCII without '"' and '\'). Others become '?' (quote and
// backslash become '\” and '/'). Spaces are allowed only if space is true.
func sanitize(s string, space bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteByte('\'')
		case r == '\\':
			b.WriteByte('/')
		case r == ' ' && space:
			b.WriteByte(' ')
		case r > 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// quote escapes a quoted-string body (RFC 9110 §5.6.4): '"' and '\' are
// backslash-escaped; control characters (tab included) and non-ASCII
// characters are dropped.
func quote(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		}
	}
	return b.String()
}
