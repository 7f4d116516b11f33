package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entragate/entragate/obo"
	"github.com/entragate/entragate/validate"
)

const (
	userToken = "header.payload.sig"
	appToken  = "app.payload.sig"
)

type fakeValidator struct{}

func (fakeValidator) Validate(_ context.Context, raw string) (*validate.Result, error) {
	if raw == appToken {
		return &validate.Result{Claims: json.RawMessage(`{"roles":["Data.Read.All"]}`), Roles: []string{"Data.Read.All"}, AppOnly: true}, nil
	}
	if raw != userToken {
		return nil, &validate.Error{Reason: validate.ReasonAudienceMismatch, Msg: "the token is for another audience."}
	}
	return &validate.Result{Claims: json.RawMessage(`{"oid":"o1","tid":"t1","scp":"access_as_user"}`), Scopes: []string{"access_as_user"}}, nil
}

type fakeOBO struct {
	err error
	tok *obo.Token
	got obo.Request
}

func (f *fakeOBO) Token(_ context.Context, req obo.Request) (*obo.Token, error) {
	f.got = req
	return f.tok, f.err
}

type recObs struct {
	mu   sync.Mutex
	reqs []string
}

func (r *recObs) Refused(string) {}
func (r *recObs) Request(route string, status int, _ time.Duration) {
	r.mu.Lock()
	r.reqs = append(r.reqs, fmt.Sprintf("%s %d", route, status))
	r.mu.Unlock()
}

func graphServer(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(graphStatusHandler(status, body))
	t.Cleanup(s.Close)
	return s
}

func graphHandler(body string) http.Handler { return graphStatusHandler(200, body) }

