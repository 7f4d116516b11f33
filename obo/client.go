package obo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Request bounds.
const (
	MaxAssertionBytes = 32 << 10
	MaxScopes         = 32
	MaxScopeBytes     = 512
	MaxClaimsBytes    = 8 << 10
)

// GrantTypeJWTBearer is the OBO grant type.
const GrantTypeJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Token returns a downstream token for req: from L1, else L2, else one
// token endpoint request shared by all identical concurrent callers. A
// caller's cancellation never cancels the shared request for the others.
// Errors: *TokenError (refusals), ErrTimeout, ErrUnavailable,
// ErrMalformedResponse, ErrInvalidRequest, ErrCredential; see KindOf.
func (c *Client) Token(ctx context.Context, req Request) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxErr(err)
	}
	key, tenant, scopes, err := c.prepare(&req)
	if err != nil {
		return nil, err
	}
	if !req.ForceRefresh {
		if tok := c.lookup(ctx, c.l1, key, c.now()); tok != nil {
			c.obs.CacheLookup("l1")
			return tok, nil
		}
	}
	if te := c.throttle.check(key, c.now()); te != nil {
		c.obs.TokenRequest("throttled_local", 0)
		return nil, te
	}
	// Forced refreshes merge only with each other: a normal flight may
	// serve the very entry the caller wants replaced.
	fkey := key
	if req.ForceRefresh {
		fkey = key + forceFlightSuffix
	}
	cl, leader := c.flight.join(fkey)
	if !leader {
		c.obs.SingleFlightMerge()
		select {
		case <-cl.done:
			return copyToken(cl.tok), copyErr(cl.err)
		case <-ctx.Done():
			return nil, ctxErr(ctx.Err())
		}
	}
	// Leader: the shared work must not die with this caller's context.
	tok, err := c.fill(context.WithoutCancel(ctx), key, tenant, scopes, req)
	c.flight.finish(fkey, cl, tok, err)
	if cerr := ctx.Err(); cerr != nil {
		return nil, ctxErr(cerr)
	}
	return copyToken(tok), copyErr(err)
}

// forceFlightSuffix separates forced refreshes from normal lookups in the
// single-flight map (cache keys are hex: no collision).
const forceFlightSuffix = "|refresh"

// prepare checks req, merges the client capabilities into req.Claims and
// returns the cache key, the tenant and the normalized scopes: the one key
// derivation shared by Token and Invalidate.
func (c *Client) prepare(req *Request) (key, tenant string, scopes []string, err error) {
	tenant = c.tenant
	if req.TenantID != "" {
		tenant = req.TenantID
	}
	scopes, err = checkRequest(*req, tenant)
	if err != nil {
		return "", "", nil, err
	}
	if req.Claims, err = mergeCapabilities(req.Claims, c.caps); err != nil {
		return "", "", nil, err
	}
	ah := req.AssertionSHA256
	if ah == ([32]byte{}) {
		ah = assertionHash(req.Assertion)
	}
	return cacheKey(c.instance, tenant, c.clientID, ah, scopes, req.Claims), tenant, scopes, nil
}

// Invalidate drops req's cached token from L1 and L2 (the same key as
// Token; ForceRefresh is ignored), e.g. after the downstream API rejected
// it. L2 is cleared only if it supports deletion (CacheDeleter); an L2
// failure is counted (Observer.L2Error("delete")) and logged like the
// others. A request Token would refuse has no entry: nothing to do. It
// does not wait on a request in flight; follow it with a ForceRefresh
// Token call to replace the entry.
func (c *Client) Invalidate(ctx context.Context, req Request) {
	key, _, _, err := c.prepare(&req)
	if err != nil {
		return
	}
	ctx = context.WithoutCancel(ctx) // a stale entry must go even if the caller left
	if err := deleteFrom(ctx, c.l1, key); err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "obo L1 delete failed", slog.String("error", err.Error()))
	}
	if c.l2 != nil {
		lctx, lcancel := context.WithTimeout(ctx, c.l2Timeout)
		err := deleteFrom(lctx, c.l2, key)
		lcancel()
		if err != nil {
			c.l2Failed("delete", err)
		}
	}
}

