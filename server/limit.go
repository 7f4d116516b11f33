package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/entragate/entragate/problem"
)

// limit answers 503 + Retry-After when max requests are already in
// progress, bounding the goroutines doing real work.
func limit(max int, retry time.Duration, next http.Handler) http.Handler {
	sem := make(chan struct{}, max)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
			next.ServeHTTP(w, r)
		default:
			problem.SetRetryAfter(w.Header(), retry)
			problem.Write(w, problem.New(http.StatusServiceUnavailable, "overloaded", "Too many requests in progress; retry shortly."))
		}
	})
}

// accessLog logs one line per request: method, path (never the query
// string, which may carry secrets), status, duration, remote address.
func accessLog(log *slog.Logger, now func() time.Time, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := now()
		sw := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", sw.code),
			slog.Duration("duration", now().Sub(start)), slog.String("remote", r.RemoteAddr))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.code, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
