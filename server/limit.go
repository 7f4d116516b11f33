package server

import (
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
