package httpauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/keysource"
	"github.com/entragate/entragate/validate"
)

type fakeValidator map[string]error // token -> error (nil = accept)

func (f fakeValidator) Validate(_ context.Context, raw string) (*validate.Result, error) {
	err, ok := f[raw]
	if !ok {
		return nil, &validate.Error{Reason: validate.ReasonSignatureInvalid, Msg: "the signature does not verify."}
	}
	if err != nil {
		return nil, err
	}
	return &validate.Result{Claims: json.RawMessage(`{"scp":"read"}`), Scopes: []string{"read"}}, nil
}

type scopeReq string

func (s scopeReq) Check(res *validate.Result) error {
	for _, sc := range res.Scopes {
		if sc == string(s) {
			return nil
		}
	}
	return &validate.Error{Reason: validate.ReasonInsufficientScope, Msg: "the token lacks scope " + string(s) + "."}
}

type countObs struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *countObs) Refused(r string) { c.mu.Lock(); c.m[r]++; c.mu.Unlock() }

func TestMiddleware(t *testing.T) {
	fv := fakeValidator{
		"good":    nil,
		"expired": fmt.Errorf("wrapped: %w", &validate.Error{Reason: validate.ReasonExpired, Msg: "the token expired at 10:00:00Z."}),
		"nokeys":  fmt.Errorf("validate: %w", jwk.ErrKeySetUnavailable),
		"nokeys2": &validate.Error{Reason: validate.ReasonKeysUnavailable, Msg: "keys are unavailable."},
		"other":   errors.New("boom"),
		"nokeys3": fmt.Errorf("v: %w", &keysource.Error{Kind: jwk.ErrKeySetUnavailable, RetryAfter: 42 * time.Second}),
	}
	tests := []struct {
		name    string
		headers []string
		require Authorizer
		status  int
		wwwAuth string // exact; "-" = must be absent
		code    string
		retry   bool
		reason  string
	}{
		{"ok", []string{"Bearer good"}, nil, 200, "-", "", false, ""},
		{"scheme case", []string{"bEaReR good"}, nil, 200, "-", "", false, ""},
		{"missing", nil, nil, 401, "Bearer", "", false, ReasonNoToken},
		{"basic scheme", []string{"Basic Zm9vOmJhcg=="}, nil, 401, "Bearer", "", false, ReasonNoToken},
		{"empty", []string{"Bearer "}, nil, 400, `Bearer error="invalid_request", error_description="empty bearer token."`, "invalid_request", false, ReasonInvalidRequest},
		{"two headers", []string{"Bearer good", "Bearer good"}, nil, 400, `Bearer error="invalid_request", error_description="more than one Authorization header."`, "invalid_request", false, ReasonInvalidRequest},
		{"folded headers", []string{"Bearer good, Bearer good"}, nil, 400, `Bearer error="invalid_request", error_description="more than one Authorization header."`, "invalid_request", false, ReasonInvalidRequest},
		{"folded without space", []string{"Bearer good,Bearer good"}, nil, 400, `Bearer error="invalid_request", error_description="more than one Authorization header."`, "invalid_request", false, ReasonInvalidRequest},
		{"folded other token", []string{"Bearer good, Bearer zzz"}, nil, 400, `Bearer error="invalid_request", error_description="more than one Authorization header."`, "invalid_request", false, ReasonInvalidRequest},
		{"folded basic first", []string{"Basic Zm9vOmJhcg==, Bearer good"}, nil, 400, `Bearer error="invalid_request", error_description="more than one Authorization header."`, "invalid_request", false, ReasonInvalidRequest},
		{"folded basic second", []string{"Bearer good, Basic Zm9vOmJhcg=="}, nil, 400, `Bearer error="invalid_request", error_description="more than one Authorization header."`, "invalid_request", false, ReasonInvalidRequest},
		{"too large", []string{"Bearer " + strings.Repeat("a", 20000)}, nil, 401, `Bearer error="invalid_token", error_description="token_too_large: the Authorization header exceeds the size limit."`, "invalid_token", false, "token_too_large"},
		{"bad chars", []string{"Bearer a\"b"}, nil, 401, `Bearer error="invalid_token", error_description="malformed: the bearer token holds characters a token cannot contain."`, "invalid_token", false, "malformed"},
		{"unknown sig", []string{"Bearer zzz"}, nil, 401, `Bearer error="invalid_token", error_description="signature_invalid: the signature does not verify."`, "invalid_token", false, "signature_invalid"},
		{"expired", []string{"Bearer expired"}, nil, 401, `Bearer error="invalid_token", error_description="token_expired: the token expired at 10:00:00Z."`, "invalid_token", false, "token_expired"},
		{"keys unavailable jwk", []string{"Bearer nokeys"}, nil, 503, "-", "temporarily_unavailable", true, "keys_unavailable"},
		{"keys unavailable validate", []string{"Bearer nokeys2"}, nil, 503, "-", "temporarily_unavailable", true, "keys_unavailable"},
		{"keys unavailable hint", []string{"Bearer nokeys3"}, nil, 503, "-", "temporarily_unavailable", true, "keys_unavailable"},
		{"other error", []string{"Bearer other"}, nil, 401, `Bearer error="invalid_token", error_description="invalid: the token could not be validated."`, "invalid_token", false, "invalid"},
		{"scope ok", []string{"Bearer good"}, scopeReq("read"), 200, "-", "", false, ""},
		{"scope missing", []string{"Bearer good"}, scopeReq("write"), 403, `Bearer error="insufficient_scope", error_description="insufficient_scope: the token lacks scope write.", scope="write"`, "insufficient_scope", false, "insufficient_scope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obs := &countObs{m: map[string]int{}}
			opts := Options{Validator: fv, Require: tc.require, Observer: obs}
			if s, ok := tc.require.(scopeReq); ok {
				opts.Scope = string(s)
			}
			a, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			h := a.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				res, ok := FromContext(r.Context())
				raw, ok2 := TokenFromContext(r.Context())
				if !ok || !ok2 || res == nil || raw != "good" {
					t.Error("context lacks result or token")
				}
				w.WriteHeader(200)
			}))
			req := httptest.NewRequest("GET", "/x?access_token=good", nil)
			for _, v := range tc.headers {
				req.Header.Add("Authorization", v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d want %d; body %s", rec.Code, tc.status, rec.Body)
			}
			got := rec.Header().Get("WWW-Authenticate")
			if tc.wwwAuth == "-" && got != "" || tc.wwwAuth != "-" && got != tc.wwwAuth {
				t.Fatalf("WWW-Authenticate %q want %q", got, tc.wwwAuth)
			}
			if (rec.Header().Get("Retry-After") != "") != tc.retry {
				t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
			}
			if tc.status != 200 {
				if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
					t.Fatalf("content type %q", ct)
				}
				var p struct {
					Status int    `json:"status"`
					Code   string `json:"error"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tc.status || p.Code != tc.code {
					t.Fatalf("problem %s (%v)", rec.Body, err)
				}
				if strings.Contains(rec.Body.String(), "good") || strings.Contains(got, "nokeys") {
					t.Fatal("token echoed")
				}
			}
			if tc.reason != "" && obs.m[tc.reason] != 1 {
				t.Fatalf("observer %v, want %s", obs.m, tc.reason)
			}
		})
	}
}

func TestNewRequiresValidator(t *testing.T) {
	if _, err := New(Options{}); !errors.Is(err, ErrNoValidator) {
		t.Fatal(err)
	}
}

func TestRequirementScopeHint(t *testing.T) {
	a, err := New(Options{Validator: fakeValidator{}, Require: reqAdapter{validate.Requirement{AnyScopes: []string{"a", "b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	_ = a // adapter is not a validate.Requirement: no scope derived
	if a.scope != "" {
		t.Fatal(a.scope)
	}
}

type reqAdapter struct{ validate.Requirement }

func (reqAdapter) Check(*validate.Result) error { return nil }

// TestExtractBearerFolded: a comma-folded Authorization value holding more
// than one credential is refused like two headers; other values keep
// their answer.
func TestExtractBearerFolded(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		tok     string
		err     error
	}{
		{"single", []string{"Bearer abc.def.ghi"}, "abc.def.ghi", nil},
		{"folded two bearers", []string{"Bearer a.b.c, Bearer d.e.f"}, "", ErrMultipleHeader},
		{"folded, no space", []string{"Bearer a.b.c,Bearer d.e.f"}, "", ErrMultipleHeader},
		{"folded, lower case", []string{"bearer a.b.c, bearer d.e.f"}, "", ErrMultipleHeader},
		{"folded, tab", []string{"Bearer a.b.c,\tBearer d.e.f"}, "", ErrMultipleHeader},
		{"folded, same token", []string{"Bearer a.b.c, Bearer a.b.c"}, "", ErrMultipleHeader},
		{"folded, three", []string{"Bearer a, Bearer b, Bearer c"}, "", ErrMultipleHeader},
		{"comma inside token", []string{"Bearer a,b"}, "", ErrMultipleHeader},
		{"trailing comma", []string{"Bearer a.b.c,"}, "", ErrMultipleHeader},
		{"bearer then basic", []string{"Bearer a.b.c, Basic Zm9v"}, "", ErrMultipleHeader},
		{"basic then bearer", []string{"Basic Zm9v, Bearer a.b.c"}, "", ErrMultipleHeader},
		{"basic then empty bearer", []string{"Basic Zm9v, Bearer"}, "", ErrMultipleHeader},
		{"empty bearer then bearer", []string{"Bearer, Bearer a.b.c"}, "", ErrMultipleHeader},
		{"folded and a second header", []string{"Bearer a, Bearer b", "Bearer c"}, "", ErrMultipleHeader},
		{"digest params", []string{`Digest username="a", realm="b", nonce="c"`}, "", ErrNoToken},
		{"basic then bearerish param", []string{"Basic Zm9v, BearerX y"}, "", ErrNoToken},
		{"basic only", []string{"Basic Zm9v"}, "", ErrNoToken},
		{"folded too large", []string{"Bearer " + strings.Repeat("a", 40) + ", Bearer " + strings.Repeat("b", 40)}, "", ErrHeaderTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			for _, h := range tc.headers {
				r.Header.Add("Authorization", h)
			}
			tok, err := ExtractBearer(r, 64)
			if tok != tc.tok || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("got %q, %v; want %q, %v", tok, err, tc.tok, tc.err)
			}
		})
	}
}

func FuzzExtractBearer(f *testing.F) {
	for _, s := range []string{"Bearer abc.def.ghi", "bearer   x==", "Basic x", "Bearer", "Bearer a=b", "", "Bearer \t tok \t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", h)
		tok, err := ExtractBearer(r, 64)
		if err != nil {
			if tok != "" {
				t.Fatal("token with error")
			}
			return
		}
		if tok == "" || len(tok) > 64+len("Bearer ") || !isB64Token(tok) || !strings.Contains(h, tok) {
			t.Fatalf("bad token %q from %q", tok, h)
		}
	})
}

// TestIsB64TokenAllBytes checks the bit-set character test against the
// RFC 6750 grammar, byte by byte.
func TestIsB64TokenAllBytes(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		want := ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || ('0' <= b && b <= '9') ||
			b == '-' || b == '.' || b == '_' || b == '~' || b == '+' || b == '/'
		if got := isB64Token("a" + string(b) + "a"); got != want {
			t.Errorf("byte %#x: got %v, want %v", c, got, want)
		}
	}
	for _, s := range []string{"a=", "a==", "=", "", "a=b"} {
		want := s == "a=" || s == "a=="
		if got := isB64Token(s); got != want {
			t.Errorf("%q: got %v", s, got)
		}
	}
}
