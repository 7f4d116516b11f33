package obo

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// Sentinel errors. Token endpoint refusals are *TokenError (use errors.As);
// everything else wraps one of these.
var (
	// ErrTimeout: the token endpoint did not answer within Config.Timeout,
	// or the caller's deadline passed first. Also matches
	// context.DeadlineExceeded. Gateway: 504.
	ErrTimeout = errors.New("obo: token request timed out")
	// ErrUnavailable: the token endpoint could not be reached (transport
	// error). Gateway: 502.
	ErrUnavailable = errors.New("obo: token endpoint unavailable")
	// ErrMalformedResponse: the token endpoint answered 200 with something
	// that is not a usable token answer (too large, bad JSON, no token, no
	// or absurd expires_in, unsupported token_type). Gateway: 502.
	ErrMalformedResponse = errors.New("obo: malformed token endpoint answer")
	// ErrInvalidRequest: the Request itself is unusable (no assertion, no
	// scope, oversized or ill-formed fields). Not sent to Entra.
	ErrInvalidRequest = errors.New("obo: invalid request")
	// ErrConfig: the Config is unusable (returned by New).
	ErrConfig = errors.New("obo: invalid configuration")
	// ErrCredential: the client credential could not produce its fields
	// (e.g. the federated token file is missing). Gateway: 502.
	ErrCredential = errors.New("obo: client credential unavailable")
)

// Kind classifies an OBO failure by what the caller should do about it.
type Kind int

// Kinds, see KindOf and docs/obo.md for the gateway mapping.
const (
	// KindUnknown: not an OBO error, or an unclassified refusal (502).
	KindUnknown Kind = iota
	// KindClaimsChallenge: the user must satisfy a claims challenge
	// (MFA, Conditional Access). TokenError.Claims holds it. Gateway: 401
	// with error="insufficient_claims" and claims="base64(Claims)".
	KindClaimsChallenge
	// KindInteractionRequired: the user (or an admin) must consent or sign
	// in interactively and no claims challenge was given (e.g. AADSTS65001).
	// Gateway: 403 with error="interaction_required".
	KindInteractionRequired
	// KindInvalidAssertion: the incoming token was refused as an assertion
	// (expired AADSTS500133, invalid AADSTS50013, revoked...). Gateway: 401
	// invalid_token (the client should get a fresh token).
	KindInvalidAssertion
	// KindMisconfigured: this gateway's own registration or credential is
	// wrong (invalid_client, AADSTS7000215, 7000222, 700016, unauthorized_client,
	// invalid_scope). Gateway: 502, alert the operator.
	KindMisconfigured
	// KindThrottled: 429, or 5xx with Retry-After. Gateway: 503 + Retry-After.
	KindThrottled
	// KindUnavailable: 5xx without Retry-After, transport error, malformed
	// answer. Gateway: 502.
	KindUnavailable
	// KindTimeout: ErrTimeout. Gateway: 504.
	KindTimeout
	// KindCanceled: the caller went away (context.Canceled). Nothing to send.
	KindCanceled
	// KindInvalidRequest: ErrInvalidRequest (the gateway's own bug). 500.
	KindInvalidRequest
)

var kindNames = [...]string{"unknown", "claims_challenge", "interaction_required", "invalid_assertion",
	"misconfigured", "throttled", "unavailable", "timeout", "canceled", "invalid_request"}

// String returns a stable lower-case name, used as a metrics label.
func (k Kind) String() string {
	if int(k) >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Entra error codes (AADSTS numbers) by meaning.
var (
	claimsCodes    = []int{50079, 50076, 50158, 53003, 53001, 53000, 50074, 50072, 530084}
	assertionCodes = []int{500133, 50013, 50027, 50173, 50133, 70043, 50132, 50089, 700082, 54005}
	misconfCodes   = []int{7000215, 7000222, 700016, 700027, 700024, 7000112, 7000218, 70011, 70001, 700023,
		90002, 90023, 50049, 700025, 700030, 500011, 500021, 50011}
	consentCodes = []int{65001, 65004, 65005, 90094, 90008}
)

func hasCode(codes, set []int) bool {
	for _, c := range codes {
		if slices.Contains(set, c) {
			return true
		}
	}
	return false
}

// Kind classifies the refusal; see the Kind constants.
func (e *TokenError) Kind() Kind {
	if e == nil {
		return KindUnknown
	}
	if e.StatusCode == 429 || (e.StatusCode >= 500 && e.RetryAfter > 0) {
		return KindThrottled
	}
	if e.StatusCode >= 500 || e.Code == "temporarily_unavailable" || e.Code == "server_error" {
		return KindUnavailable
	}
	if e.Claims != "" {
		return KindClaimsChallenge
	}
	code := strings.ToLower(e.Code)
	switch {
	case hasCode(e.ErrorCodes, claimsCodes):
		// MFA / Conditional Access: a challenge, even without a claims payload.
		return KindClaimsChallenge
	case hasCode(e.ErrorCodes, misconfCodes):
		return KindMisconfigured
	case hasCode(e.ErrorCodes, consentCodes):
		return KindInteractionRequired
	case hasCode(e.ErrorCodes, assertionCodes):
		return KindInvalidAssertion
	}
	switch code {
	case "interaction_required", "consent_required", "login_required":
		return KindInteractionRequired
	case "invalid_client", "unauthorized_client", "invalid_scope", "unsupported_grant_type", "invalid_request", "invalid_resource":
		return KindMisconfigured
	case "invalid_grant":
		return KindInvalidAssertion
	}
	return KindUnknown
}

// Is lets errors.Is(err, ErrTimeout-like sentinels) work for the few kinds
// that have one: a TokenError of KindUnavailable matches ErrUnavailable.
func (e *TokenError) Is(target error) bool {
	return target == ErrUnavailable && e.Kind() == KindUnavailable
}

// KindOf classifies any error returned by Client.Token.
func KindOf(err error) Kind {
	if err == nil {
		return KindUnknown
	}
	var te *TokenError
	switch {
	case errors.As(err, &te):
		return te.Kind()
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, ErrInvalidRequest):
		return KindInvalidRequest
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrMalformedResponse):
		return KindUnavailable
	case errors.Is(err, ErrCredential), errors.Is(err, ErrConfig):
		return KindMisconfigured
	}
	return KindUnknown
}

// RetryAfterOf returns how long the caller should wait before retrying, or
// 0 if the error carries no such hint.
func RetryAfterOf(err error) time.Duration {
	var te *TokenError
	if errors.As(err, &te) {
		return te.RetryAfter
	}
	return 0
}

// timeoutError wraps ErrTimeout and context.DeadlineExceeded.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string { return "obo: " + e.msg }
func (e *timeoutError) Is(t error) bool {
	return t == ErrTimeout || t == context.DeadlineExceeded
}