// deleteFrom removes key from cache if it can delete (either Delete
// shape); a cache that cannot is left alone (a forced refresh overwrites).
func deleteFrom(ctx context.Context, cache Cache, key string) error {
	switch d := cache.(type) {
	case CacheDeleter:
		return d.Delete(ctx, key)
	case interface {
		Delete(ctx context.Context, key string)
	}:
		d.Delete(ctx, key)
	}
	return nil
}

// fill runs under single flight: L1 again, L2, then the token endpoint.
func (c *Client) fill(ctx context.Context, key, tenant string, scopes []string, req Request) (*Token, error) {
	if !compactJWT(req.Assertion, MaxAssertionBytes) {
		return nil, fmt.Errorf("%w: assertion is not a compact JWT", ErrInvalidRequest)
	}
	if !req.ForceRefresh { // a forced refresh skips both levels
		if tok := c.cached(ctx, key); tok != nil {
			return tok, nil
		}
	}
	c.obs.CacheLookup("miss")
	tctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := c.now()
	ans, err := c.exchange(tctx, tenant, scopes, req, start)
	latency := c.now().Sub(start)
	if err != nil {
		var te *TokenError
		if errors.As(err, &te) && te.RetryAfter > 0 {
			c.throttle.set(key, te, c.now())
		}
		c.obs.TokenRequest(KindOf(err).String(), latency)
		c.log.LogAttrs(ctx, levelFor(err), "obo token request failed", errorAttrs(err, key)...)
		return nil, err
	}
	c.obs.TokenRequest("success", latency)
	e := &entry{tok: ans.Token, obtainedAt: start}
	if c.usable(e, c.now()) {
		v := encodeEntry(e)
		_ = c.l1.Set(ctx, key, v, e.tok.ExpiresAt)
		if c.l2 != nil {
			lctx, lcancel := context.WithTimeout(ctx, c.l2Timeout)
			if err := c.l2.Set(lctx, key, v, e.tok.ExpiresAt); err != nil {
				c.l2Failed("set", err)
			}
			lcancel()
		}
	}
	return &e.tok, nil
}

// cached returns a usable token from L1 again, else L2 (filling L1), or
// nil, and counts the hit.
func (c *Client) cached(ctx context.Context, key string) *Token {
	if tok := c.lookup(ctx, c.l1, key, c.now()); tok != nil {
		c.obs.CacheLookup("l1")
		return tok
	}
	if c.l2 == nil {
		return nil
	}
	lctx, lcancel := context.WithTimeout(ctx, c.l2Timeout)
	v, ok, err := c.l2.Get(lctx, key)
	lcancel()
	switch {
	case err != nil:
		c.l2Failed("get", err)
	case ok:
		e, err := decodeEntry(v)
		if err != nil {
			c.l2Failed("decode", err)
			return nil
		}
		if c.usable(e, c.now()) {
			c.obs.CacheLookup("l2")
			_ = c.l1.Set(ctx, key, v, e.tok.ExpiresAt)
			e.tok.FromCache = true
			return &e.tok
		}
	}
	return nil
}

// lookup returns a usable token from cache, or nil.
func (c *Client) lookup(ctx context.Context, cache Cache, key string, now time.Time) *Token {
	v, ok, err := cache.Get(ctx, key)
	if err != nil || !ok {
		return nil
	}
	e, err := decodeEntry(v)
	if err != nil || !c.usable(e, now) {
		return nil
	}
	e.tok.FromCache = true
	return &e.tok
}

// usable: more than min(margin, lifetime/4) of life left; never past expiry.
func (c *Client) usable(e *entry, now time.Time) bool {
	life := e.tok.ExpiresAt.Sub(e.obtainedAt)
	m := min(c.margin, life/4)
	return now.Before(e.tok.ExpiresAt.Add(-max(m, 0)))
}

