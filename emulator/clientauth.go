package emulator

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// clientCreds are the credentials a request presented.
type clientCreds struct {
	id        string
	secret    string
	assertion string
	aType     string
}

func readClientCreds(r *http.Request, f url.Values) clientCreds {
	c := clientCreds{
		id: f.Get("client_id"), secret: f.Get("client_secret"),
		assertion: f.Get("client_assertion"), aType: f.Get("client_assertion_type"),
	}
	if u, p, ok := r.BasicAuth(); ok {
		uu, err1 := url.QueryUnescape(u)
		pp, err2 := url.QueryUnescape(p)
		if err1 == nil && err2 == nil {
			if c.id == "" {
				c.id = uu
			}
			if c.secret == "" && equalFold(uu, c.id) {
				c.secret = pp
			}
		}
	}
	return c
}

// authenticateClient checks the client's credentials and returns the
// client authentication class: "0" public, "1" secret, "2" certificate.
func (e *Emulator) authenticateClient(app *App, c clientCreds, tokenURL string, needConfidential bool) (string, *aadError) {
	presented := c.secret != "" || c.assertion != ""
	if app.PublicClient {
		if presented {
			return "", errInvalidClient(700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")
		}
		if needConfidential {
			return "", errInvalidClient(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		}
		return "0", nil
	}
	switch {
	case c.assertion != "":
		if c.aType != clientAssertionType {
			return "", errInvalidRequest(900144, "The request body must contain the following parameter: 'client_assertion_type'.")
		}
		if err := e.checkClientAssertion(app, c.assertion, tokenURL); err != nil {
			return "", err
		}
		return "2", nil
	case c.secret != "":
		now := e.now()
		for _, s := range app.Secrets {
			if s.Value != "" && subtle.ConstantTimeCompare([]byte(s.Value), []byte(c.secret)) == 1 {
				if !s.Expires.IsZero() && now.After(s.Expires) {
					return "", errInvalidClient(7000222, "The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", app.ClientID)
				}
				return "1", nil
			}
		}
		return "", errInvalidClient(7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", app.ClientID)
	default:
		return "", errInvalidClient(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	}
}

// assertionClaims are the members of a client assertion we check.
type assertionClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp int64           `json:"exp"`
	Nbf int64           `json:"nbf"`
}

// checkClientAssertion verifies a client assertion: a certificate
// credential (iss = sub = client id, signed by a registered key, aud = the
// token endpoint) or a federated credential (iss/sub matching one of the
// app's federated identity credentials, signed by that issuer's key, aud =
// the credential's audience).
func (e *Emulator) checkClientAssertion(app *App, raw, tokenURL string) *aadError {
	hdr, _, payload, sig, err := parseJWT(raw)
	var cl assertionClaims
	if err != nil || json.Unmarshal(payload, &cl) != nil {
		return errInvalidClient(700027, "Client assertion failed signature validation. [Reason - The assertion is malformed.]")
	}
	keys, wantAud := app.PublicKeys, tokenURL
	if !equalFold(cl.Iss, app.ClientID) || !equalFold(cl.Sub, app.ClientID) {
		fc := findFederated(app, cl.Iss, cl.Sub)
		if fc == nil {
			if len(app.Federated) == 0 {
				return errInvalidClient(700023, "Client assertion audience claim does not match Realm issuer. iss and sub must be the client id '%s'.", app.ClientID)
			}
			return errInvalidClient(70021, "No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'.",
				truncate(cl.Iss, 128), truncate(cl.Sub, 128))
		}
		keys, wantAud = fc.PublicKeys, fc.audience()
	}
	if hdr.Alg != "RS256" || len(keys) == 0 {
		return errInvalidClient(700027, "Client assertion contains an invalid signature. [Reason - The key was not found.]")
	}
	sum := sha256.Sum256([]byte(splitFirst2(raw)))
	ok := false
	for _, k := range keys {
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig) == nil {
			ok = true
			break
		}
	}
	if !ok {
		return errInvalidClient(700027, "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]")
	}
	if !audContains(cl.Aud, wantAud) {
		return errInvalidClient(700021, "Client assertion audience is not valid. Expected audience: '%s'.", wantAud)
	}
	now := e.now()
	if cl.Exp == 0 || now.After(time.Unix(cl.Exp, 0)) || (cl.Nbf != 0 && now.Add(5*time.Minute).Before(time.Unix(cl.Nbf, 0))) {
		return errInvalidClient(700024, "Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s.",
			now.UTC().Format(time.RFC3339), time.Unix(cl.Nbf, 0).UTC().Format(time.RFC3339), time.Unix(cl.Exp, 0).UTC().Format(time.RFC3339))
	}
	return nil
}

func findFederated(app *App, iss, sub string) *FederatedCredential {
	for i := range app.Federated {
		fc := &app.Federated[i]
		if fc.Issuer == iss && fc.Subject == sub {
			return fc
		}
	}
	return nil
}

// splitFirst2 returns "header.payload" of a compact JWS.
func splitFirst2(raw string) string {
	dots := 0
	for i := 0; i < len(raw); i++ {
		if raw[i] == '.' {
			dots++
			if dots == 2 {
				return raw[:i]
			}
		}
	}
	return raw
}

func audContains(raw json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, a := range many {
			if a == want {
				return true
			}
		}
	}
	return false
}
