package emulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func benchPost(b *testing.B, h http.Handler, body string) {
	b.Helper()
	req := httptest.NewRequest(http.MethodPost, "/"+DemoTenantID+"/oauth2/v2.0/token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func BenchmarkPasswordGrant(b *testing.B) {
	e, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	h := e.Handler()
	body := passwordForm(DemoUser, DemoAPIScope).Encode()
	b.ReportAllocs()
	for b.Loop() {
		benchPost(b, h, body)
	}
}

func BenchmarkOBOGrant(b *testing.B) {
	e, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	h := e.Handler()
	tok, err := e.IssueToken(TokenOptions{User: DemoUser})
	if err != nil {
		b.Fatal(err)
	}
	body := oboForm(tok, "User.Read").Encode()
	b.ReportAllocs()
	for b.Loop() {
		benchPost(b, h, body)
	}
}

func BenchmarkVerifyJWT(b *testing.B) {
	e, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := e.IssueToken(TokenOptions{User: DemoUser, Scope: "User.Read"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.verifyJWT(tok); err != nil {
			b.Fatal(err)
		}
	}
}
