package keysource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"github.com/entragate/entragate/authority"
	"github.com/entragate/entragate/jwk"
)

// fetchSet performs one refresh: metadata (when configured), then the key
// set. It returns the new set, the jwks_uri used, and a non-fatal metadata
// error when the metadata failed but a previous jwks_uri was usable.
func (s *Source) fetchSet(ctx context.Context, prevJWKSURI string) (set *jwk.Set, jwksURI string, metaErr, err error) {
	switch {
	case s.cfg.File != "":
		set, err = s.fetchKeys(ctx, "")
		return set, "", nil, err
	case s.cfg.JWKSURL != "":
		jwksURI = s.cfg.JWKSURL
	default:
		jwksURI, metaErr = s.fetchMetadata(ctx)
		if metaErr != nil {
			if prevJWKSURI == "" {
				return nil, "", nil, metaErr
			}
			jwksURI = prevJWKSURI // metadata rarely changes: keep going with the last jwks_uri
		}
	}
	set, err = s.fetchKeys(ctx, jwksURI)
	return set, jwksURI, metaErr, err
}

// fetchKeys reads and parses the key set (from the file when jwksURI is
// empty) and reports exactly one Observer.Fetch event.
func (s *Source) fetchKeys(ctx context.Context, jwksURI string) (set *jwk.Set, err error) {
	start := s.cfg.Now()
	defer func() { s.obs.Fetch(WhatKeys, classify(err), s.cfg.Now().Sub(start)) }()
	var body []byte
	where := s.cfg.File
	if jwksURI == "" {
		body, err = s.readFile(s.cfg.File)
	} else {
		where = redactRaw(jwksURI)
		body, err = s.get(ctx, WhatKeys, jwksURI)
	}
	if err != nil {
		return nil, err
	}
	set, err = jwk.Parse(body)
	if err == nil && set.Len() == 0 {
		err = jwk.ErrEmptySet
	}
	if err != nil {
		return nil, &FetchError{What: WhatKeys, URL: where, Err: err}
	}
	return set, nil
}

// fetchMetadata reads the discovery document and returns its jwks_uri,
// which must obey the same scheme rule as configured URLs.
func (s *Source) fetchMetadata(ctx context.Context) (jwksURI string, err error) {
	start := s.cfg.Now()
	defer func() { s.obs.Fetch(WhatMetadata, classify(err), s.cfg.Now().Sub(start)) }()
	body, err := s.get(ctx, WhatMetadata, s.cfg.MetadataURL)
	if err != nil {
		return "", err
	}
	md, err := authority.ParseMetadata(body)
	if err == nil && md.JWKSURI == "" {
		err = fmt.Errorf("%w: no jwks_uri", authority.ErrMalformedMetadata)
	}
	if err == nil {
		err = checkURL(md.JWKSURI, s.cfg.AllowInsecureHTTP)
	}
	if err != nil {
		return "", &FetchError{What: WhatMetadata, URL: redactRaw(s.cfg.MetadataURL), Err: err}
	}
	return md.JWKSURI, nil
}

// get performs one bounded GET: FetchTimeout, Accept JSON, status 200,
// JSON content type, at most MaxBytes read (cap+1 to detect overflow).
func (s *Source) get(ctx context.Context, what, rawURL string) ([]byte, error) {
	where := redactRaw(rawURL)
	fail := func(status int, err error) error {
		return &FetchError{What: what, URL: where, Status: status, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fail(0, err)
	}
	req.Header.Set("Accept", "application/json")
	// Revalidate through any intermediary cache: an unknown-kid refresh
	// must see the set as published now, not a cached copy.
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := s.cfg.Doer.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fail(0, ctxErr)
		}
		return nil, fail(0, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
	}()
	if resp.Request != nil && resp.Request.URL != nil {
		// The Doer may have followed redirects: the final URL obeys the same rule.
		if err := checkURL(resp.Request.URL.String(), s.cfg.AllowInsecureHTTP); err != nil {
			return nil, fail(0, err)
		}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fail(resp.StatusCode, fmt.Errorf("%w %d", ErrHTTPStatus, resp.StatusCode))
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		return nil, fail(resp.StatusCode, ErrContentType)
	}
	if resp.ContentLength > s.cfg.MaxBytes {
		return nil, fail(resp.StatusCode, ErrTooLarge)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxBytes+1))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, fail(resp.StatusCode, err)
	}
	if int64(len(body)) > s.cfg.MaxBytes {
		return nil, fail(resp.StatusCode, ErrTooLarge)
	}
	return body, nil
}

func (s *Source) readFile(path string) ([]byte, error) {
	fail := func(err error) error { return &FetchError{What: WhatKeys, URL: path, Err: err} }
	f, err := os.Open(path)
	if err != nil {
		return nil, fail(err)
	}
	defer func() { _ = f.Close() }()
	body, err := io.ReadAll(io.LimitReader(f, s.cfg.MaxBytes+1))
	if err != nil {
		return nil, fail(err)
	}
	if int64(len(body)) > s.cfg.MaxBytes {
		return nil, fail(ErrTooLarge)
	}
	return body, nil
}

// isJSON accepts application/json and any +json media type
// (application/jwk-set+json); anything else, including none, is refused.
func isJSON(contentType string) bool {
	if contentType == "" || len(contentType) > 256 {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// classify maps a fetch error to a Result* label.
func classify(err error) string {
	switch {
	case err == nil:
		return ResultOK
	case errors.Is(err, context.DeadlineExceeded):
		return ResultTimeout
	case errors.Is(err, context.Canceled):
		return ResultCanceled
	case errors.Is(err, ErrHTTPStatus):
		return ResultHTTPStatus
	case errors.Is(err, ErrTooLarge):
		return ResultTooLarge
	case errors.Is(err, ErrContentType):
		return ResultContentType
	case errors.Is(err, ErrInsecureURL):
		return ResultInsecure
	case errors.Is(err, jwk.ErrEmptySet):
		return ResultEmpty
	case errors.Is(err, jwk.ErrMalformedSet), errors.Is(err, authority.ErrMalformedMetadata):
		return ResultInvalid
	default:
		return ResultNetwork
	}
}
