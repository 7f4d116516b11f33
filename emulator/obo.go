package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

const assertionSkew = 5 * time.Minute

// oboGrant is the On-Behalf-Of exchange, checking the assertion as Entra does.
func (e *Emulator) oboGrant(tc *tokenCtx) (*tokenAnswer, *aadError) {
	f := tc.form
	if f.Get("requested_token_use") != "on_behalf_of" {
		return nil, errMissingParam("requested_token_use")
	}
	assertion := f.Get("assertion")
	if assertion == "" {
		return nil, errMissingParam("assertion")
	}
	if f.Get("scope") == "" {
		return nil, errMissingParam("scope")
	}
	e.mu.RLock()
	t, app, aerr := e.resolve(tc, "")
	if aerr != nil {
		e.mu.RUnlock()
		return nil, aerr
	}
	tenant, client := *t, *app
	e.mu.RUnlock()
	acr, aerr := e.authenticateClient(&client, tc.creds, tc.tokenURL, true)
	if aerr != nil {
		return nil, aerr
	}

	p, err := e.verifyJWT(assertion)
	switch {
	case errors.Is(err, errUnknownKey):
		return nil, errInvalidGrant(50013, "Assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '%s']", truncate(hashForLog(assertionKid(assertion)), 64))
	case errors.Is(err, errBadSignature):
		return nil, errInvalidGrant(50013, "Assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]")
	case err != nil:
		return nil, errInvalidGrant(50013, "Assertion failed signature validation. [Reason - The assertion is malformed.]")
	}
	tid := p.str("tid")
	wantIss := e.IssuerV2(tid)
	if p.str("ver") == "1.0" {
		wantIss = e.IssuerV1(tid)
	}
	if tid == "" || p.str("iss") != wantIss {
		return nil, errInvalidGrant(50013, "Assertion contains an invalid issuer. The issuer must be the token issuer of tenant '%s'.", tenant.ID)
	}
	if !equalFold(tid, tenant.ID) {
		return nil, errInvalidGrant(50013, "Assertion is issued for tenant '%s' but the request is for tenant '%s'.", truncate(tid, 64), tenant.ID)
	}
	now := e.now()
	exp, okExp := p.num("exp")
	nbf, _ := p.num("nbf")
	if !okExp || !now.Before(time.Unix(exp, 0)) || (nbf != 0 && now.Add(assertionSkew).Before(time.Unix(nbf, 0))) {
		return nil, errInvalidGrant(500133, "Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: %s, expiry time of assertion %s.",
			now.UTC().Format("2006-01-02T15:04:05.0000000Z"), time.Unix(exp, 0).UTC().Format("2006-01-02T15:04:05.0000000Z"))
	}
	aud := p.str("aud")
	if !equalFold(aud, client.ClientID) && (client.AppIDURI == "" || aud != client.AppIDURI) {
		return nil, errInvalidGrant(500131, "Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '%s' and the expected audience is '%s' or one of the Application Uris of this application with App ID '%s'(%s). The downstream client must request a token for the expected audience (the application that made the OBO request) and this application should use that token as the assertion.",
			truncate(aud, 128), client.ClientID, client.ClientID, client.name())
	}
	if p.str("scp") == "" || p.str("idtyp") == "app" {
		return nil, errInvalidGrant(50013, "Assertion is not a delegated user token; the On-Behalf-Of flow needs an access token with scp.")
	}

	e.mu.RLock()
	u := findUser(t, p.str("oid"))
	var user User
	if u != nil {
		user = *u
	}
	sr, serr := parseScopes(t, f.Get("scope"))
	e.mu.RUnlock()
	if u == nil {
		return nil, errInvalidGrant(50034, "The user account {EmailHidden} does not exist in the %s directory.", tenant.ID)
	}
	if serr != nil {
		return nil, serr
	}
	if client.RefuseConsent {
		return nil, errConsent(&client)
	}
	amr := p.strs("amr")
	if user.RequireMFA && !slices.Contains(amr, "mfa") {
		target := GraphAppID
		if !sr.res.graph {
			target = sr.res.app.ClientID
		}
		ae := newErr(http.StatusBadRequest, "interaction_required", 50079,
			"Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multifactor authentication to access '%s'.", target)
		ae.claims = MFAClaimsChallenge
		return nil, ae
	}
	return e.issueDelegated(&tenant, client, acr, &user, sr, amr, f.Get("scope"))
}

// MFAClaimsChallenge is the claims challenge the emulator sends with
// AADSTS50079; a password grant with it as "claims" yields amr ["pwd","mfa"].
const MFAClaimsChallenge = `{"access_token":{"capolids":{"essential":true,"values":["` + DemoMFAPolicyID + `"]}}}`

func assertionKid(raw string) string {
	h, _, _, _, err := parseJWT(raw)
	if err != nil {
		return ""
	}
	return h.Kid
}

// hashForLog is a short, non-reversible id for a value that must not be echoed.
func hashForLog(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("%.12s", derivedGUID("kid", s))
}
