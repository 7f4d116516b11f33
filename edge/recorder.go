package edge

import (
	"errors"
	"net/http"
)

// ErrResponseTooLarge is returned by Recorder.Write once the body exceeds
// its cap; the bridge then answers 500 instead of a truncated body.
var ErrResponseTooLarge = errors.New("edge: response body too large")

// DefaultMaxResponseBytes caps a handler's answer.
const DefaultMaxResponseBytes = 1 << 20

// Recorder is a bounded http.ResponseWriter that buffers one answer so the
// bridge can hand it to JS in one piece.
type Recorder struct {
	max      int
	header   http.Header
	status   int
	body     []byte
	overflow bool
}

// NewRecorder returns a Recorder that accepts at most max body bytes
// (DefaultMaxResponseBytes when max <= 0).
func NewRecorder(max int) *Recorder {
	if max <= 0 {
		max = DefaultMaxResponseBytes
	}
	return &Recorder{max: max, header: make(http.Header)}
}

// Header implements http.ResponseWriter.
func (r *Recorder) Header() http.Header { return r.header }

// WriteHeader implements http.ResponseWriter; only the first call counts.
func (r *Recorder) WriteHeader(status int) {
	if r.status != 0 {
		return
	}
	if status < 100 || status > 999 {
		status = http.StatusInternalServerError
	}
	r.status = status
}

// Write implements http.ResponseWriter.
func (r *Recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if len(r.body)+len(p) > r.max {
		r.overflow = true
		return 0, ErrResponseTooLarge
	}
	r.body = append(r.body, p...)
	return len(p), nil
}

// Status is the status written (200 when only the body was written, 0 when
// nothing was).
func (r *Recorder) Status() int { return r.status }

// Body is the buffered body.
func (r *Recorder) Body() []byte { return r.body }

// Overflowed reports whether the handler tried to write past the cap.
func (r *Recorder) Overflowed() bool { return r.overflow }
