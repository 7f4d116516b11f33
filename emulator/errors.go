package emulator

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strconv"
)

// aadError is a token-endpoint refusal in Entra's shape.
type aadError struct {
	status     int    // HTTP status
	code       string // OAuth "error"
	aadsts     int    // AADSTS number
	msg        string // text after "AADSTSnnnnn: "
	claims     string // claims challenge JSON (interaction_required)
	retryAfter int    // seconds, for 429
}

func (a *aadError) Error() string { return fmt.Sprintf("AADSTS%d: %s", a.aadsts, a.msg) }

// result is the metrics label for this error.
func (a *aadError) result() string { return a.code }

func newErr(status int, code string, aadsts int, format string, args ...any) *aadError {
	return &aadError{status: status, code: code, aadsts: aadsts, msg: fmt.Sprintf(format, args...)}
}

// Common refusals.
func errInvalidRequest(aadsts int, format string, args ...any) *aadError {
	return newErr(http.StatusBadRequest, "invalid_request", aadsts, format, args...)
}

func errInvalidGrant(aadsts int, format string, args ...any) *aadError {
	return newErr(http.StatusBadRequest, "invalid_grant", aadsts, format, args...)
}

func errInvalidClient(aadsts int, format string, args ...any) *aadError {
	return newErr(http.StatusUnauthorized, "invalid_client", aadsts, format, args...)
}

func errMissingParam(name string) *aadError {
	return errInvalidRequest(900144, "The request body must contain the following parameter: '%s'.", name)
}

// errorBody is Entra's JSON error document.
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri,omitempty"`
	Claims           string `json:"claims,omitempty"`
}

const aadTimeFormat = "2006-01-02 15:04:05Z"

func (e *Emulator) writeAADError(w http.ResponseWriter, r *http.Request, a *aadError) {
	ts := e.now().UTC().Format(aadTimeFormat)
	trace := newGUID()
	corr := r.Header.Get("client-request-id")
	if !isGUID(corr) {
		corr = newGUID()
	}
	body := errorBody{
		Error: a.code,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			a.aadsts, a.msg, trace, corr, ts),
		ErrorCodes:    []int{a.aadsts},
		Timestamp:     ts,
		TraceID:       trace,
		CorrelationID: corr,
		ErrorURI:      e.BaseURL() + "/error?code=" + strconv.Itoa(a.aadsts),
		Claims:        a.claims,
	}
	w.Header().Set("x-ms-request-id", trace)
	w.Header().Set("client-request-id", corr)
	if a.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(a.retryAfter))
	}
	writeJSON(w, a.status, body)
}

func (e *Emulator) writeTenantNotFound(w http.ResponseWriter, r *http.Request, seg string) {
	e.writeAADError(w, r, errInvalidRequest(90002,
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. "+
			"Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
		truncate(seg, 64)))
}

// newGUID returns a random version-4 UUID.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
