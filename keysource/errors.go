package keysource

import (
	"errors"
	"time"

	"github.com/entragate/entragate/jwk"
)

// Sentinel errors for fetch failures. A failed refresh returns a
// *FetchError whose Err wraps one of these (or a transport/context error,
// or jwk.ErrMalformedSet / jwk.ErrEmptySet / authority.ErrMalformedMetadata).
var (
	// ErrHTTPStatus: the server answered with a non-200 status.
	ErrHTTPStatus = errors.New("keysource: unexpected HTTP status")
	// ErrTooLarge: the body exceeded MaxBytes.
	ErrTooLarge = errors.New("keysource: response exceeds size cap")
	// ErrContentType: the body is not declared as JSON.
	ErrContentType = errors.New("keysource: response is not JSON")
)

// FetchError describes one failed fetch. It never holds a response body.
type FetchError struct {
	What   string // "metadata" or "keys"
	URL    string // redacted (no query, no user info); or the file path
	Status int    // HTTP status, 0 if none
	Err    error
}

func (e *FetchError) Error() string {
	return "keysource: fetching " + e.What + " from " + e.URL + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// Error is what Key returns on refusal. errors.Is matches its Kind
// (jwk.ErrKeyNotFound or jwk.ErrKeySetUnavailable) and its Cause (for
// example a *FetchError, context.DeadlineExceeded).
type Error struct {
	Kind  error  // jwk.ErrKeyNotFound or jwk.ErrKeySetUnavailable
	Msg   string // one sentence, no token or key material
	Cause error  // may be nil
	// RetryAfter suggests when a client may retry (set with
	// jwk.ErrKeySetUnavailable when the next fetch attempt is scheduled).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := e.Kind.Error()
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap exposes both the kind and the cause to errors.Is / errors.As.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

func notFound(msg string, cause error) error {
	return &Error{Kind: jwk.ErrKeyNotFound, Msg: msg, Cause: cause}
}

func unavailable(msg string, cause error, retryAfter time.Duration) error {
	if retryAfter < 0 {
		retryAfter = 0
	}
	return &Error{Kind: jwk.ErrKeySetUnavailable, Msg: msg, Cause: cause, RetryAfter: retryAfter}
}
