package validatetest

import (
	"strings"
)

// Case is one acceptance case. The configuration is expressed in terms the
// inspect command's flags can also carry.
type Case struct {
	Name           string
	Token          string
	Tenant         string   // default TenantID
	AllowedTenants []string // for organizations/common
	Audiences      []string // default [ClientID, AppIDURI]
	JWKS           []byte   // default Env.JWKS
	Want           string   // reason code; "" = accepted
	MsgContains    string   // optional substring of the refusal message
}

// with returns a copy of c with fn applied.
func with(c Claims, fn func(Claims)) Claims {
	out := Claims{}
	for k, v := range c {
		out[k] = v
	}
	fn(out)
	return out
}

func hdr(extra string) string { return `{"typ":"JWT","alg":"RS256","kid":"kA"` + extra + `}` }

// Cases returns the acceptance table (more than 50 cases).
func (e *Env) Cases() []Case {
	n := e.Now.Unix()
	v2, v1 := e.V2(), e.V1()
	good := func(c Claims) string { return e.GoodToken(c) }
	signRaw := func(h, p string) string { return Sign(h, p, "RS256", e.Good, nil) }
	unsigned := func(alg string) string {
		return B64([]byte(`{"typ":"JWT","alg":"`+alg+`"}`)) + "." + B64([]byte(v2.JSON())) + "."
	}
	valid := good(v2)
	parts := strings.Split(valid, ".")
	iss := func(s string) Claims { return with(v2, func(c Claims) { c["iss"] = s }) }
	aud := func(a any) Claims { return with(v2, func(c Claims) { c["aud"] = a }) }
	del := func(name string) Claims { return with(v2, func(c Claims) { delete(c, name) }) }
	// A payload with a claim renamed by text substitution (keeps everything else).
	rename := func(from, to string) string {
		return signRaw(Std, strings.Replace(v2.JSON(), `"`+from+`":`, `"`+to+`":`, 1))
	}
	deep := strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)
	attackerJWK := `{"kty":"RSA","n":"` + B64(e.Attacker.N.Bytes()) + `","e":"AQAB"}`
	tenantB := with(v2, func(c Claims) { c["tid"] = OtherTenantID; c["iss"] = Instance + OtherTenantID + "/v2.0" })
	personal := with(v2, func(c Claims) { c["tid"] = PersonalTID; c["iss"] = Instance + PersonalTID + "/v2.0" })
	graph := with(v2, func(c Claims) { c["aud"] = GraphAud })

	return []Case{
		// Accepted.
		{Name: "valid v2 delegated", Token: valid},
		{Name: "valid v1 delegated", Token: good(v1)},
		{Name: "valid v2 app-only with roles", Token: good(with(v2, func(c Claims) { delete(c, "scp"); c["roles"] = []string{"Data.Read"}; c["idtyp"] = "app" }))},
		{Name: "valid aud array", Token: good(aud([]string{"other", ClientID}))},
		{Name: "valid multi-tenant organizations", Token: good(tenantB), Tenant: "organizations", AllowedTenants: []string{OtherTenantID}},
		{Name: "valid multi-tenant common v1", Token: good(with(v1, func(c Claims) { c["tid"] = OtherTenantID; c["iss"] = "https://sts.windows.net/" + OtherTenantID + "/" })), Tenant: "common", AllowedTenants: []string{OtherTenantID}},
		{Name: "valid consumers", Token: good(personal), Tenant: "consumers"},
		{Name: "valid x5t without kid", Token: Sign(`{"typ":"JWT","alg":"RS256","x5t":"xA"}`, v2.JSON(), "RS256", e.Good, nil)},
		{Name: "valid expired within skew", Token: good(with(v2, func(c Claims) { c["exp"] = n - 120 }))},
		{Name: "valid iat slightly ahead", Token: good(with(v2, func(c Claims) { c["iat"] = n + 120; c["nbf"] = n + 120 }))},
		{Name: "valid typ lower case", Token: signRaw(`{"typ":"jwt","alg":"RS256","kid":"kA"}`, v2.JSON())},
		// Algorithms.
		{Name: "alg none", Token: unsigned("none"), Want: "alg_not_allowed"},
		{Name: "alg None", Token: unsigned("None"), Want: "alg_not_allowed"},
		{Name: "alg NONE", Token: unsigned("NONE"), Want: "alg_not_allowed"},
		{Name: "alg nOnE", Token: unsigned("nOnE"), Want: "alg_not_allowed"},
		{Name: "HS256 keyed with RSA public key", Token: Sign(hdr("")[:0]+`{"typ":"JWT","alg":"HS256","kid":"kA"}`, v2.JSON(), "HS256", nil, PublicPEM(&e.Good.PublicKey)), Want: "alg_not_allowed"},
		{Name: "HS512 keyed with modulus", Token: Sign(`{"typ":"JWT","alg":"HS512","kid":"kA"}`, v2.JSON(), "HS512", nil, e.Good.N.Bytes()), Want: "alg_not_allowed"},
		{Name: "RS384 not in allow-list", Token: Sign(`{"typ":"JWT","alg":"RS384","kid":"kA"}`, v2.JSON(), "RS384", e.Good, nil), Want: "alg_not_allowed"},
		{Name: "PS256 not in allow-list", Token: Sign(`{"typ":"JWT","alg":"PS256","kid":"kA"}`, v2.JSON(), "PS256", e.Good, nil), Want: "alg_not_allowed"},
		{Name: "alg ES256", Token: unsigned("ES256"), Want: "alg_not_allowed"},
		// Key-locating header members are never used.
		{Name: "embedded jwk, attacker kid", Token: Sign(`{"typ":"JWT","alg":"RS256","kid":"attacker","jwk":`+attackerJWK+`}`, v2.JSON(), "RS256", e.Attacker, nil), Want: "key_not_found"},
		{Name: "embedded jwk, known kid", Token: Sign(`{"typ":"JWT","alg":"RS256","kid":"kA","jwk":`+attackerJWK+`}`, v2.JSON(), "RS256", e.Attacker, nil), Want: "signature_invalid"},
		{Name: "jku", Token: Sign(`{"typ":"JWT","alg":"RS256","kid":"evil","jku":"https://evil.example/keys"}`, v2.JSON(), "RS256", e.Attacker, nil), Want: "key_not_found"},
		{Name: "x5u", Token: Sign(`{"typ":"JWT","alg":"RS256","kid":"kA","x5u":"https://evil.example/cert"}`, v2.JSON(), "RS256", e.Attacker, nil), Want: "signature_invalid"},
		{Name: "x5c", Token: Sign(`{"typ":"JWT","alg":"RS256","x5c":["MIIB"]}`, v2.JSON(), "RS256", e.Attacker, nil), Want: "key_not_found"},
		{Name: "kid path traversal", Token: Sign(`{"typ":"JWT","alg":"RS256","kid":"../../etc/passwd"}`, v2.JSON(), "RS256", e.Attacker, nil), Want: "key_not_found"},
		{Name: "known kid signed by another key", Token: Sign(Std, v2.JSON(), "RS256", e.Attacker, nil), Want: "signature_invalid"},
		{Name: "1024-bit key", Token: Sign(`{"typ":"JWT","alg":"RS256","kid":"kWeak"}`, v2.JSON(), "RS256", e.Weak, nil), Want: "key_not_found"},
		{Name: "key issuer names another tenant", Token: Sign(`{"typ":"JWT","alg":"RS256","kid":"kC"}`, v2.JSON(), "RS256", e.Foreign, nil), Want: "key_issuer_mismatch"},
		{Name: "no kid and no x5t", Token: Sign(`{"typ":"JWT","alg":"RS256"}`, v2.JSON(), "RS256", e.Good, nil), Want: "key_not_found"},
		// crit, typ.
		{Name: "crit exp", Token: signRaw(hdr(`,"crit":["exp"],"exp":1`), v2.JSON()), Want: "crit_unsupported"},
		{Name: "crit unknown", Token: signRaw(hdr(`,"crit":["x-ms"],"x-ms":true`), v2.JSON()), Want: "crit_unsupported"},
		{Name: "typ at+jwt", Token: signRaw(`{"typ":"at+jwt","alg":"RS256","kid":"kA"}`, v2.JSON()), Want: "typ_not_allowed"},
		{Name: "typ absent", Token: signRaw(`{"alg":"RS256","kid":"kA"}`, v2.JSON()), Want: "typ_not_allowed"},
		// Strict parsing.
		{Name: "duplicate header member", Token: signRaw(`{"typ":"JWT","alg":"RS256","alg":"none","kid":"kA"}`, v2.JSON()), Want: "malformed"},
		{Name: "duplicate claim", Token: signRaw(Std, strings.Replace(v2.JSON(), "{", `{"aud":"other",`, 1)), Want: "malformed"},
		{Name: "duplicate claim via escape", Token: signRaw(Std, strings.Replace(v2.JSON(), "{", `{"\u0061ud":"other",`, 1)), Want: "malformed"},
		{Name: "duplicate nested member", Token: signRaw(Std, strings.Replace(v2.JSON(), "{", `{"x":{"a":1,"a":2},`, 1)), Want: "malformed"},
		{Name: "case-variant Exp", Token: rename("exp", "Exp"), Want: "missing_claim"},
		{Name: "case-variant AUD", Token: rename("aud", "AUD"), Want: "audience_mismatch"},
		{Name: "stripped signature", Token: parts[0] + "." + parts[1] + ".", Want: "signature_invalid"},
		{Name: "two segments", Token: parts[0] + "." + parts[1], Want: "malformed"},
		{Name: "four segments", Token: valid + ".x", Want: "malformed"},
		{Name: "five segments (JWE shape)", Token: parts[0] + ".." + parts[1] + "." + parts[2] + ".x", Want: "malformed"},
		{Name: "padding", Token: parts[0] + "." + parts[1] + "==." + parts[2], Want: "malformed"},
		{Name: "whitespace", Token: parts[0] + ". " + parts[1] + "." + parts[2], Want: "malformed"},
		{Name: "newline", Token: parts[0] + "." + parts[1][:10] + "\n" + parts[1][10:] + "." + parts[2], Want: "malformed"},
		{Name: "standard base64 alphabet", Token: parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]) + "+", Want: "malformed"},
		{Name: "non-canonical trailing bits", Token: nonCanonical(valid), Want: "malformed"},
		{Name: "1 MiB token", Token: parts[0] + "." + strings.Repeat("A", 1<<20) + "." + parts[2], Want: "token_too_large"},
		{Name: "deeply nested JSON", Token: signRaw(Std, strings.Replace(v2.JSON(), "{", `{"deep":`+deep+`,`, 1)), Want: "malformed"},
		{Name: "header is an array", Token: signRaw(`["RS256"]`, v2.JSON()), Want: "malformed"},
		{Name: "payload not JSON", Token: signRaw(Std, "not json"), Want: "malformed"},
		{Name: "invalid UTF-8 in claims", Token: signRaw(Std, strings.Replace(v2.JSON(), "Test User", "Test \xff User", 1)), Want: "malformed"},
		// Time.
		{Name: "expired", Token: good(with(v2, func(c Claims) { c["exp"] = n - 3600 })), Want: "token_expired"},
		{Name: "exp missing", Token: good(del("exp")), Want: "missing_claim"},
		{Name: "exp is a string", Token: good(with(v2, func(c Claims) { c["exp"] = "tomorrow" })), Want: "malformed"},
		{Name: "nbf in the future", Token: good(with(v2, func(c Claims) { c["nbf"] = n + 3600 })), Want: "token_not_yet_valid"},
		{Name: "iat in the future", Token: good(with(v2, func(c Claims) { c["iat"] = n + 3600 })), Want: "issued_in_future"},
		// Audience.
		{Name: "wrong audience", Token: good(aud("api://someone-else")), Want: "audience_mismatch"},
		{Name: "audience array without ours", Token: good(aud([]string{"a", "b"})), Want: "audience_mismatch"},
		{Name: "empty audience", Token: good(aud("")), Want: "audience_mismatch"},
		{Name: "empty audience array", Token: good(aud([]string{})), Want: "audience_mismatch"},
		{Name: "null audience", Token: good(aud(nil)), Want: "audience_mismatch"},
		{Name: "missing audience", Token: good(del("aud")), Want: "audience_mismatch"},
		{Name: "Graph token (nonce header, unverifiable)", Token: Sign(`{"typ":"JWT","nonce":"abc","alg":"RS256","kid":"kA"}`, graph.JSON(), "RS256", e.Attacker, nil), Want: "audience_mismatch", MsgContains: "this token's audience is Microsoft Graph, not this API"},
		{Name: "Graph token by URL", Token: good(aud("https://graph.microsoft.com/")), Want: "audience_mismatch", MsgContains: "Microsoft Graph"},
		// Tenants and issuers.
		{Name: "another tenant", Token: good(tenantB), Want: "tenant_not_allowed"},
		{Name: "organizations, tenant not allowed", Token: good(tenantB), Tenant: "organizations", AllowedTenants: []string{"77777777-7777-4777-8777-777777777777"}, Want: "tenant_not_allowed"},
		{Name: "personal account to single tenant", Token: good(personal), Want: "tenant_not_allowed"},
		{Name: "personal account to organizations", Token: good(personal), Tenant: "organizations", AllowedTenants: []string{PersonalTID}, Want: "tenant_not_allowed"},
		{Name: "work account to consumers", Token: good(v2), Tenant: "consumers", Want: "tenant_not_allowed"},
		{Name: "iss/tid mismatch", Token: good(iss(Instance + OtherTenantID + "/v2.0")), Want: "issuer_mismatch"},
		{Name: "look-alike host suffix", Token: good(iss("https://login.microsoftonline.com.evil.example/" + TenantID + "/v2.0")), Want: "issuer_mismatch"},
		{Name: "look-alike host rn", Token: good(iss("https://login.rnicrosoftonline.com/" + TenantID + "/v2.0")), Want: "issuer_mismatch"},
		{Name: "issuer host upper case", Token: good(iss("https://LOGIN.microsoftonline.com/" + TenantID + "/v2.0")), Want: "issuer_mismatch"},
		{Name: "issuer trailing slash", Token: good(iss(Instance + TenantID + "/v2.0/")), Want: "issuer_mismatch"},
		{Name: "issuer http", Token: good(iss("http://login.microsoftonline.com/" + TenantID + "/v2.0")), Want: "issuer_mismatch"},
		{Name: "v1 claims with v2 issuer", Token: good(with(v1, func(c Claims) { c["iss"] = Instance + TenantID + "/v2.0" })), Want: "issuer_mismatch"},
		{Name: "ver 3.0", Token: good(with(v2, func(c Claims) { c["ver"] = "3.0" })), Want: "malformed"},
		{Name: "tid missing", Token: good(del("tid")), Want: "missing_claim"},
		{Name: "iss missing", Token: good(del("iss")), Want: "missing_claim"},
	}
}

// nonCanonical flips an unused low bit in the last character of the
// signature segment (256-byte signature → 342 chars, 4 spare bits).
func nonCanonical(tok string) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.LastIndexByte(tok, '.')
	last := tok[len(tok)-1]
	idx := strings.IndexByte(alpha, last)
	return tok[:i] + tok[i:len(tok)-1] + string(alpha[idx^1])
}
