package validate

import (
	"strings"
	"time"

	"github.com/entragate/entragate/authority"
	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/jwt"
)

func missing(name string) *Error {
	return refuse(ReasonMissingClaim, "the token has no "+name+" claim",
		"Send an access token issued by Microsoft Entra ID for this API.", nil)
}

func badType(name string, err error) *Error {
	return malformed("the token's "+name+" claim has the wrong type", err)
}

func (v *Validator) checkClaims(t *jwt.Token, key *jwk.Key, now time.Time) (*Result, error) {
	c := &t.Claims
	iss, ok, err := c.String("iss")
	if err != nil {
		return nil, badType("iss", err)
	}
	if !ok || iss == "" {
		return nil, missing("iss")
	}
	ver, hasVer, err := c.String("ver")
	if err != nil {
		return nil, badType("ver", err)
	}
	if !hasVer {
		// Entra access tokens always carry ver; infer for other JWTs.
		ver = "1.0"
		if strings.HasSuffix(iss, "/v2.0") || strings.HasSuffix(iss, "/v2.0/") {
			ver = "2.0"
		}
	}
	switch ver {
	case "1.0":
		if !v.s.acceptV1 {
			return nil, refuse(ReasonIssuerMismatch, "this API does not accept v1.0 tokens",
				"Set accessTokenAcceptedVersion to 2 in the API's app registration manifest, or accept v1 tokens.", nil)
		}
	case "2.0":
		if !v.s.acceptV2 {
			return nil, refuse(ReasonIssuerMismatch, "this API does not accept v2.0 tokens",
				"Set accessTokenAcceptedVersion to 1 (or null) in the API's app registration manifest, or accept v2 tokens.", nil)
		}
	default:
		return nil, malformed("the token's ver claim is neither 1.0 nor 2.0", nil)
	}
	tid, hasTid, err := c.String("tid")
	if err != nil {
		return nil, badType("tid", err)
	}
	if err := v.checkTenant(tid, hasTid, key); err != nil {
		return nil, err
	}
	if err := v.checkIssuer(iss, ver, tid); err != nil {
		return nil, err
	}
	if err := v.checkKeyIssuer(key, iss, ver, tid); err != nil {
		return nil, err
	}
	aud, err := v.checkAudience(c, ver)
	if err != nil {
		return nil, err
	}
	res := &Result{Claims: c.Raw, Version: ver, Issuer: iss, TenantID: tid, Audience: aud}
	if err := v.checkTimes(c, now, res); err != nil {
		return nil, err
	}
	if err := fillIdentity(c, res); err != nil {
		return nil, err
	}
	return res, nil
}

func (v *Validator) checkTenant(tid string, hasTid bool, key *jwk.Key) error {
	needTid := v.s.kind == authority.TenantGUID || v.s.kind.Multi() || v.s.needTIDInIss ||
		strings.Contains(key.Issuer, authority.TenantPlaceholder)
	if !hasTid || tid == "" {
		if needTid {
			return missing("tid")
		}
		return nil
	}
	notAllowed := func() error {
		return refuse(ReasonTenantNotAllowed, "the token was issued by a tenant this API does not accept",
			"Sign in with an account of an allowed tenant, or add the tenant to AllowedTenants.", nil)
	}
	switch v.s.kind {
	case authority.TenantGUID:
		if tid != v.s.tenant {
			return refuse(ReasonTenantNotAllowed, "the token was issued by another tenant than "+v.s.tenant,
				"Sign in with an account of tenant "+v.s.tenant+" (or configure a multi-tenant API).", nil)
		}
	case authority.TenantKindConsumers:
		if tid != authority.PersonalTenantID {
			return refuse(ReasonTenantNotAllowed, "this API accepts only personal Microsoft accounts",
				"Sign in with a personal Microsoft account, or set TenantID to common or organizations.", nil)
		}
	case authority.TenantKindOrganizations, authority.TenantKindCommon:
		if !authority.IsGUID(tid) {
			return notAllowed()
		}
		if tid == authority.PersonalTenantID && v.s.kind == authority.TenantKindOrganizations {
			return refuse(ReasonTenantNotAllowed, "this API does not accept personal Microsoft accounts",
				"Sign in with a work or school account, or set TenantID to common.", nil)
		}
		if !v.s.allowAny && !v.s.allowed[tid] {
			return notAllowed()
		}
	}
	return nil
}

