//go:build js && wasm

package edge

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// FetchDoer sends HTTP requests through the Worker's fetch(), queued on the
// Worker request that owns the request's context. It implements the Doer
// interfaces of keysource, obo and gateway.
type FetchDoer struct {
	b *Bridge
	// MaxRequestBytes caps an outbound body (default 64 KiB).
	MaxRequestBytes int64
	// MaxResponseBytes caps an answer's body (default 1 MiB, the shim's hard cap).
	MaxResponseBytes int64
	// Timeout bounds one fetch (default 10s); the request's context still applies.
	Timeout time.Duration
}

// Doer returns a FetchDoer with default limits.
func (b *Bridge) Doer() *FetchDoer { return &FetchDoer{b: b} }

// Do implements Doer. Redirects are not followed (the answer is returned as
// is); bodies are capped (an answer over MaxResponseBytes is returned with
// a body that yields MaxResponseBytes+1 bytes then ErrBodyTooLarge); the
// request's context must carry a request id.
func (d *FetchDoer) Do(req *http.Request) (*http.Response, error) {
	maxReq, maxResp, timeout := d.MaxRequestBytes, d.MaxResponseBytes, d.Timeout
	if maxReq <= 0 {
		maxReq = 64 << 10
	}
	maxResp = fetchCap(maxResp)
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if req.URL == nil || (req.URL.Scheme != "https" && req.URL.Scheme != "http") {
		return nil, fmt.Errorf("edge: fetch: unsupported URL scheme")
	}
	var body []byte
	if req.Body != nil {
		p, err := readAllCapped(req.Body, maxReq)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("edge: fetch request body: %w", err)
		}
		body = p
	}
	headers := make([]any, 0, len(req.Header))
	for k, vs := range req.Header {
		for _, v := range vs {
			headers = append(headers, []any{k, v})
		}
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	op := map[string]any{
		"kind": "fetch", "method": method, "url": req.URL.String(), "headers": headers,
		"maxBytes": maxResp, "timeoutMs": timeout.Milliseconds(),
	}
	if len(body) > 0 {
		op["body"] = toJSBytes(body)
	}
	r, err := d.b.do(req.Context(), op)
	if err != nil {
		return nil, fmt.Errorf("edge: fetch %s: %w", req.URL.Host, err)
	}
	if !r.ok {
		return nil, &FetchError{Host: req.URL.Host, Msg: r.err}
	}
	res := &http.Response{
		Status:        strconv.Itoa(r.status) + " " + http.StatusText(r.status),
		StatusCode:    r.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{},
		Body:          io.NopCloser(bytes.NewReader(r.body)),
		ContentLength: int64(len(r.body)),
		Request:       req,
	}
	if r.truncated {
		// Over the cap: the answer is returned, and its body ends in
		// ErrBodyTooLarge after the cap plus one byte, so callers detect
		// the size as they do natively (not as a transport failure).
		res.Body, res.ContentLength = newOverCapBody(r.body), -1
	}
	for _, h := range r.headers {
		res.Header.Add(h[0], h[1])
	}
	return res, nil
}
