package obo

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readShared reads a file of ../shared/testdata (relative to the repo root);
// a missing file fails the test.
func readShared(t *testing.T, parts ...string) []byte {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "shared", "testdata"}, parts...)...)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("shared test data: %v", err)
	}
	return b
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestParseAnswerRealFiles(t *testing.T) {
	ok := readShared(t, "entra", "token-endpoint", "obo-success.entra-docs.json")
	a, err := ParseAnswer(200, nil, ok, false, t0)
	if err != nil {
		t.Fatal(err)
	}
	if a.AccessToken != "REMOVED-contained-personal-data" || a.TokenType != "Bearer" ||
		a.Scope != "https://graph.microsoft.com/user.read" || a.Lifetime != 3269*time.Second ||
		!a.ExpiresAt.Equal(t0.Add(3269*time.Second)) || a.ExtLifetime != 0 {
		t.Fatalf("%+v", a)
	}
	cc := readShared(t, "entra", "token-endpoint", "client-credentials-success.azure-sdk-js-recording-2021-06-18.json")
	if a, err := ParseAnswer(200, nil, cc, false, t0); err != nil || a.Lifetime != 86399*time.Second || a.ExtLifetime != 86399*time.Second {
		t.Fatalf("%v %+v", err, a)
	}
	bad := readShared(t, "entra", "token-endpoint", "error-invalid_client-AADSTS7000215.azure-arc-troubleshooting.json")
	_, err = ParseAnswer(401, http.Header{}, bad, false, t0)
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_client" || te.ErrorCodes[0] != 7000215 ||
		te.Kind() != KindMisconfigured || te.CorrelationID != "4cfc9c81-660f-4a1a-ba0b-87db205c5461" ||
		!strings.HasPrefix(te.Description, "AADSTS7000215") {
		t.Fatalf("%v %+v", err, te)
	}
	ch := readShared(t, "entra", "token-endpoint", "obo-error-interaction_required-AADSTS50079-claims.entra-docs.json")
	_, err = ParseAnswer(400, http.Header{}, ch, false, t0)
	if !errors.As(err, &te) || te.Kind() != KindClaimsChallenge ||
		te.Claims != `{"access_token":{"polids":{"essential":true,"values":["9ab03e19-ed42-4168-b6b7-7001fb3e933a"]}}}` {
		t.Fatalf("%+v", te)
	}
}

func TestParseAnswerTable(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		life    time.Duration
		wantErr error
	}{
		{"number", `{"access_token":"a.b.c","expires_in":3600}`, time.Hour, nil},
		{"string", `{"access_token":"a.b.c","token_type":"bearer","expires_in":"3599"}`, 3599 * time.Second, nil},
		{"no expiry", `{"access_token":"a.b.c"}`, 0, ErrMalformedResponse},
		{"zero expiry", `{"access_token":"a.b.c","expires_in":0}`, 0, ErrMalformedResponse},
		{"negative", `{"access_token":"a.b.c","expires_in":-5}`, 0, ErrMalformedResponse},
		{"fraction", `{"access_token":"a.b.c","expires_in":1.5}`, 0, ErrMalformedResponse},
		{"huge", `{"access_token":"a.b.c","expires_in":99999999999}`, 0, ErrMalformedResponse},
		{"pop", `{"access_token":"a.b.c","token_type":"pop","expires_in":60}`, 0, ErrMalformedResponse},
		{"no token", `{"expires_in":60}`, 0, ErrMalformedResponse},
		{"bad token chars", `{"access_token":"a b","expires_in":60}`, 0, ErrMalformedResponse},
		{"not json", `<html>`, 0, ErrMalformedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAnswer(200, nil, []byte(tt.body), false, t0)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err != nil || a.Lifetime != tt.life {
				t.Fatalf("%v %+v", err, a)
			}
		})
	}
	if _, err := ParseAnswer(200, nil, []byte(`{}`), true, t0); !errors.Is(err, ErrMalformedResponse) {
		t.Fatal("truncated 200 accepted")
	}
}

