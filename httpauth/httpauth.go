// Package httpauth is net/http middleware for Entra ID bearer tokens: it
// extracts the token (RFC 6750 §2.1, Authorization header only), validates
// it through a consumer-defined Validator, stores the result in the request
// context, applies an optional authorization requirement, and answers
// refusals with an RFC 6750 challenge and an RFC 7807 problem body.
// It builds for js/wasm.
package httpauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/keysource"
	"github.com/entragate/entragate/problem"
	"github.com/entragate/entragate/validate"
)

// Validator is what the middleware needs of a token validator;
// *validate.Validator implements it.
type Validator interface {
	Validate(ctx context.Context, raw string) (*validate.Result, error)
}

// Authorizer is a per-route rule over a validated token;
// validate.Requirement implements it. Check returns a *validate.Error with
// ReasonInsufficientScope (or any error) to refuse with 403.
type Authorizer interface {
	Check(res *validate.Result) error
}

// Observer counts refusals by reason (metrics binds it to Prometheus).
type Observer interface {
	Refused(reason string)
}

// Refusal reasons beyond validate's own.
const (
	ReasonNoToken        = "no_token"
	ReasonInvalidRequest = "invalid_request"
	ReasonInvalid        = "invalid"
)

// DefaultKeysRetryAfter is the Retry-After sent while signing keys are
// unavailable.
const DefaultKeysRetryAfter = 5 * time.Second

// Options configures an Authenticator.
type Options struct {
	Validator Validator // required
	// Require is applied after validation when non-nil.
	Require Authorizer
	// Scope is the space-separated scope list put in the insufficient_scope
	// challenge; when empty and Require is a validate.Requirement, its
	// AnyScopes and AllScopes are used.
	Scope string
	// Realm, when non-empty, is sent in every challenge.
	Realm string
	// MaxTokenSize caps the Authorization header; default DefaultMaxTokenSize.
	MaxTokenSize int
	// KeysRetryAfter is the Retry-After for 503 answers while keys are
	// unavailable; default DefaultKeysRetryAfter.
	KeysRetryAfter time.Duration
	Logger         *slog.Logger // optional; refusals are logged at debug level
	Observer       Observer     // optional
}

// Authenticator is the configured middleware. Safe for concurrent use.
type Authenticator struct {
	opts  Options
	scope string
}

// ErrNoValidator is returned by New when Options.Validator is nil.
var ErrNoValidator = errors.New("httpauth: Options.Validator is required")

// New checks opts and fills defaults.
func New(opts Options) (*Authenticator, error) {
	if opts.Validator == nil {
		return nil, ErrNoValidator
	}
	if opts.MaxTokenSize <= 0 {
		opts.MaxTokenSize = DefaultMaxTokenSize
	}
	if opts.KeysRetryAfter <= 0 {
		opts.KeysRetryAfter = DefaultKeysRetryAfter
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Authenticator{opts: opts, scope: opts.Scope}
	if a.scope == "" {
		if rq, ok := any(opts.Require).(validate.Requirement); ok {
			a.scope = strings.Join(append(append([]string(nil), rq.AnyScopes...), rq.AllScopes...), " ")
		}
	}
	return a, nil
}

// Wrap returns next guarded by the authenticator.
func (a *Authenticator) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := ExtractBearer(r, a.opts.MaxTokenSize)
		if err != nil {
			a.refuseExtract(w, r, err)
			return
		}
		res, err := a.opts.Validator.Validate(r.Context(), raw)
		if err == nil && res == nil {
			err = errors.New("httpauth: validator returned no result") // fail closed
		}
		if err != nil {
			a.Refuse(w, r, err)
			return
		}
		if a.opts.Require != nil {
			if err := a.opts.Require.Check(res); err != nil {
				a.refuseScope(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), res, raw)))
	})
}

func (a *Authenticator) observe(r *http.Request, reason, detail string) {
	if a.opts.Observer != nil {
		a.opts.Observer.Refused(reason)
	}
	a.opts.Logger.LogAttrs(r.Context(), slog.LevelDebug, "request refused",
		slog.String("reason", reason), slog.String("detail", detail), slog.String("path", r.URL.Path))
}

func (a *Authenticator) challenge() problem.Challenge {
	return problem.Challenge{Realm: a.opts.Realm}
}

