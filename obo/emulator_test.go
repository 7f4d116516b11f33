package obo_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/emulator"
	"github.com/entragate/entragate/obo"
)

// Integration: the OBO client against the Entra ID emulator's token endpoint.
func newEmulator(t *testing.T) (*emulator.Emulator, *httptest.Server) {
	t.Helper()
	e, err := emulator.New(emulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	e.SetBaseURL(srv.URL)
	return e, srv
}

func emuClient(t *testing.T, srv *httptest.Server, cred obo.Credential) *obo.Client {
	t.Helper()
	if cred == nil {
		s, err := obo.NewClientSecret(emulator.DemoAPIClientSecret)
		if err != nil {
			t.Fatal(err)
		}
		cred = s
	}
	c, err := obo.New(obo.Config{Instance: srv.URL + "/", TenantID: emulator.DemoTenantID, ClientID: emulator.DemoAPIClientID,
		Credential: cred, Doer: srv.Client(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func userToken(t *testing.T, e *emulator.Emulator, user string) string {
	t.Helper()
	tok, err := e.IssueToken(emulator.TokenOptions{User: user})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var graph = []string{"https://graph.microsoft.com/User.Read"}

func TestEmulatorOBO(t *testing.T) {
	e, srv := newEmulator(t)
	c := emuClient(t, srv, nil)
	ctx := context.Background()
	alice := userToken(t, e, emulator.DemoUser)
	ta, err := c.Token(ctx, obo.Request{Assertion: alice, Scopes: graph})
	if err != nil {
		t.Fatal(err)
	}
	if ta.TokenType != "Bearer" || strings.Count(ta.AccessToken, ".") != 2 || !ta.ExpiresAt.After(time.Now()) {
		t.Fatalf("%+v", ta)
	}
	ta2, err := c.Token(ctx, obo.Request{Assertion: alice, Scopes: []string{"https://graph.microsoft.com/user.read"}})
	if err != nil || ta2.AccessToken != ta.AccessToken {
		t.Fatal("not cached")
	}
	tb, err := c.Token(ctx, obo.Request{Assertion: userToken(t, e, emulator.DemoUser2), Scopes: graph})
	if err != nil || tb.AccessToken == ta.AccessToken {
		t.Fatal("bob got alice's token")
	}
	if n := e.TokenRequests("on_behalf_of", "ok"); n != 2 {
		t.Fatalf("emulator saw %v successful OBO requests, want 2", n)
	}
}

func TestEmulatorErrors(t *testing.T) {
	e, srv := newEmulator(t)
	ctx := context.Background()
	kind := func(c *obo.Client, user string) (obo.Kind, error) {
		_, err := c.Token(ctx, obo.Request{Assertion: userToken(t, e, user), Scopes: graph})
		return obo.KindOf(err), err
	}
	// MFA required → claims challenge with claims.
	if err := e.SetRequireMFA(emulator.DemoUser, true); err != nil {
		t.Fatal(err)
	}
	k, err := kind(emuClient(t, srv, nil), emulator.DemoUser)
	var te *obo.TokenError
	if k != obo.KindClaimsChallenge || !errors.As(err, &te) || te.Claims == "" || te.ErrorCodes[0] != 50079 {
		t.Fatalf("mfa: %v %v", k, err)
	}
	_ = e.SetRequireMFA(emulator.DemoUser, false)
	// Consent refused → interaction required (65001).
	_ = e.SetRefuseConsent(emulator.DemoAPIClientID, true)
	if k, err := kind(emuClient(t, srv, nil), emulator.DemoUser); k != obo.KindInteractionRequired {
		t.Fatalf("consent: %v %v", k, err)
	}
	_ = e.SetRefuseConsent(emulator.DemoAPIClientID, false)
	// Wrong secret → misconfigured.
	bad, _ := obo.NewClientSecret("wrong")
	if k, err := kind(emuClient(t, srv, bad), emulator.DemoUser); k != obo.KindMisconfigured {
		t.Fatalf("bad secret: %v %v", k, err)
	}
	// Throttled → Retry-After honoured locally.
	e.SetThrottle(emulator.Throttle{Count: 1, RetryAfter: 7 * time.Second, GrantType: "on_behalf_of"})
	c := emuClient(t, srv, nil)
	req := obo.Request{Assertion: userToken(t, e, emulator.DemoUser2), Scopes: graph}
	_, err = c.Token(ctx, req)
	if obo.KindOf(err) != obo.KindThrottled || obo.RetryAfterOf(err) != 7*time.Second {
		t.Fatalf("throttle: %v %v", err, obo.RetryAfterOf(err))
	}
	e.ClearThrottle()
	if _, err := c.Token(ctx, req); obo.KindOf(err) != obo.KindThrottled {
		t.Fatalf("Retry-After not honoured: %v", err)
	}
	// Expired or foreign assertion → invalid assertion.
	other, _ := newEmulator(t)
	foreign, _ := other.IssueToken(emulator.TokenOptions{User: emulator.DemoUser})
	if _, err := c.Token(ctx, obo.Request{Assertion: foreign, Scopes: graph}); obo.KindOf(err) != obo.KindInvalidAssertion {
		t.Fatalf("foreign assertion: %v (%v)", obo.KindOf(err), err)
	}
}

func TestEmulatorCertificateCredential(t *testing.T) {
	e, srv := newEmulator(t)
	cert, key := testCert(t)
	if err := e.UpdateApp(emulator.DemoAPIClientID, func(a *emulator.App) {
		a.PublicKeys = append(a.PublicKeys, key.Public().(*rsa.PublicKey))
	}); err != nil {
		t.Fatal(err)
	}
	cred, err := obo.NewCertificateCredential(cert, key, obo.CertificateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := emuClient(t, srv, cred)
	if _, err := c.Token(context.Background(), obo.Request{Assertion: userToken(t, e, emulator.DemoUser), Scopes: graph}); err != nil {
		t.Fatal(err)
	}
}