func TestParseErrorCaps(t *testing.T) {
	long := strings.Repeat("é", 5000)
	body := `{"error":"` + strings.Repeat("e", 100) + `","error_description":"` + long + `\u0000x","claims":"` +
		strings.Repeat("{", 9000) + `","trace_id":"<script>","error_codes":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,"x"]}`
	_, err := ParseAnswer(400, http.Header{}, []byte(body), false, t0)
	var te *TokenError
	if !errors.As(err, &te) {
		t.Fatal(err)
	}
	if te.Code != "" || len(te.Description) > maxDescriptionLen || te.Claims != "" || te.TraceID != "" || len(te.ErrorCodes) != maxErrorCodes {
		t.Fatalf("code %q desc %d claims %d trace %q codes %d", te.Code, len(te.Description), len(te.Claims), te.TraceID, len(te.ErrorCodes))
	}
	if _, err := ParseAnswer(400, http.Header{}, []byte("x"), true, t0); !errors.As(err, &te) || te.Description != "answer too large" {
		t.Fatal(err)
	}
}

func TestRetryAfterParse(t *testing.T) {
	tests := []struct {
		v    string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"-3", 0}, {"7", 7 * time.Second}, {"100000", MaxRetryAfter},
		{t0.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{t0.Add(-time.Hour).Format(http.TimeFormat), 0}, {"soon", 0},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.v, t0); got != tt.want {
			t.Errorf("%q: %v want %v", tt.v, got, tt.want)
		}
	}
	_, err := ParseAnswer(503, http.Header{"Retry-After": {"12"}}, nil, false, t0)
	if KindOf(err) != KindThrottled || RetryAfterOf(err) != 12*time.Second {
		t.Fatal(err)
	}
	_, err = ParseAnswer(400, http.Header{"Retry-After": {"12"}}, []byte(`{"error":"invalid_grant"}`), false, t0)
	if RetryAfterOf(err) != 0 {
		t.Fatal("Retry-After honoured on 400")
	}
}

func TestKinds(t *testing.T) {
	tests := []struct {
		te   TokenError
		want Kind
	}{
		{TokenError{StatusCode: 400, Code: "interaction_required", Claims: `{}`}, KindClaimsChallenge},
		{TokenError{StatusCode: 400, Code: "invalid_grant", ErrorCodes: []int{50076}}, KindClaimsChallenge},
		{TokenError{StatusCode: 400, Code: "invalid_grant", ErrorCodes: []int{65001}}, KindInteractionRequired},
		{TokenError{StatusCode: 400, Code: "interaction_required"}, KindInteractionRequired},
		{TokenError{StatusCode: 400, Code: "invalid_grant", ErrorCodes: []int{500133}}, KindInvalidAssertion},
		{TokenError{StatusCode: 400, Code: "invalid_grant", ErrorCodes: []int{50013}}, KindInvalidAssertion},
		{TokenError{StatusCode: 400, Code: "invalid_grant"}, KindInvalidAssertion},
		{TokenError{StatusCode: 401, Code: "invalid_client", ErrorCodes: []int{7000222}}, KindMisconfigured},
		{TokenError{StatusCode: 400, Code: "unauthorized_client", ErrorCodes: []int{700016}}, KindMisconfigured},
		{TokenError{StatusCode: 400, Code: "invalid_scope", ErrorCodes: []int{70011}}, KindMisconfigured},
		{TokenError{StatusCode: 429}, KindThrottled},
		{TokenError{StatusCode: 503, RetryAfter: time.Second}, KindThrottled},
		{TokenError{StatusCode: 502}, KindUnavailable},
		{TokenError{StatusCode: 418, Code: "teapot"}, KindUnknown},
	}
	for _, tt := range tests {
		if got := tt.te.Kind(); got != tt.want {
			t.Errorf("%+v: %v want %v", tt.te, got, tt.want)
		}
	}
}
