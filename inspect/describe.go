package inspect

import (
	"strings"
	"time"
	"unicode"

	"github.com/entragate/entragate/jwt"
)

// tokenInfo is what the token says about itself (unverified unless the
// verdict is "accepted").
type tokenInfo struct {
	Parsed    bool       `json:"parsed"`
	Kind      string     `json:"kind,omitempty"`    // "access token" / "ID token"
	Version   string     `json:"version,omitempty"` // "1.0" / "2.0"
	AppOnly   bool       `json:"app_only"`
	Alg       string     `json:"alg,omitempty"`
	Typ       string     `json:"typ,omitempty"`
	Kid       string     `json:"kid,omitempty"`
	X5t       string     `json:"x5t,omitempty"`
	Issuer    string     `json:"iss,omitempty"`
	TenantID  string     `json:"tid,omitempty"`
	Audience  []string   `json:"aud,omitempty"`
	ClientID  string     `json:"client_id,omitempty"`
	Subject   string     `json:"sub,omitempty"`
	ObjectID  string     `json:"oid,omitempty"`
	Scopes    []string   `json:"scopes,omitempty"`
	Roles     []string   `json:"roles,omitempty"`
	IssuedAt  *time.Time `json:"iat,omitempty"`
	NotBefore *time.Time `json:"nbf,omitempty"`
	ExpiresAt *time.Time `json:"exp,omitempty"`
	Flags     []string   `json:"header_flags,omitempty"` // jwk, jku, x5u, x5c, crit, nonce
	Problem   string     `json:"problem,omitempty"`
}

// clean makes an untrusted string safe for a terminal: control and
// non-printing characters become '?', and it is truncated.
func clean(s string) string {
	const max = 200
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n >= max {
			b.WriteString("…")
			break
		}
		if !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

func cleanAll(in []string) []string {
	const maxItems = 50
	var out []string
	for i, s := range in {
		if i == maxItems {
			out = append(out, "…")
			break
		}
		out = append(out, clean(s))
	}
	return out
}

func describe(raw string) tokenInfo {
	var d tokenInfo
	t, err := jwt.Parse(raw, jwt.Options{MaxSize: maxInput})
	if err != nil {
		d.Problem = "cannot be decoded: " + err.Error()
		return d
	}
	d.Parsed = true
	h := t.Header
	d.Alg, d.Typ, d.Kid, d.X5t = clean(h.Alg), clean(h.Typ), clean(h.Kid), clean(h.X5t)
	for _, fl := range []struct {
		on   bool
		name string
	}{{h.HasJWK, "jwk"}, {h.HasJKU, "jku"}, {h.HasX5U, "x5u"}, {h.HasX5C, "x5c"}, {h.HasCrit, "crit"}, {h.HasNonce, "nonce"}} {
		if fl.on {
			d.Flags = append(d.Flags, fl.name)
		}
	}
	c := &t.Claims
	str := func(name string) string { s, _, _ := c.String(name); return clean(s) }
	d.Issuer, d.TenantID, d.Subject, d.ObjectID = str("iss"), str("tid"), str("sub"), str("oid")
	d.Version = str("ver")
	if aud, _, err := c.Strings("aud"); err == nil {
		d.Audience = cleanAll(aud)
	}
	d.ClientID = str("azp")
	if d.ClientID == "" {
		d.ClientID = str("appid")
	}
	scp, hasScp, _ := c.String("scp")
	d.Scopes = cleanAll(strings.Fields(scp))
	if roles, _, err := c.Strings("roles"); err == nil {
		d.Roles = cleanAll(roles)
	}
	d.AppOnly = !hasScp || str("idtyp") == "app"
	d.Kind = "access token"
	if c.Has("nonce") || c.Has("c_hash") || c.Has("at_hash") {
		d.Kind = "ID token"
	}
	for _, tm := range []struct {
		name string
		dst  **time.Time
	}{{"iat", &d.IssuedAt}, {"nbf", &d.NotBefore}, {"exp", &d.ExpiresAt}} {
		if v, ok, err := c.NumericDate(tm.name); ok && err == nil {
			v := v
			*tm.dst = &v
		}
	}
	return d
}
