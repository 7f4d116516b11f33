package validate

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/jwt"
)

// Validator validates Entra ID access tokens. It is safe for concurrent use.
type Validator struct {
	s     *settings
	keys  Keys
	now   func() time.Time
	cache *cache // nil when off
}

// New checks cfg and returns a Validator. Errors wrap ErrConfig.
func New(cfg Config) (*Validator, error) {
	s, err := buildSettings(cfg)
	if err != nil {
		return nil, err
	}
	v := &Validator{s: s, keys: cfg.Keys, now: cfg.Now}
	if v.now == nil {
		v.now = time.Now
	}
	if s.cacheEntries > 0 {
		v.cache = newCache(s.cacheEntries)
	}
	return v, nil
}

// Purge empties the verified-token cache (for example after an operator
// removed a compromised key: cached tokens would otherwise stay accepted
// until they expire).
func (v *Validator) Purge() {
	if v.cache != nil {
		v.cache.purge()
	}
}

// CacheLen is the number of verified tokens cached.
func (v *Validator) CacheLen() int {
	if v.cache == nil {
		return 0
	}
	return v.cache.len()
}

// ClockSkew is the effective clock tolerance.
func (v *Validator) ClockSkew() time.Duration { return v.s.skew }

// Validate verifies raw (the compact token, without "Bearer ") and returns
// the verified claims, or an *Error explaining the refusal.
//
// Order: size → cache → strict parse → JOSE header (alg, typ, crit) →
// well-known foreign audience (Graph...) → key lookup and key checks →
// signature → version, tenant, issuer, key issuer, audience → time claims.
// Only the foreign-audience check looks at unverified claims, and it can only
// turn one refusal into another (see docs/validation.md).
func (v *Validator) Validate(ctx context.Context, raw string) (*Result, error) {
	if len(raw) > v.s.maxSize {
		return nil, refuse(ReasonTooLarge, "the token is larger than this API accepts",
			"Send only the access token; if it is genuinely this large, raise MaxTokenSize.", nil)
	}
	now := v.now()
	if v.cache != nil {
		e, expired := v.cache.get(raw, now)
		if e != nil && v.keyStillPublished(ctx, e) {
			if err := v.checkCachedTimes(e.res, now); err != nil {
				return nil, err
			}
			return e.res, nil
		}
		if expired {
			return nil, errExpired()
		}
	}
	res, key, h, err := v.validate(ctx, raw, now)
	if err != nil {
		return nil, err
	}
	if v.cache != nil {
		v.cache.put(raw, &cacheEntry{raw: raw, res: res, key: key, kid: h.Kid, x5t: h.X5t, deadline: res.ExpiresAt.Add(v.s.skew)}, now)
	}
	return res, nil
}

// keyStillPublished reports whether the key that verified a cached token is
// still the one the key source returns for its kid/x5t. A key removed from
// the published set (or replaced) turns the hit into a full validation, so a
// removed key stops being accepted after the refresh that removes it, cached
// tokens included. A refreshed set that still holds the same key yields a new
// *jwk.Key, which costs one full validation per token, not a refusal.
func (v *Validator) keyStillPublished(ctx context.Context, e *cacheEntry) bool {
	k, err := v.keys.Key(ctx, e.kid, e.x5t)
	return err == nil && k == e.key
}

func (v *Validator) checkCachedTimes(res *Result, now time.Time) error {
	if !now.Before(res.ExpiresAt.Add(v.s.skew)) {
		return errExpired()
	}
	if !res.NotBefore.IsZero() && now.Add(v.s.skew).Before(res.NotBefore) {
		return errNotYetValid()
	}
	return nil
}

func (v *Validator) validate(ctx context.Context, raw string, now time.Time) (*Result, *jwk.Key, *jwt.Header, error) {
	t, err := jwt.Parse(raw, jwt.Options{MaxSize: v.s.maxSize})
	if err != nil {
		return nil, nil, nil, parseError(err)
	}
	if err := v.checkHeader(&t.Header); err != nil {
		return nil, nil, nil, err
	}
	if err := v.foreignAudience(&t.Claims); err != nil {
		return nil, nil, nil, err
	}
	key, err := v.key(ctx, &t.Header)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := t.VerifyRSA(key.Public); err != nil {
		return nil, nil, nil, refuse(ReasonSignatureInvalid, "the token's signature does not verify",
			"Send the token exactly as Microsoft Entra ID issued it; tokens for other APIs (such as Microsoft Graph) cannot be verified here.", err)
	}
	res, err := v.checkClaims(t, key, now)
	if err != nil {
		return nil, nil, nil, err
	}
	res.raw = raw
	return res, key, &t.Header, nil
}