func (a *Authenticator) refuseExtract(w http.ResponseWriter, r *http.Request, err error) {
	ch := a.challenge()
	switch {
	case errors.Is(err, ErrNoToken):
		a.observe(r, ReasonNoToken, "")
		ch.Set(w.Header())
		problem.Write(w, problem.New(http.StatusUnauthorized, "", "A bearer token is required in the Authorization header."))
	case errors.Is(err, ErrHeaderTooLarge):
		a.observe(r, string(validate.ReasonTooLarge), "")
		ch.Error = problem.CodeInvalidToken
		ch.ErrorDescription = string(validate.ReasonTooLarge) + ": the Authorization header exceeds the size limit."
		ch.Set(w.Header())
		problem.Write(w, problem.New(http.StatusUnauthorized, problem.CodeInvalidToken, ch.ErrorDescription))
	case errors.Is(err, ErrBadTokenChars):
		a.observe(r, string(validate.ReasonMalformed), "")
		ch.Error = problem.CodeInvalidToken
		ch.ErrorDescription = string(validate.ReasonMalformed) + ": the bearer token holds characters a token cannot contain."
		ch.Set(w.Header())
		problem.Write(w, problem.New(http.StatusUnauthorized, problem.CodeInvalidToken, ch.ErrorDescription))
	default: // multiple headers, empty token
		a.observe(r, ReasonInvalidRequest, err.Error())
		ch.Error = problem.CodeInvalidRequest
		ch.ErrorDescription = strings.TrimPrefix(err.Error(), "httpauth: ") + "."
		ch.Set(w.Header())
		problem.Write(w, problem.New(http.StatusBadRequest, problem.CodeInvalidRequest, ch.ErrorDescription))
	}
}

func (a *Authenticator) refuseScope(w http.ResponseWriter, r *http.Request, err error) {
	a.observe(r, string(validate.ReasonInsufficientScope), "")
	ch := a.challenge()
	ch.Error = problem.CodeInsufficientScope
	ch.ErrorDescription = describe(err, validate.ReasonInsufficientScope, "the token lacks a required scope or role.")
	ch.Scope = a.scope
	ch.Set(w.Header())
	problem.Write(w, problem.New(http.StatusForbidden, problem.CodeInsufficientScope, ch.ErrorDescription))
}

// Refuse answers a validation error: 503 + Retry-After when signing keys
// are unavailable, 403 for insufficient scope, otherwise 401 invalid_token
// with error_description "<reason>: <sentence>".
func (a *Authenticator) Refuse(w http.ResponseWriter, r *http.Request, err error) {
	var ve *validate.Error
	isVE := errors.As(err, &ve)
	switch {
	case errors.Is(err, validate.ErrKeysUnavailable), errors.Is(err, jwk.ErrKeySetUnavailable):
		a.observe(r, string(validate.ReasonKeysUnavailable), "")
		problem.SetRetryAfter(w.Header(), a.keysRetryAfter(err))
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "temporarily_unavailable",
			"The token signing keys are not available yet; retry shortly."))
	case isVE && ve.Reason == validate.ReasonInsufficientScope:
		a.refuseScope(w, r, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		a.observe(r, "canceled", "")
		problem.SetRetryAfter(w.Header(), a.opts.KeysRetryAfter)
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "temporarily_unavailable",
			"Token validation did not finish in time."))
	default:
		reason := validate.Reason(ReasonInvalid)
		if isVE {
			reason = ve.Reason
		}
		a.observe(r, string(reason), err.Error())
		ch := a.challenge()
		ch.Error = problem.CodeInvalidToken
		ch.ErrorDescription = describe(err, reason, "the token could not be validated.")
		ch.Set(w.Header())
		problem.Write(w, problem.New(http.StatusUnauthorized, problem.CodeInvalidToken, ch.ErrorDescription))
	}
}

// keysRetryAfter prefers the key source's own hint (the next scheduled
// fetch), bounded to [1s, 5m], over the configured default.
func (a *Authenticator) keysRetryAfter(err error) time.Duration {
	var ke *keysource.Error
	if errors.As(err, &ke) && ke.RetryAfter > 0 {
		return min(max(ke.RetryAfter, time.Second), 5*time.Minute)
	}
	return a.opts.KeysRetryAfter
}

// describe renders "<reason>: <sentence>" from a *validate.Error's Msg (which
// never holds token contents), or a generic sentence.
func describe(err error, reason validate.Reason, fallback string) string {
	var ve *validate.Error
	msg := fallback
	if errors.As(err, &ve) {
		if ve.Reason != "" {
			reason = ve.Reason
		}
		if ve.Msg != "" {
			msg = ve.Msg
		}
	}
	return string(reason) + ": " + msg
}
