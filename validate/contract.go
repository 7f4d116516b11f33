// Package validate decides whether an Entra ID access token is acceptable to
// this API: signature, algorithm, issuer and tenant, audience, time, and the
// JOSE hardening rules; it explains every refusal with a stable reason code.
// Pure: no I/O, no goroutines; the clock is the Now field.
//
// CONTRACT: the exported names in this file are used by httpauth, gateway,
// cmd/entragate (inspect) and edge. Extend, do not rename.
package validate

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/entragate/entragate/jwk"
)

// Keys finds the verification key for a token header. keysource.Source
// implements it (possibly refreshing on an unknown kid); tests use a static set.
// Errors wrap jwk.ErrKeyNotFound or jwk.ErrKeySetUnavailable.
type Keys interface {
	Key(ctx context.Context, kid, x5t string) (*jwk.Key, error)
}

// Reason is a stable, machine-readable refusal code, used in logs, metrics
// and error_description.
type Reason string

const (
	ReasonMalformed         Reason = "malformed"
	ReasonTooLarge          Reason = "token_too_large"
	ReasonAlgNotAllowed     Reason = "alg_not_allowed"
	ReasonTypNotAllowed     Reason = "typ_not_allowed"
	ReasonCritUnsupported   Reason = "crit_unsupported"
	ReasonKeyNotFound       Reason = "key_not_found"
	ReasonKeysUnavailable   Reason = "keys_unavailable"
	ReasonKeyRejected       Reason = "key_rejected" // weak key, wrong kty/alg
	ReasonSignatureInvalid  Reason = "signature_invalid"
	ReasonExpired           Reason = "token_expired"
	ReasonNotYetValid       Reason = "token_not_yet_valid"
	ReasonIssuedInFuture    Reason = "issued_in_future"
	ReasonMissingClaim      Reason = "missing_claim"
	ReasonAudienceMismatch  Reason = "audience_mismatch"
	ReasonIssuerMismatch    Reason = "issuer_mismatch"
	ReasonTenantNotAllowed  Reason = "tenant_not_allowed"
	ReasonKeyIssuerMismatch Reason = "key_issuer_mismatch"
	ReasonInsufficientScope Reason = "insufficient_scope"
)

// Error is a refusal. Use errors.As to get it, or errors.Is against the
// Err* sentinels below (matching is by Reason).
type Error struct {
	Reason Reason
	// Msg is one readable sentence for error_description. It never contains
	// the token or any part of it beyond claim values the operator configured
	// (e.g. the expected audience).
	Msg string
	// Hint is one sentence on how to fix the client or the configuration.
	Hint string
	Err  error // underlying cause, may be nil
}

func (e *Error) Error() string {
	if e.Msg != "" {
		return string(e.Reason) + ": " + e.Msg
	}
	return string(e.Reason)
}
func (e *Error) Unwrap() error { return e.Err }

// Is matches any *Error with the same Reason.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == e.Reason
}

// Sentinels for errors.Is.
var (
	ErrMalformed         = &Error{Reason: ReasonMalformed}
	ErrTooLarge          = &Error{Reason: ReasonTooLarge}
	ErrAlgNotAllowed     = &Error{Reason: ReasonAlgNotAllowed}
	ErrTypNotAllowed     = &Error{Reason: ReasonTypNotAllowed}
	ErrCritUnsupported   = &Error{Reason: ReasonCritUnsupported}
	ErrKeyNotFound       = &Error{Reason: ReasonKeyNotFound}
	ErrKeysUnavailable   = &Error{Reason: ReasonKeysUnavailable}
	ErrKeyRejected       = &Error{Reason: ReasonKeyRejected}
	ErrSignatureInvalid  = &Error{Reason: ReasonSignatureInvalid}
	ErrExpired           = &Error{Reason: ReasonExpired}
	ErrNotYetValid       = &Error{Reason: ReasonNotYetValid}
	ErrIssuedInFuture    = &Error{Reason: ReasonIssuedInFuture}
	ErrMissingClaim      = &Error{Reason: ReasonMissingClaim}
	ErrAudienceMismatch  = &Error{Reason: ReasonAudienceMismatch}
	ErrIssuerMismatch    = &Error{Reason: ReasonIssuerMismatch}
	ErrTenantNotAllowed  = &Error{Reason: ReasonTenantNotAllowed}
	ErrKeyIssuerMismatch = &Error{Reason: ReasonKeyIssuerMismatch}
	ErrInsufficientScope = &Error{Reason: ReasonInsufficientScope}
)

// Result is a verified token. It is immutable and may be shared between
// requests (the verified-token cache hands out the same *Result).
type Result struct {
	// Claims is the verified payload JSON exactly as signed.
	Claims json.RawMessage
	// Version is "1.0" or "2.0" (from "ver").
	Version   string
	Issuer    string
	TenantID  string // tid
	ObjectID  string // oid
	Subject   string // sub
	Audience  string // the aud value that matched
	ClientID  string // azp (v2) or appid (v1)
	Scopes    []string
	Roles     []string
	AppOnly   bool // no scp (or idtyp=app)
	ExpiresAt time.Time
	NotBefore time.Time // zero when absent
	IssuedAt  time.Time // zero when absent

	raw      string // the token, for TokenSHA256
	hashOnce sync.Once
	hash     [32]byte
}

// TokenSHA256 is the SHA-256 of the whole token: the OBO cache key's user
// part (obo.Request.AssertionSHA256). It is computed on first use and kept
// with the Result, which the verified-token cache shares between requests,
// so repeated OBO calls with one token hash it once, and routes without OBO
// never pay for it. Zero for a Result not produced by a Validator.
func (r *Result) TokenSHA256() [32]byte {
	if r.raw == "" {
		return [32]byte{}
	}
	r.hashOnce.Do(func() {
		h := sha256.New()
		_, _ = io.WriteString(h, r.raw)
		h.Sum(r.hash[:0])
	})
	return r.hash
}

// Requirement is a per-route authorization rule over a Result.
type Requirement struct {
	AnyScopes []string // at least one of these in scp
	AllScopes []string // every one of these in scp
	AnyRoles  []string // at least one of these in roles
	AllRoles  []string // every one of these in roles
}

// The Validator type, its Config and Validate(ctx, raw string) (*Result, error)
// are implemented in validator.go. Requirement.Check(*Result) error returns an
// *Error with ReasonInsufficientScope.
