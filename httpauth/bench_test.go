package httpauth

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkWrap measures the middleware's own cost per request (header
// checks, context value) around a trivial validator.
func BenchmarkWrap(b *testing.B) {
	a, err := New(Options{Validator: fakeValidator{"good": nil}})
	if err != nil {
		b.Fatal(err)
	}
	h := a.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer good")
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

// BenchmarkExtractBearer measures extraction of a typical 1.5 KB token.
func BenchmarkExtractBearer(b *testing.B) {
	tok := make([]byte, 1500)
	for i := range tok {
		tok[i] = "abcdefghijklmnopqrstuvwxyz0123456789-_."[i%39]
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+string(tok))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ExtractBearer(req, 0); err != nil {
			b.Fatal(err)
		}
	}
}