// exchange performs one token endpoint round trip.
// ExpiresAt counts from start (the moment the request was sent), never from
// when the answer arrived: the conservative end of the window.
func (c *Client) exchange(ctx context.Context, tenant string, scopes []string, req Request, start time.Time) (*Answer, error) {
	endpoint := c.TokenEndpoint(tenant)
	form := url.Values{
		"grant_type":          {GrantTypeJWTBearer},
		"client_id":           {c.clientID},
		"assertion":           {req.Assertion},
		"scope":               {strings.Join(scopes, " ")},
		"requested_token_use": {"on_behalf_of"},
	}
	if req.Claims != "" {
		form.Set("claims", req.Claims)
	}
	if err := c.cred.Apply(ctx, CredentialParams{ClientID: c.clientID, TokenEndpoint: endpoint, Now: start}, form); err != nil {
		if !errors.Is(err, ErrCredential) {
			err = fmt.Errorf("%w: %w", ErrCredential, err)
		}
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: building request", ErrUnavailable)
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("client-request-id", requestID())
	hr.Header.Set("return-client-request-id", "true")
	hr.Header.Set("x-client-SKU", "entragate")
	resp, err := c.doer.Do(hr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return nil, &timeoutError{msg: "token endpoint did not answer in time"}
		}
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, safeTransportError(err))
	}
	defer resp.Body.Close()
	if fu := finalURL(resp); fu != nil && (fu.Host != hr.URL.Host || fu.Path != hr.URL.Path) {
		return nil, fmt.Errorf("%w: token endpoint redirected; refusing", ErrUnavailable)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes+1))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return nil, &timeoutError{msg: "token endpoint answer timed out"}
		}
		return nil, fmt.Errorf("%w: reading answer: %s", ErrUnavailable, safeTransportError(err))
	}
	truncated := len(body) > MaxAnswerBytes
	if truncated {
		body = body[:MaxAnswerBytes]
	}
	return ParseAnswer(resp.StatusCode, resp.Header, body, truncated, start)
}

func finalURL(resp *http.Response) *url.URL {
	if resp.Request == nil {
		return nil
	}
	return resp.Request.URL
}

// checkRequest validates req and returns its normalized scopes.
func checkRequest(req Request, tenant string) ([]string, error) {
	// Cheap shape check here (hit path); the full character check runs
	// before anything is sent (fill). An ill-formed assertion can never hit
	// a cache entry: entries exist only for assertions that passed it.
	a := req.Assertion
	if a == "" || len(a) > MaxAssertionBytes || strings.Count(a, ".") != 2 {
		return nil, fmt.Errorf("%w: assertion missing, too large or not a compact JWT", ErrInvalidRequest)
	}
	if !validSegment(tenant) {
		return nil, fmt.Errorf("%w: tenant id", ErrInvalidRequest)
	}
	scopes := NormalizeScopes(req.Scopes)
	if len(scopes) == 0 || len(scopes) > MaxScopes {
		return nil, fmt.Errorf("%w: need 1 to %d scopes", ErrInvalidRequest, MaxScopes)
	}
	for _, s := range scopes {
		if len(s) > MaxScopeBytes || strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r == 0x7f || r == '"' || r == '\\' }) {
			return nil, fmt.Errorf("%w: scope too long or with forbidden characters", ErrInvalidRequest)
		}
	}
	if req.Claims != "" && (len(req.Claims) > MaxClaimsBytes || !json.Valid([]byte(req.Claims))) {
		return nil, fmt.Errorf("%w: claims must be JSON of at most %d bytes", ErrInvalidRequest, MaxClaimsBytes)
	}
	return scopes, nil
}

// compactJWT reports whether s looks like a compact JWS: three base64url
// segments (the first two non-empty), at most n bytes.
func compactJWT(s string, n int) bool {
	if len(s) == 0 || len(s) > n {
		return false
	}
	dots, seg := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if seg == 0 {
				return false
			}
			dots, seg = dots+1, 0
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			seg++
		default:
			return false
		}
	}
	return dots == 2
}

// copyErr gives each caller its own *TokenError (they are shared by single
// flight and the throttle memory).
func copyErr(err error) error {
	if te, ok := err.(*TokenError); ok {
		cp := *te
		cp.ErrorCodes = append([]int(nil), te.ErrorCodes...)
		return &cp
	}
	return err
}

func copyToken(t *Token) *Token {
	if t == nil {
		return nil
	}
	cp := *t
	return &cp
}

func ctxErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &timeoutError{msg: "caller deadline exceeded"}
	}
	return fmt.Errorf("obo: %w", err)
}

// safeTransportError describes a transport error without the request URL's
// query (there is none for the token endpoint, but stay safe) or body.
func safeTransportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
