package obo

import (
	"net/http"
	"strings"
	"testing"
)

func FuzzParseAnswer(f *testing.F) {
	f.Add(200, []byte(`{"token_type":"Bearer","expires_in":3600,"access_token":"a.b.c"}`), "")
	f.Add(400, []byte(`{"error":"interaction_required","error_codes":[50079],"claims":"{}"}`), "")
	f.Add(429, []byte(`{}`), "5")
	f.Fuzz(func(t *testing.T, status int, body []byte, retry string) {
		if len(body) > MaxAnswerBytes {
			body = body[:MaxAnswerBytes]
		}
		a, err := ParseAnswer(status, http.Header{"Retry-After": {retry}}, body, false, t0)
		if (a == nil) == (err == nil) {
			t.Fatal("exactly one of answer and error")
		}
		if a != nil && (a.AccessToken == "" || !a.ExpiresAt.After(t0) || a.ExpiresAt.After(t0.Add(MaxLifetime))) {
			t.Fatalf("bad answer %+v", a)
		}
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatal("multi-line error")
			}
			if te, ok := err.(*TokenError); ok {
				if len(te.Description) > maxDescriptionLen || len(te.Claims) > maxClaimsLen || len(te.ErrorCodes) > maxErrorCodes ||
					te.RetryAfter < 0 || te.RetryAfter > MaxRetryAfter {
					t.Fatalf("caps violated %+v", te)
				}
				_ = te.Kind()
			}
		}
	})
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry(&entry{tok: Token{AccessToken: "a", TokenType: "Bearer", ExpiresAt: t0}, obtainedAt: t0}))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err == nil && e.tok.AccessToken == "" {
			t.Fatal("empty token decoded")
		}
	})
}