func (v *Validator) checkIssuer(iss, ver, tid string) error {
	if len(v.s.issuers) > 0 {
		for _, tmpl := range v.s.issuers {
			if authority.FillTenant(tmpl, tid) == iss {
				return nil
			}
		}
		return refuse(ReasonIssuerMismatch, "the token's issuer is not one of the configured Issuers",
			"Check Instance, TenantID and Issuers against the issuer in the tenant's metadata document.", nil)
	}
	tmpl := v.s.v2Tmpl
	if ver == "1.0" && v.s.v1Tmpl != "" {
		// B2C / External ID have no v1 endpoint but issue ver 1.0 tokens
		// from the v2 issuer; everywhere else v1 means the v1 issuer.
		tmpl = v.s.v1Tmpl
	}
	if tmpl == "" || authority.FillTenant(tmpl, tid) != iss {
		return refuse(ReasonIssuerMismatch, "the token's issuer is not the v"+ver+" issuer of its tenant on the configured instance",
			"Check Instance (public, US Government, China or B2C cloud) and that the token comes from Microsoft Entra ID.", nil)
	}
	return nil
}

// checkKeyIssuer: a key published with an issuer (v2 key sets) may sign only
// for that issuer, {tenantid} filled from tid. A v1 token (sts.windows.net)
// of the same tenant is accepted for a key whose issuer is the tenant's v2
// issuer on the configured instance: Entra signs both versions with one key.
func (v *Validator) checkKeyIssuer(key *jwk.Key, iss, ver, tid string) error {
	if key.Issuer == "" {
		return nil
	}
	kiss := authority.FillTenant(key.Issuer, tid)
	if kiss == iss {
		return nil
	}
	if ver == "1.0" && v.s.v2Tmpl != "" && v.s.v1Tmpl != "" &&
		kiss == authority.FillTenant(v.s.v2Tmpl, tid) && iss == authority.FillTenant(v.s.v1Tmpl, tid) {
		return nil
	}
	return refuse(ReasonKeyIssuerMismatch, "the token's signing key belongs to another issuer",
		"Use a token issued by the tenant the signing key is published for.", nil)
}

func (v *Validator) checkAudience(c *jwt.Claims, ver string) (string, error) {
	auds, _, err := c.Strings("aud")
	if err != nil {
		return "", badType("aud", err)
	}
	var want []string
	switch {
	case len(v.s.audiences) > 0:
		want = v.s.audiences
	case ver == "2.0":
		want = []string{v.s.v2aud}
	case v.s.clientIDAnyVer:
		want = []string{v.s.v1aud, v.s.v2aud}
	default:
		want = []string{v.s.v1aud}
	}
	for _, a := range auds {
		if contains(want, a) {
			return a, nil
		}
	}
	for _, a := range auds {
		if n, ok := WellKnownAudience(a); ok {
			return "", foreignAudienceError(n)
		}
	}
	return "", refuse(ReasonAudienceMismatch, "the token's audience is not this API (expected "+strings.Join(want, " or ")+")",
		"Request the token for this API's scope (api://<client-id>/...), or add the App ID URI to Audiences.", nil)
}

func (v *Validator) checkTimes(c *jwt.Claims, now time.Time, res *Result) error {
	exp, ok, err := c.NumericDate("exp")
	if err != nil {
		return badType("exp", err)
	}
	if !ok {
		return missing("exp")
	}
	nbf, hasNbf, err := c.NumericDate("nbf")
	if err != nil {
		return badType("nbf", err)
	}
	iat, hasIat, err := c.NumericDate("iat")
	if err != nil {
		return badType("iat", err)
	}
	skew := v.s.skew
	if !now.Before(exp.Add(skew)) {
		return errExpired()
	}
	if hasNbf && now.Add(skew).Before(nbf) {
		return errNotYetValid()
	}
	if hasIat && now.Add(skew).Before(iat) {
		return refuse(ReasonIssuedInFuture, "the token claims to be issued in the future",
			"Check the clocks of the client and this server.", nil)
	}
	res.ExpiresAt = exp
	if hasNbf {
		res.NotBefore = nbf
	}
	if hasIat {
		res.IssuedAt = iat
	}
	return nil
}

func fillIdentity(c *jwt.Claims, res *Result) error {
	str := func(name string) (string, error) {
		s, _, err := c.String(name)
		if err != nil {
			return "", badType(name, err)
		}
		return s, nil
	}
	var err error
	if res.ObjectID, err = str("oid"); err != nil {
		return err
	}
	if res.Subject, err = str("sub"); err != nil {
		return err
	}
	first, second := "azp", "appid"
	if res.Version == "1.0" {
		first, second = "appid", "azp"
	}
	if res.ClientID, err = str(first); err != nil {
		return err
	}
	if res.ClientID == "" {
		if res.ClientID, err = str(second); err != nil {
			return err
		}
	}
	scp, hasScp, err := c.String("scp")
	if err != nil {
		return badType("scp", err)
	}
	if hasScp {
		res.Scopes = strings.Fields(scp)
	}
	roles, _, err := c.Strings("roles")
	if err != nil {
		return badType("roles", err)
	}
	res.Roles = roles
	idtyp, err := str("idtyp")
	if err != nil {
		return err
	}
	res.AppOnly = len(res.Scopes) == 0 || idtyp == "app"
	return nil
}
