package problem

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name      string
		in        Problem
		status    int
		title     string
		wantCode  string
		detailLen int
	}{
		{"defaults", Problem{Status: 401, Code: "invalid_token", Detail: "d"}, 401, "Unauthorized", "invalid_token", 1},
		{"bad status", Problem{Status: 42}, 500, "Internal Server Error", "", 0},
		{"long detail", Problem{Status: 502, Detail: strings.Repeat("é", 1000)}, 502, "Bad Gateway", "", MaxDetail},
		{"custom title", Problem{Status: 503, Title: "Keys loading"}, 503, "Keys loading", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.Header().Set("WWW-Authenticate", "Bearer")
			Write(rec, tc.in)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != ContentType {
				t.Fatalf("content-type %q", ct)
			}
			if rec.Header().Get("WWW-Authenticate") != "Bearer" {
				t.Fatal("pre-set header lost")
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Fatal("no Cache-Control: no-store")
			}
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got["type"] != "about:blank" || got["title"] != tc.title || int(got["status"].(float64)) != tc.status {
				t.Fatalf("body %v", got)
			}
			code, _ := got["error"].(string)
			if code != tc.wantCode {
				t.Fatalf("error %q want %q", code, tc.wantCode)
			}
			d, _ := got["detail"].(string)
			if len(d) > tc.detailLen || (tc.detailLen > 0 && len(d) < tc.detailLen-2) {
				t.Fatalf("detail length %d, want about %d", len(d), tc.detailLen)
			}
		})
	}
}

func TestChallenge(t *testing.T) {
	tests := []struct {
		name string
		in   Challenge
		want string
	}{
		{"bare", Challenge{}, "Bearer"},
		{"invalid", Challenge{Error: CodeInvalidToken, ErrorDescription: "token_expired: the token expired"},
			`Bearer error="invalid_token", error_description="token_expired: the token expired"`},
		{"scope", Challenge{Error: CodeInsufficientScope, Scope: "a b"},
			`Bearer error="insufficient_scope", scope="a b"`},
		{"claims", Challenge{RealmSet: true, Error: CodeInsufficientClaims, Claims: "eyJhIjoxfQ=="},
			`Bearer realm="", error="insufficient_claims", claims="eyJhIjoxfQ=="`},
		{"escape", Challenge{Realm: `a"b\c`, Error: `x"y`, ErrorDescription: "q\"u\\o\r\nte é"},
			`Bearer realm="a\"b\\c", error="x'y", error_description="q'u/o??te ?"`},
		{"no space in code", Challenge{Error: "a b"}, `Bearer error="a?b"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.String(); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			h := http.Header{}
			tc.in.Set(h)
			if h.Get("WWW-Authenticate") != tc.want {
				t.Fatal("Set differs from String")
			}
		})
	}
}

func TestSetRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{0, "1"}, {time.Millisecond, "1"}, {time.Second, "1"}, {1500 * time.Millisecond, "2"}, {time.Minute, "60"}} {
		h := http.Header{}
		SetRetryAfter(h, tc.d)
		if h.Get("Retry-After") != tc.want {
			t.Errorf("%v: %q want %q", tc.d, h.Get("Retry-After"), tc.want)
		}
	}
}

// FuzzChallenge checks that any input yields a header whose quoted values
// cannot be broken out of.
func FuzzChallenge(f *testing.F) {
	f.Add("realm", "invalid_token", "desc \"x\" \\", "scope a", "claims")
	f.Fuzz(func(t *testing.T, realm, code, desc, scope, claims string) {
		s := Challenge{Realm: realm, Error: code, ErrorDescription: desc, Scope: scope, Claims: claims}.String()
		for _, r := range s {
			if r < 0x20 || r >= 0x7f {
				t.Fatalf("non-printable in %q", s)
			}
		}
		// outside quoted realm, the number of unescaped quotes must be even
		n, esc := 0, false
		for i := 0; i < len(s); i++ {
			switch {
			case esc:
				esc = false
			case s[i] == '\\':
				esc = true
			case s[i] == '"':
				n++
			}
		}
		if n%2 != 0 {
			t.Fatalf("unbalanced quotes in %q", s)
		}
	})
}
