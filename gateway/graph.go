package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/entragate/entragate/httpauth"
	"github.com/entragate/entragate/obo"
	"github.com/entragate/entragate/problem"
)

// graphMe exchanges the caller's token for a Graph token (OBO) and answers
// {"claims": ..., "graphResponse": ...}.
func (h *handler) graphMe(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	res, ok1 := httpauth.FromContext(ctx)
	raw, ok2 := httpauth.TokenFromContext(ctx)
	if !ok1 || !ok2 {
		writeProblem(w, http.StatusInternalServerError, "internal_error", "No validated token in the request context.")
		return
	}
	if res.AppOnly {
		// OBO needs a user: an app-only token cannot be exchanged.
		problem.Challenge{Realm: h.cfg.Realm, Error: problem.CodeInsufficientScope,
			ErrorDescription: "delegated_token_required: this route calls Microsoft Graph on behalf of a user; app-only tokens cannot be used."}.Set(w.Header())
		writeProblem(w, http.StatusForbidden, "delegated_token_required",
			"This route calls Microsoft Graph on behalf of a user; use a delegated (user) token.")
		return
	}
	oreq := obo.Request{Assertion: raw, AssertionSHA256: res.TokenSHA256(), Scopes: h.cfg.GraphScopes}
	if h.cfg.PerTenantOBO {
		oreq.TenantID = res.TenantID
	}
	tok, err := h.cfg.OBO.Token(ctx, oreq)
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = fmt.Errorf("%w: empty token", obo.ErrMalformedResponse)
	}
	if err != nil {
		h.oboFailure(w, r, err)
		return
	}
	body, status, err := h.callGraph(ctx, tok.AccessToken)
	if status == http.StatusUnauthorized && tok.FromCache {
		// Graph rejected a cached token (signing key retired, token
		// revoked, ...): drop it and retry once with a fresh one. A fresh
		// token is never FromCache, so this cannot loop.
		first := err
		if tok, err = h.refreshToken(ctx, oreq); err != nil {
			h.retried(r, GraphRetryOBOErr, first)
			h.oboFailure(w, r, err)
			return
		}
		body, status, err = h.callGraph(ctx, tok.AccessToken)
		switch {
		case err == nil:
			h.retried(r, GraphRetrySuccess, first)
		case status == http.StatusUnauthorized:
			h.retried(r, GraphRetryRejected, first)
		default:
			h.retried(r, GraphRetryGraphErr, first)
		}
	}
	if err != nil {
		h.graphFailure(w, r, status, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Claims        json.RawMessage `json:"claims"`
		GraphResponse json.RawMessage `json:"graphResponse"`
	}{res.Claims, body})
}

// Graph retry outcomes (GraphRetryObserver).
const (
	GraphRetrySuccess  = "success"   // Graph accepted the fresh token
	GraphRetryRejected = "rejected"  // Graph answered 401 again: 502
	GraphRetryGraphErr = "graph_err" // Graph failed otherwise on the retry
	GraphRetryOBOErr   = "obo_err"   // no fresh token: answered as an OBO failure
)

// GraphRetryObserver is optionally implemented by Config.Observer: it
// counts the retries of /graph/me after Graph answered 401 to a cached
// OBO token, by outcome (GraphRetry* constants).
type GraphRetryObserver interface {
	GraphTokenRetry(outcome string)
}

// refreshToken invalidates the cached token of oreq (when the OBO supports
// it) and acquires a fresh one (obo.Request.ForceRefresh: past the cache,
// still through single flight).
func (h *handler) refreshToken(ctx context.Context, oreq obo.Request) (*obo.Token, error) {
	if inv, ok := h.cfg.OBO.(obo.Invalidator); ok {
		inv.Invalidate(ctx, oreq)
	}
	oreq.ForceRefresh = true
	tok, err := h.cfg.OBO.Token(ctx, oreq)
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = fmt.Errorf("%w: empty token", obo.ErrMalformedResponse)
	}
	return tok, err
}

func (h *handler) retried(r *http.Request, outcome string, first error) {
	h.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo,
		"Microsoft Graph rejected a cached OBO token; invalidated it and retried once with a fresh token",
		slog.String("outcome", outcome), slog.String("first_error", first.Error()))
	if o, ok := h.cfg.Observer.(GraphRetryObserver); ok {
		o.GraphTokenRetry(outcome)
	}
}

// Graph failures.
var (
	ErrGraphStatus = errors.New("gateway: Microsoft Graph answered with an error status")
	// ErrGraphThrottled: Graph answered 429 or 503 (it wraps ErrGraphStatus
	// too); the gateway answers 503 + Retry-After.
	ErrGraphThrottled = errors.New("gateway: Microsoft Graph is throttling")
	// ErrGraphRedirect: Graph answered 3xx. Redirects are never followed
	// (the request carries the user's Graph token): 502.
	ErrGraphRedirect  = errors.New("gateway: Microsoft Graph answered with a redirect")
	ErrGraphTooLarge  = errors.New("gateway: Microsoft Graph answer too large")
	ErrGraphMalformed = errors.New("gateway: Microsoft Graph answer is not JSON")
	ErrGraphTransport = errors.New("gateway: Microsoft Graph unreachable")
)