// graphStatusHandler is a fake Graph: GET /v1.0/me with "graph-token".
func graphStatusHandler(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1.0/me" || r.Header.Get("Authorization") != "Bearer graph-token" {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

func newHandler(t *testing.T, o obo.Acquirer, graph *httptest.Server, mod func(*Config)) (http.Handler, *recObs) {
	t.Helper()
	obs := &recObs{}
	cfg := Config{Validator: fakeValidator{}, OBO: o, Graph: graph.Client(), GraphBaseURL: graph.URL + "/v1.0",
		GraphScopes: []string{"https://graph.microsoft.com/User.Read"}, Observer: obs, MaxGraphBytes: 4096}
	if mod != nil {
		mod(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h, obs
}

func do(h http.Handler, method, path, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestGraphMeSuccess(t *testing.T) {
	g := graphServer(t, 200, `{"id":"u1","displayName":"Alice","userPrincipalName":"alice@example.com"}`)
	o := &fakeOBO{tok: &obo.Token{AccessToken: "graph-token", ExpiresAt: time.Now().Add(time.Hour)}}
	h, obs := newHandler(t, o, g, nil)
	rec := do(h, "GET", "/graph/me", userToken)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var got struct {
		Claims        map[string]any `json:"claims"`
		GraphResponse map[string]any `json:"graphResponse"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Claims["oid"] != "o1" || got.GraphResponse["displayName"] != "Alice" {
		t.Fatalf("%s", rec.Body)
	}
	if o.got.Assertion != userToken || len(o.got.Scopes) != 1 {
		t.Fatalf("obo request %+v", o.got)
	}
	if strings.Contains(rec.Body.String(), "graph-token") {
		t.Fatal("downstream token leaked")
	}
	if len(obs.reqs) != 1 || obs.reqs[0] != "/graph/me 200" {
		t.Fatal(obs.reqs)
	}
}

func TestOBOErrors(t *testing.T) {
	claims := `{"access_token":{"polids":{"essential":true,"values":["9ab03e19"]}}}`
	tests := []struct {
		name   string
		err    error
		status int
		www    string
		retry  string
		code   string
	}{
		{"claims challenge", &obo.TokenError{StatusCode: 400, Code: "interaction_required", ErrorCodes: []int{50079}, Claims: claims}, 401,
			`Bearer realm="", error="insufficient_claims", claims="` + base64.StdEncoding.EncodeToString([]byte(claims)) + `"`, "", "insufficient_claims"},
		{"consent", &obo.TokenError{StatusCode: 400, Code: "invalid_grant", ErrorCodes: []int{65001}}, 403, `Bearer error="interaction_required"`, "", "interaction_required"},
		{"assertion", &obo.TokenError{StatusCode: 400, Code: "invalid_grant", ErrorCodes: []int{500133}}, 401, `Bearer error="invalid_token"`, "", "invalid_token"},
		{"misconfigured", &obo.TokenError{StatusCode: 401, Code: "invalid_client", ErrorCodes: []int{7000215}}, 502, "", "", "downstream_token_unavailable"},
		{"throttled", &obo.TokenError{StatusCode: 429, Code: "", RetryAfter: 30 * time.Second}, 503, "", "30", "temporarily_unavailable"},
		{"throttled no hint", &obo.TokenError{StatusCode: 429}, 503, "", "5", "temporarily_unavailable"},
		{"5xx", &obo.TokenError{StatusCode: 500, Code: "server_error"}, 502, "", "", "downstream_token_unavailable"},
		{"timeout", fmt.Errorf("x: %w", context.DeadlineExceeded), 504, "", "", "downstream_timeout"},
		{"transport", fmt.Errorf("x: %w", obo.ErrUnavailable), 502, "", "", "downstream_token_unavailable"},
		{"unknown", errors.New("??"), 502, "", "", "downstream_token_unavailable"},
		{"bad request", obo.ErrInvalidRequest, 500, "", "", "internal_error"},
	}
	g := graphServer(t, 200, `{}`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newHandler(t, &fakeOBO{err: tc.err}, g, nil)
			rec := do(h, "GET", "/graph/me", userToken)
			if rec.Code != tc.status {
				t.Fatalf("status %d want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if www := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(www, tc.www) || (tc.www == "" && www != "") {
				t.Fatalf("WWW-Authenticate %q want prefix %q", www, tc.www)
			}
			if rec.Header().Get("Retry-After") != tc.retry {
				t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
			}
			var p struct{ Error string }
			if json.Unmarshal(rec.Body.Bytes(), &p); p.Error != tc.code || rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("problem %s", rec.Body)
			}
		})
	}
}

func TestGraphErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   int
		detail string
	}{
		{"401", 401, `{"error":{"code":"InvalidAuthenticationToken","message":"x"}}`, 502, "401 Unauthorized (InvalidAuthenticationToken)"},
		{"403", 403, `{"error":{"code":"Authorization_RequestDenied"}}`, 502, "403 Forbidden (Authorization_RequestDenied)"},
		{"500 odd code", 500, `{"error":{"code":"a\"b"}}`, 502, "500 Internal Server Error."},
		{"too large", 200, `{"a":"` + strings.Repeat("x", 5000) + `"}`, 502, "size limit"},
		{"not json", 200, `<html>`, 502, "not a JSON object"},
		{"array", 200, `[1]`, 502, "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graphServer(t, tc.status, tc.body)
			h, _ := newHandler(t, &fakeOBO{tok: &obo.Token{AccessToken: "graph-token"}}, g, nil)
			rec := do(h, "GET", "/graph/me", userToken)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.detail) {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		g := graphServer(t, 200, "{}")
		h, _ := newHandler(t, &fakeOBO{tok: &obo.Token{AccessToken: "graph-token"}}, g, nil)
		g.Close()
		if rec := do(h, "GET", "/graph/me", userToken); rec.Code != 502 {
			t.Fatal(rec.Code)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		block := make(chan struct{})
		g := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}))
		defer g.Close()
		defer close(block)
		h, _ := newHandler(t, &fakeOBO{tok: &obo.Token{AccessToken: "graph-token"}}, g, func(c *Config) { c.GraphTimeout = 50 * time.Millisecond })
		if rec := do(h, "GET", "/graph/me", userToken); rec.Code != 504 {
			t.Fatal(rec.Code)
		}
	})
}

// TestGraphThrottling: Graph's 429/503 become 503 + Retry-After (Graph's
// hint, capped like the token endpoint's, or the configured default) with a
// problem body; other 5xx stay 502.
func TestGraphThrottling(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		want       int
		wantRA     string
	}{
		{"429 seconds", 429, "17", 503, "17"},
		{"503 seconds", 503, "3", 503, "3"},
		{"429 date", 429, now.Add(42 * time.Second).Format(http.TimeFormat), 503, "42"},
		{"429 capped", 429, "86400", 503, "300"},
		{"429 date capped", 429, now.Add(time.Hour).Format(http.TimeFormat), 503, "300"},
		{"429 none", 429, "", 503, "9"},
		{"503 none", 503, "", 503, "9"},
		{"503 garbage", 503, "soon", 503, "9"},
		{"503 past date", 503, now.Add(-time.Minute).Format(http.TimeFormat), 503, "9"},
		{"500 with hint", 500, "10", 502, ""},
		{"504 with hint", 504, "10", 502, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				io.WriteString(w, `{"error":{"code":"TooManyRequests","message":"x"}}`)
			}))
			defer g.Close()
			h, obs := newHandler(t, &fakeOBO{tok: &obo.Token{AccessToken: "graph-token"}}, g, func(c *Config) {
				c.RetryAfter = 9 * time.Second
				c.Now = func() time.Time { return now }
			})
			rec := do(h, "GET", "/graph/me", userToken)
			if rec.Code != tc.want || rec.Header().Get("Retry-After") != tc.wantRA {
				t.Fatalf("%d Retry-After %q: %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
			}
			var p struct {
				Error  string
				Status int
				Detail string
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Header().Get("Content-Type") != "application/problem+json" ||
				p.Status != tc.want || rec.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("problem %v %s", err, rec.Body)
			}
			wantCode := "temporarily_unavailable"
			if tc.want == 502 {
				wantCode = "downstream_error"
			}
			if p.Error != wantCode || !strings.Contains(p.Detail, fmt.Sprintf("%d %s (TooManyRequests)", tc.status, http.StatusText(tc.status))) {
				t.Fatalf("problem %+v", p)
			}
			if got := obs.reqs[len(obs.reqs)-1]; got != fmt.Sprintf("/graph/me %d", tc.want) {
				t.Fatal(got)
			}
		})
	}
}

// TestGraphRedirect: a Graph 3xx (with a Doer that does not follow
// redirects, as the server wires it) is a 502 naming the redirect.
func TestGraphRedirect(t *testing.T) {
	for _, status := range []int{301, 302, 303, 307, 308} {
		g := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", status)
		}))
		client := g.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		h, _ := newHandler(t, &fakeOBO{tok: &obo.Token{AccessToken: "graph-token"}}, g, func(c *Config) { c.Graph = client })
		rec := do(h, "GET", "/graph/me", userToken)
		g.Close()
		if rec.Code != 502 || rec.Header().Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(rec.Body.String(), `"error":"downstream_error"`) ||
			!strings.Contains(rec.Body.String(), fmt.Sprintf("answered %d %s (a redirect)", status, http.StatusText(status))) ||
			!strings.Contains(rec.Body.String(), "does not follow redirects") {
			t.Fatalf("%d: %d %s", status, rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "127.0.0.1:1") {
			t.Fatal("redirect target echoed")
		}
	}
}

// TestMisconfiguredLogs: a gateway misconfiguration is logged for the
// operator at error level, without the user's token.
func TestMisconfiguredLogs(t *testing.T) {
	var buf bytes.Buffer
	g := graphServer(t, 200, "{}")
	h, _ := newHandler(t, &fakeOBO{err: &obo.TokenError{StatusCode: 401, Code: "invalid_client", ErrorCodes: []int{7000215}, TraceID: "tr-1"}}, g,
		func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(&buf, nil)) })
	if rec := do(h, "GET", "/graph/me", userToken); rec.Code != 502 {
		t.Fatal(rec.Code)
	}
	line := buf.String()
	if !strings.Contains(line, `"level":"ERROR"`) || !strings.Contains(line, "operator action needed") ||
		!strings.Contains(line, `"trace_id":"tr-1"`) || !strings.Contains(line, "7000215") {
		t.Fatalf("log: %s", line)
	}
	if strings.Contains(line, userToken) {
		t.Fatal("token logged")
	}
}

func FuzzGraphErrorCode(f *testing.F) {
	for _, s := range []string{`{"error":{"code":"InvalidAuthenticationToken","message":"x"}}`, `{"error":{"code":"a\"b"}}`, `[]`, `{"error":"x"}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := graphErrorCode(data)
		if s == "" {
			return
		}
		if len(s) > 67 || !strings.HasPrefix(s, " (") || !strings.HasSuffix(s, ")") || strings.ContainsAny(s[2:len(s)-1], "\"\\ ()\r\n") {
			t.Fatalf("unsafe code %q", s)
		}
	})
}

func TestRoutes(t *testing.T) {
	g := graphServer(t, 200, "{}")
	ready := ReadyStatus{}
	h, obs := newHandler(t, &fakeOBO{}, g, func(c *Config) { c.Ready = func() ReadyStatus { return ready } })
	tests := []struct {
		method, path, token string
		status              int
		contains            string
	}{
		{"GET", "/me", userToken, 200, `"oid":"o1"`},
		{"GET", "/me", "", 401, ""},
		{"GET", "/me", "other", 401, "audience_mismatch"},
		{"POST", "/me", userToken, 405, "method_not_allowed"},
		{"DELETE", "/graph/me", userToken, 405, ""},
		{"GET", "/nope", "", 404, "not_found"},
		{"GET", "/graph/me", appToken, 403, "delegated_token_required"},
		{"GET", "/me", appToken, 200, "Data.Read.All"},
		{"GET", "/healthz", "", 200, `"ok"`},
		{"GET", "/readyz", "", 503, `"starting"`},
	}
	for _, tc := range tests {
		rec := do(h, tc.method, tc.path, tc.token)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.contains) {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, rec.Code, rec.Body)
		}
		if tc.status == 405 && rec.Header().Get("Allow") != "GET, HEAD" {
			t.Error("no Allow header")
		}
	}
	if rec := do(h, "GET", "/readyz", ""); rec.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After while starting")
	}
	ready = ReadyStatus{Ready: true, Keys: 2, KeySetAge: time.Minute}
	if rec := do(h, "GET", "/readyz", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status":"ready"`) {
		t.Error(rec.Body)
	}
	ready = ReadyStatus{Ready: true, Degraded: true, Keys: 2, KeySetAge: 2 * time.Hour}
	if rec := do(h, "GET", "/readyz", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"keySetAgeSeconds":7200`) || !strings.Contains(rec.Body.String(), "degraded") {
		t.Error(rec.Body)
	}
	if obs.reqs[5] != "other 404" || obs.reqs[3] != "/me 405" || obs.reqs[6] != "/graph/me 403" {
		t.Error(obs.reqs)
	}
}

func TestNewErrors(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no validator": {},
		"no graph":     {Validator: fakeValidator{}, OBO: &fakeOBO{}, GraphScopes: []string{"x"}},
		"no scopes":    {Validator: fakeValidator{}, OBO: &fakeOBO{}, Graph: http.DefaultClient},
		"bad url":      {Validator: fakeValidator{}, OBO: &fakeOBO{}, Graph: http.DefaultClient, GraphScopes: []string{"x"}, GraphBaseURL: "ftp://x"},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	h, err := New(Config{Validator: fakeValidator{}})
	if err != nil {
		t.Fatal(err)
	}
	if rec := do(h, "GET", "/graph/me", userToken); rec.Code != 404 {
		t.Fatal("graph route without OBO", rec.Code)
	}
}
