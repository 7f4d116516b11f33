package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A token (or anything else) a client puts in an unknown path never reaches
// the access log; known routes are logged by name.
func TestAccessLogNeverLogsUnknownPaths(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	h := accessLog(log, time.Now, []string{"/me", "/metrics"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	}))
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	for _, p := range []string{"/nonexistent/" + tok, "/me", "/me?access_token=" + tok} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	out := buf.String()
	if strings.Contains(out, "eyJ") {
		t.Fatalf("access log holds a token: %s", out)
	}
	if !strings.Contains(out, `"path":"other"`) || !strings.Contains(out, `"path":"/me"`) {
		t.Fatalf("unexpected access log: %s", out)
	}
}