// callGraph GETs the Graph resource with the OBO token. It returns the
// JSON body on 2xx; otherwise the status (0 for transport errors) and an
// error wrapping one of the ErrGraph* sentinels.
func (h *handler) callGraph(ctx context.Context, token string) (json.RawMessage, int, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.GraphTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.graph, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrGraphTransport, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := h.cfg.Graph.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrGraphTransport, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, h.cfg.MaxGraphBytes+1))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("%w: reading the answer: %w", ErrGraphTransport, err)
	}
	// The deadline is enforced asynchronously (a timer goroutine cancels
	// ctx): when the process is descheduled past it (a loaded host), an
	// answer that completes before that goroutine runs would be accepted
	// although Graph took longer than GraphTimeout. Too late is a timeout.
	if err := pastDeadline(ctx); err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrGraphTransport, err)
	}
	if int64(len(data)) > h.cfg.MaxGraphBytes {
		return nil, resp.StatusCode, fmt.Errorf("%w: more than %d bytes", ErrGraphTooLarge, h.cfg.MaxGraphBytes)
	}
	switch sc := resp.StatusCode; {
	case sc >= 300 && sc <= 399:
		return nil, sc, fmt.Errorf("%w: %d", ErrGraphRedirect, sc)
	case sc == http.StatusTooManyRequests || sc == http.StatusServiceUnavailable:
		return nil, sc, &graphThrottled{status: sc, code: graphErrorCode(data),
			retryAfter: obo.ParseRetryAfter(resp.Header.Get("Retry-After"), h.cfg.Now())}
	case sc < 200 || sc > 299:
		return nil, sc, fmt.Errorf("%w: %d%s", ErrGraphStatus, sc, graphErrorCode(data))
	}
	data = bytes.TrimSpace(data)
	if !json.Valid(data) || len(data) == 0 || data[0] != '{' {
		return nil, resp.StatusCode, ErrGraphMalformed
	}
	return json.RawMessage(data), resp.StatusCode, nil
}

// pastDeadline is ctx's error, or context.DeadlineExceeded once ctx's
// deadline has passed even if ctx is not cancelled yet; nil otherwise.
func pastDeadline(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// graphErrorCode extracts Graph's error.code (e.g. InvalidAuthenticationToken)
// as " (code)", bounded and sanitised; "" if absent.
func graphErrorCode(data []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &e) != nil || e.Error.Code == "" {
		return ""
	}
	code := e.Error.Code
	if len(code) > 64 {
		code = code[:64]
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return ""
		}
	}
	return " (" + code + ")"
}

func (h *handler) graphFailure(w http.ResponseWriter, r *http.Request, status int, err error) {
	h.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "Microsoft Graph call failed",
		slog.Int("graph_status", status), slog.String("error", err.Error()))
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		writeProblem(w, http.StatusGatewayTimeout, "downstream_timeout", "Microsoft Graph did not answer in time.")
	case errors.Is(err, ErrGraphThrottled):
		ra := graphRetryAfterOf(err)
		if ra <= 0 {
			ra = h.cfg.RetryAfter
		}
		problem.SetRetryAfter(w.Header(), ra)
		writeProblem(w, http.StatusServiceUnavailable, "temporarily_unavailable",
			fmt.Sprintf("Microsoft Graph answered %d %s%s; retry after the indicated delay.", status, http.StatusText(status), graphCodeOf(err)))
	case errors.Is(err, ErrGraphRedirect):
		writeProblem(w, http.StatusBadGateway, "downstream_error",
			fmt.Sprintf("Microsoft Graph answered %d %s (a redirect); the gateway does not follow redirects with the user's Graph token. Check DownstreamApis.MicrosoftGraph.BaseUrl.", status, http.StatusText(status)))
	case errors.Is(err, ErrGraphStatus):
		detail := fmt.Sprintf("Microsoft Graph answered %d %s%s.", status, http.StatusText(status),
			strings.TrimPrefix(err.Error(), ErrGraphStatus.Error()+": "+fmt.Sprint(status)))
		writeProblem(w, http.StatusBadGateway, "downstream_error", detail)
	case errors.Is(err, ErrGraphTooLarge):
		writeProblem(w, http.StatusBadGateway, "downstream_error", "Microsoft Graph's answer exceeds the size limit.")
	case errors.Is(err, ErrGraphMalformed):
		writeProblem(w, http.StatusBadGateway, "downstream_error", "Microsoft Graph's answer is not a JSON object.")
	default:
		writeProblem(w, http.StatusBadGateway, "downstream_unavailable", "Microsoft Graph could not be reached.")
	}
}

// graphThrottled is Graph's 429 or 503, with its Retry-After (0 if none).
// It matches both ErrGraphThrottled and ErrGraphStatus.
type graphThrottled struct {
	status     int
	code       string // " (code)" or ""
	retryAfter time.Duration
}

func (e *graphThrottled) Error() string {
	return fmt.Sprintf("%s: %d%s (retry after %s)", ErrGraphThrottled.Error(), e.status, e.code, e.retryAfter)
}

func (e *graphThrottled) Is(target error) bool {
	return target == ErrGraphThrottled || target == ErrGraphStatus
}

func graphRetryAfterOf(err error) time.Duration {
	var t *graphThrottled
	if errors.As(err, &t) {
		return t.retryAfter
	}
	return 0
}

func graphCodeOf(err error) string {
	var t *graphThrottled
	if errors.As(err, &t) {
		return t.code
	}
	return ""
}
