// Package problem writes RFC 7807 problem-detail bodies
// (application/problem+json) and RFC 6750 WWW-Authenticate challenges.
// It builds for js/wasm and holds no state.
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// ContentType is the media type of a problem body (RFC 7807 §3).
const ContentType = "application/problem+json"

// Problem is an RFC 7807 problem detail, plus the machine-readable Code
// (serialised as "error", like OAuth error codes).
type Problem struct {
	Type     string `json:"type"`               // URI reference; "about:blank" when empty
	Title    string `json:"title"`              // short summary; http.StatusText(Status) when empty
	Status   int    `json:"status"`             // HTTP status code
	Detail   string `json:"detail,omitempty"`   // one readable sentence for this occurrence
	Code     string `json:"error,omitempty"`    // stable machine-readable code, e.g. "invalid_token"
	Instance string `json:"instance,omitempty"` // optional URI reference of this occurrence
}

// MaxDetail bounds the length of Detail (and of challenge descriptions).
const MaxDetail = 512

// New returns a Problem with the given status, code and detail.
func New(status int, code, detail string) Problem {
	return Problem{Status: status, Code: code, Detail: detail}
}

// normalise fills defaults and bounds the free-text fields.
func (p Problem) normalise() Problem {
	if p.Status < 100 || p.Status > 999 {
		p.Status = http.StatusInternalServerError
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.Detail = truncate(p.Detail, MaxDetail)
	p.Title = truncate(p.Title, MaxDetail)
	return p
}

// Write sends p as the response: status, Content-Type
// application/problem+json, Cache-Control no-store, and the JSON body.
// Headers already set on w (e.g. WWW-Authenticate, Retry-After) are kept.
func Write(w http.ResponseWriter, p Problem) {
	p = p.normalise()
	body, err := json.Marshal(p)
	if err != nil { // cannot happen with these field types; fail closed
		body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
		p.Status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}

// SetRetryAfter sets Retry-After in whole seconds (at least 1).
func SetRetryAfter(h http.Header, d time.Duration) {
	secs := int64((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	h.Set("Retry-After", strconv.FormatInt(secs, 10))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// do not cut a UTF-8 sequence in half
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
