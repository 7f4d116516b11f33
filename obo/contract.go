// Package obo performs the OAuth 2.0 On-Behalf-Of exchange against Entra ID's
// token endpoint: request building, client credentials, answer and error
// parsing, cache-key derivation, single flight and the two-level cache.
// It does its HTTP through the Doer interface and builds for js/wasm.
//
// CONTRACT: the exported names in this file are used by gateway and edge.
// Extend, do not rename.
package obo

import (
	"context"
	"net/http"
	"time"
)

// Doer sends one HTTP request. *http.Client implements it natively; the edge
// build supplies a fetch-based one. Requests carry the caller's context.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Request asks for a downstream token on behalf of the user whose token is
// Assertion.
type Request struct {
	Assertion string   // the incoming (validated) access token
	Scopes    []string // e.g. ["https://graph.microsoft.com/User.Read"]
	// Claims is an optional claims request (JSON), e.g. from a client's
	// capabilities or a previous claims challenge. Part of the cache key.
	Claims string
	// TenantID optionally overrides Config.TenantID for this call: for
	// multi-tenant APIs, the validated token's tid. Part of the cache key.
	TenantID string
	// AssertionSHA256 optionally carries the SHA-256 of Assertion when the
	// caller already has it (validate.Result.TokenSHA256), so that a cache
	// hit does not hash the token again. Zero: computed here. It must be
	// the hash of this very Assertion: it is the cache key's user part.
	AssertionSHA256 [32]byte
	// ForceRefresh skips L1 and L2 and asks the token endpoint, e.g. after
	// the downstream API rejected a cached token (see Client.Invalidate).
	// Identical forced requests in flight still share one round trip (they
	// never share a normal lookup's result), a remembered Retry-After still
	// applies, and a cacheable answer replaces the cached entry.
	ForceRefresh bool
}

// Token is a downstream access token.
type Token struct {
	AccessToken string
	TokenType   string
	Scope       string
	ExpiresAt   time.Time
	// FromCache reports that the token was served from L1 or L2 (not
	// obtained from the token endpoint for this call or its single flight).
	FromCache bool
}

// Acquirer is what consumers need; *Client implements it.
type Acquirer interface {
	Token(ctx context.Context, req Request) (*Token, error)
}

// Invalidator drops the cached token of a request; *Client implements it.
// Consumers check for it with a type assertion on their Acquirer.
type Invalidator interface {
	Invalidate(ctx context.Context, req Request)
}

// TokenError is the token endpoint's refusal, kept as Entra sent it
// (fields capped in size). Use errors.As.
type TokenError struct {
	StatusCode    int
	Code          string // "error", e.g. "interaction_required"
	Description   string // "error_description" (capped)
	ErrorCodes    []int  // "error_codes", e.g. [50079]
	Claims        string // "claims" challenge JSON, if any (capped)
	TraceID       string
	CorrelationID string
	RetryAfter    time.Duration // from Retry-After on 429/5xx; 0 if none
}

// Error never includes the assertion or any token.
func (e *TokenError) Error() string {
	s := "obo: token endpoint refused the request"
	if e.Code != "" {
		s += ": " + e.Code
	}
	return s
}
