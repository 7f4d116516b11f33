package emulator

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// MaxDelay bounds injected latency.
const MaxDelay = 60 * time.Second

// GraphFault makes the next Count Graph requests fail with Status (429 or
// 5xx; default 503) in Graph's error shape, with Retry-After when set.
type GraphFault struct {
	Count      int
	Status     int
	RetryAfter time.Duration
}

// faults is injected latency and Graph failures. Guarded by Emulator.mu.
type faults struct {
	tokenDelay, graphDelay time.Duration
	graph                  GraphFault
}

// SetDelay makes every token-endpoint and Graph request wait before
// answering (0 = none; capped at MaxDelay). The wait ends early when the
// client goes away.
func (e *Emulator) SetDelay(token, graph time.Duration) {
	e.mu.Lock()
	e.faults.tokenDelay, e.faults.graphDelay = min(max(token, 0), MaxDelay), min(max(graph, 0), MaxDelay)
	e.mu.Unlock()
}

// SetGraphFault installs a Graph failure (a zero GraphFault clears it).
func (e *Emulator) SetGraphFault(f GraphFault) {
	if f.Status < 400 || f.Status > 599 {
		f.Status = http.StatusServiceUnavailable
	}
	e.mu.Lock()
	e.faults.graph = f
	e.mu.Unlock()
}

func (e *Emulator) delays() (token, graph time.Duration) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.faults.tokenDelay, e.faults.graphDelay
}

// sleepCtx waits d or until ctx is done; it reports whether ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return false
	case <-ctx.Done():
		return true
	}
}

// takeGraphFault consumes one injected Graph failure, if any.
func (e *Emulator) takeGraphFault() (GraphFault, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.faults.graph.Count <= 0 {
		return GraphFault{}, false
	}
	e.faults.graph.Count--
	return e.faults.graph, true
}

func (e *Emulator) writeGraphFault(w http.ResponseWriter, r *http.Request, f GraphFault) {
	code, msg := "serviceNotAvailable", "Service unavailable."
	switch {
	case f.Status == http.StatusTooManyRequests:
		code, msg = "TooManyRequests", "Too many requests."
	case f.Status == http.StatusGatewayTimeout:
		code, msg = "gatewayTimeout", "Gateway timeout."
	case f.Status == http.StatusUnauthorized:
		code, msg = "InvalidAuthenticationToken", "Access token validation failure."
	case f.Status == http.StatusForbidden:
		code, msg = "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
	case f.Status == http.StatusNotFound:
		code, msg = "Request_ResourceNotFound", "Resource does not exist."
	case f.Status < 500:
		code, msg = "BadRequest", "Injected failure."
	case f.Status != http.StatusServiceUnavailable:
		code, msg = "generalException", "An unexpected error occurred."
	}
	if ra := int((f.RetryAfter + time.Second - 1) / time.Second); ra > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ra))
	}
	status, body := e.graphErr(r, f.Status, code, msg)
	writeJSON(w, status, body)
}
