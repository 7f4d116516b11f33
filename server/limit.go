package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/entragate/entragate/gateway"
	"github.com/entragate/entragate/problem"
)

// limit answers 503 + Retry-After when max requests are already in
// progress, bounding the goroutines doing real work. rejected, if set, is
// told of each refusal (for metrics) with the time spent.
func limit(max int, retry time.Duration, rejected func(*http.Request, time.Duration), next http.Handler) http.Handler {
	sem := make(chan struct{}, max)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
			next.ServeHTTP(w, r)
		default:
			start := time.Now()
			problem.SetRetryAfter(w.Header(), retry)
			problem.Write(w, problem.New(http.StatusServiceUnavailable, "overloaded", "Too many requests in progress; retry shortly."))
			if rejected != nil {
				rejected(r, time.Since(start))
			}
		}
	})
}

// getOnly serves next for GET and HEAD; other methods get 405 with Allow
// as a problem body.
func getOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			problem.Write(w, problem.New(http.StatusMethodNotAllowed, "method_not_allowed", "Only GET is supported on this route."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

type muxRoute struct {
	pattern string
	h       http.Handler
}

// newMux registers routes on an http.ServeMux. ServeMux panics on an
// invalid or conflicting pattern; newMux returns that as an error instead.
func newMux(routes []muxRoute) (mux *http.ServeMux, err error) {
	mux = http.NewServeMux()
	for _, rt := range routes {
		if err := register(mux, rt.pattern, rt.h); err != nil {
			return nil, err
		}
	}
	return mux, nil
}

func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("server: cannot route %q: %v", pattern, p)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// accessLog logs one line per request: method, path, status, duration,
// remote address. The path is logged only when it is one of the server's
// own routes (known names); any other path is logged as "other" with its
// length, because a client may put anything there, a token included. The
// query string is never logged.
func accessLog(log *slog.Logger, now func() time.Time, known []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := now()
		sw := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		path := gateway.RouteOther
		if slices.Contains(known, r.URL.Path) {
			path = r.URL.Path
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", path), slog.Int("path_len", len(r.URL.Path)),
			slog.Int("status", sw.code), slog.String("duration", now().Sub(start).String()), slog.String("remote", r.RemoteAddr))
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

// withoutRedirects returns a copy of c that returns 3xx answers as they
// are instead of following them.
func withoutRedirects(c *http.Client) *http.Client {
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}