func (v *Validator) checkHeader(h *jwt.Header) error {
	alg := h.Alg
	if strings.EqualFold(alg, "none") || (len(alg) >= 2 && strings.EqualFold(alg[:2], "HS")) || !contains(v.s.algs, alg) {
		return refuse(ReasonAlgNotAllowed, "the token's signing algorithm is not allowed; this API accepts "+strings.Join(v.s.algs, ", "),
			"Use an access token signed by Microsoft Entra ID (RS256); unsigned and HMAC tokens are never accepted.", nil)
	}
	if h.HasTyp {
		ok := false
		for _, ty := range v.s.types {
			if ty != "" && strings.EqualFold(ty, h.Typ) {
				ok = true
				break
			}
		}
		if !ok {
			return refuse(ReasonTypNotAllowed, "the token's typ header is not one this API accepts ("+strings.Join(v.s.types, ", ")+")",
				"Send an access token (typ JWT), not an ID token, refresh token or another kind of JWT.", nil)
		}
	} else if !contains(v.s.types, "") {
		return refuse(ReasonTypNotAllowed, "the token has no typ header",
			"Send an access token issued by Microsoft Entra ID (they always carry typ JWT).", nil)
	}
	if h.HasCrit {
		return refuse(ReasonCritUnsupported, "the token marks header extensions as critical that this API does not understand",
			"Send a standard Microsoft Entra ID access token without a crit header.", nil)
	}
	return nil
}

// foreignAudience refuses, before any key lookup, a token whose audience is a
// well-known Microsoft resource this API does not accept. Doing it before the
// signature is safe: it only changes which refusal is reported, and it names
// nothing but the resource's public name. It is needed because Graph tokens
// carry a "nonce" header that makes their signature unverifiable outside Graph.
func (v *Validator) foreignAudience(c *jwt.Claims) error {
	auds, _, err := c.Strings("aud")
	if err != nil || len(auds) == 0 {
		return nil // decided after the signature check
	}
	name := ""
	for _, a := range auds {
		if v.audienceAcceptable(a) {
			return nil
		}
		if n, ok := WellKnownAudience(a); ok && name == "" {
			name = n
		}
	}
	if name == "" {
		return nil
	}
	return foreignAudienceError(name)
}

func foreignAudienceError(name string) error {
	return refuse(ReasonAudienceMismatch, "this token's audience is "+name+", not this API",
		"Request a token for this API's own scope (for example api://<client-id>/.default), not for "+name+"; the API calls "+name+" itself via On-Behalf-Of.", nil)
}

// audienceAcceptable: a in the configured audiences, or in either default.
func (v *Validator) audienceAcceptable(a string) bool {
	if len(v.s.audiences) > 0 {
		return contains(v.s.audiences, a)
	}
	return a == v.s.v1aud || a == v.s.v2aud
}

func (v *Validator) key(ctx context.Context, h *jwt.Header) (*jwk.Key, error) {
	if h.Kid == "" && h.X5t == "" {
		return nil, refuse(ReasonKeyNotFound, "the token header names no signing key (kid or x5t)",
			"Send an access token issued by Microsoft Entra ID.", jwk.ErrKeyNotFound)
	}
	key, err := v.keys.Key(ctx, h.Kid, h.X5t)
	if err != nil {
		if errors.Is(err, jwk.ErrKeyNotFound) {
			return nil, refuse(ReasonKeyNotFound, "the token's signing key is not in the tenant's key set",
				"Check that the token comes from the configured Instance and tenant; keys rotate, so retry once the key set refreshes.", err)
		}
		return nil, refuse(ReasonKeysUnavailable, "the signing keys could not be loaded",
			"Retry later; the operator should check connectivity to the key-set URL.", err)
	}
	if key == nil {
		return nil, refuse(ReasonKeyNotFound, "the token's signing key is not in the tenant's key set",
			"Check that the token comes from the configured Instance and tenant.", jwk.ErrKeyNotFound)
	}
	if err := jwk.CheckRSA(key.Public); err != nil {
		return nil, refuse(ReasonKeyRejected, "the signing key is not acceptable ("+err.Error()+")",
			"The key set must publish RSA keys of at least 2048 bits with exponent 65537.", err)
	}
	if key.Alg != "" && key.Alg != h.Alg {
		return nil, refuse(ReasonKeyRejected, "the signing key is published for another algorithm",
			"Send a token signed with the algorithm its key is published for.", nil)
	}
	return key, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
