package emulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMFAFlowEndToEnd(t *testing.T) {
	env := newEnv(t, Config{})
	postCtl(t, env, "/_emulator/users/alice/mfa", `{"required":true}`, 200)
	plain := env.userToken(t, DemoUser)
	// 1. OBO refused with a claims challenge.
	r := env.post(t, DemoTenantID, oboForm(plain, "https://graph.microsoft.com/User.Read"))
	checkAADError(t, r, 400, "interaction_required", 50079)
	var challenge struct {
		AccessToken struct {
			Capolids struct {
				Essential bool     `json:"essential"`
				Values    []string `json:"values"`
			} `json:"capolids"`
		} `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(r.str("claims")), &challenge); err != nil || !challenge.AccessToken.Capolids.Essential ||
		!slices.Equal(challenge.AccessToken.Capolids.Values, []string{DemoMFAPolicyID}) {
		t.Fatalf("claims challenge %q", r.str("claims"))
	}
	// Shape as Entra's documented OBO error.
	var real map[string]any
	mustUnmarshal(t, readShared(t, "entra", "token-endpoint", "obo-error-interaction_required-AADSTS50079-claims.entra-docs.json"), &real)
	for k := range real {
		if _, ok := r.body[k]; !ok {
			t.Errorf("member %s missing", k)
		}
	}
	// 2. The client gets a new user token with the claims challenge.
	f := passwordForm(DemoUser, DemoAPIScope)
	f.Set("claims", r.str("claims"))
	r2 := env.post(t, DemoTenantID, f)
	if r2.status != 200 {
		t.Fatalf("%v", r2.body)
	}
	_, c := decodeJWT(t, r2.str("access_token"))
	amr := c["amr"].([]any)
	if !slices.Contains(amr, any("mfa")) {
		t.Fatalf("amr %v", amr)
	}
	// 3. OBO now succeeds; bob (no MFA required) was never affected.
	if r3 := env.post(t, DemoTenantID, oboForm(r2.str("access_token"), "User.Read")); r3.status != 200 {
		t.Fatalf("%v", r3.body)
	}
	if r4 := env.post(t, DemoTenantID, oboForm(env.userToken(t, DemoUser2), "User.Read")); r4.status != 200 {
		t.Fatalf("%v", r4.body)
	}
	if got := env.e.TokenRequests("on_behalf_of", "AADSTS50079"); got != 1 {
		t.Errorf("TokenRequests(obo, 50079) = %v", got)
	}
}

func TestConsentRefused(t *testing.T) {
	env := newEnv(t, Config{})
	alice := env.userToken(t, DemoUser)
	postCtl(t, env, "/_emulator/apps/"+DemoAPIClientID+"/consent", `{"refuse":true}`, 200)
	checkAADError(t, env.post(t, DemoTenantID, oboForm(alice, "User.Read")), 400, "invalid_grant", 65001)
	postCtl(t, env, "/_emulator/apps/"+DemoAPIClientID+"/consent", `{"refuse":false}`, 200)
	if r := env.post(t, DemoTenantID, oboForm(alice, "User.Read")); r.status != 200 {
		t.Fatalf("%v", r.body)
	}
	postCtl(t, env, "/_emulator/apps/nope/consent", `{"refuse":true}`, 404)
	postCtl(t, env, "/_emulator/users/nobody/mfa", `{"required":true}`, 404)
	postCtl(t, env, "/_emulator/users/alice/mfa", `{"bogus":1}`, 400)
}

func TestThrottleCountAndWindow(t *testing.T) {
	env := newEnv(t, Config{})
	postCtl(t, env, "/_emulator/throttle", `{"count":2,"retry_after_seconds":7,"grant_type":"password"}`, 200)
	for i := 0; i < 2; i++ {
		r := env.post(t, DemoTenantID, passwordForm(DemoUser, DemoAPIScope))
		checkAADError(t, r, 429, "temporarily_unavailable", 90055)
		if r.header.Get("Retry-After") != "7" {
			t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
		}
	}
	env.userToken(t, DemoUser) // third passes
	env.e.SetThrottle(Throttle{Window: time.Minute})
	checkAADError(t, env.post(t, DemoTenantID, passwordForm(DemoUser, DemoAPIScope)), 429, "temporarily_unavailable", 90055)
	env.advance(61 * time.Second)
	env.userToken(t, DemoUser)
	env.e.SetThrottle(Throttle{Window: time.Minute})
	req, _ := http.NewRequest(http.MethodDelete, env.srv.URL+"/_emulator/throttle", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("delete throttle: %v", err)
	}
	resp.Body.Close()
	env.userToken(t, DemoUser)
	if got := env.e.TokenRequests("password", "temporarily_unavailable"); got != 3 {
		t.Errorf("throttled count %v", got)
	}
}

func TestKeyRotation(t *testing.T) {
	env := newEnv(t, Config{KeyGrace: 10 * time.Minute})
	old := env.e.SigningKeyID()
	oldTok := env.userToken(t, DemoUser)
	var ans controlAnswer
	mustUnmarshal(t, postCtl(t, env, "/_emulator/rotate-keys", "", 200), &ans)
	if ans.Kid == old || !slices.Equal(ans.Kids, []string{ans.Kid, old}) {
		t.Fatalf("after rotate: %+v (old %s)", ans, old)
	}
	_, set := getJSON(t, env.srv.URL+"/common/discovery/v2.0/keys", nil)
	if n := len(set["keys"].([]any)); n != 2 {
		t.Fatalf("published %d keys", n)
	}
	newTok := env.userToken(t, DemoUser)
	if h, _ := decodeJWT(t, newTok); h["kid"] != ans.Kid {
		t.Fatalf("new token kid %v", h["kid"])
	}
	// Old tokens still work during the grace period...
	if r := env.post(t, DemoTenantID, oboForm(oldTok, "User.Read")); r.status != 200 {
		t.Fatalf("grace: %v", r.body)
	}
	// ...and the old key leaves the set afterwards.
	env.advance(11 * time.Minute)
	_, set = getJSON(t, env.srv.URL+"/"+DemoTenantID+"/discovery/keys", nil)
	if n := len(set["keys"].([]any)); n != 1 {
		t.Fatalf("after grace: %d keys", n)
	}
	mustUnmarshal(t, postCtl(t, env, "/_emulator/rotate-keys?retire=now", "", 200), &ans)
	if len(ans.Kids) != 1 {
		t.Fatalf("retire=now left %v", ans.Kids)
	}
	if got := testCounter(t, env.e, "entra_emulator_key_rotations_total"); got != 2 {
		t.Fatalf("rotations metric %v", got)
	}
}

func TestRefreshTokenGrant(t *testing.T) {
	env := newEnv(t, Config{})
	r := env.post(t, DemoTenantID, passwordForm(DemoUser, DemoAPIScope+" offline_access"))
	rt := r.str("refresh_token")
	f := url.Values{"grant_type": {"refresh_token"}, "client_id": {DemoClientAppID}, "refresh_token": {rt}}
	r2 := env.post(t, DemoTenantID, f)
	if r2.status != 200 || r2.str("access_token") == "" || r2.str("refresh_token") == "" {
		t.Fatalf("%v", r2.body)
	}
	f.Set("scope", DemoShortLivedAppIDURI+"/"+DemoScope)
	if r3 := env.post(t, DemoTenantID, f); r3.status != 200 || r3.body["expires_in"].(float64) != 90 {
		t.Fatalf("%v", r3.body)
	}
	f2 := url.Values{"grant_type": {"refresh_token"}, "client_id": {DemoAPIClientID}, "client_secret": {DemoAPIClientSecret}, "refresh_token": {rt}}
	checkAADError(t, env.post(t, DemoTenantID, f2), 400, "invalid_grant", 70000)
	env.advance(91 * 24 * time.Hour)
	f.Del("scope")
	checkAADError(t, env.post(t, DemoTenantID, f), 400, "invalid_grant", 700082)
}

func TestClientAssertion(t *testing.T) {
	env := newEnv(t, Config{})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.e.AddClientKey(DemoAPIClientID, &key.PublicKey); err != nil {
		t.Fatal(err)
	}
	wi, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const k8sIss, k8sSub = "https://oidc.k8s.example/cluster1", "system:serviceaccount:default:gateway"
	if err := env.e.AddFederatedCredential(DemoAPIClientID, FederatedCredential{Issuer: k8sIss, Subject: k8sSub,
		PublicKeys: []*rsa.PublicKey{&wi.PublicKey}}); err != nil {
		t.Fatal(err)
	}
	alice := env.userToken(t, DemoUser)
	mkFrom := func(iss, sub, aud string, exp time.Time, k *rsa.PrivateKey) string {
		h := b64.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
		p, _ := json.Marshal(map[string]any{"iss": iss, "sub": sub, "aud": aud,
			"exp": exp.Unix(), "nbf": time.Now().Add(-time.Minute).Unix(), "jti": newGUID()})
		in := h + "." + b64.EncodeToString(p)
		sum := sha256.Sum256([]byte(in))
		sig, _ := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
		return in + "." + b64.EncodeToString(sig)
	}
	mk := func(aud string, exp time.Time, k *rsa.PrivateKey) string {
		return mkFrom(DemoAPIClientID, DemoAPIClientID, aud, exp, k)
	}
	soon := time.Now().Add(5 * time.Minute)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	tokenURL := env.srv.URL + "/" + DemoTenantID + "/oauth2/v2.0/token"
	tests := []struct {
		name      string
		assertion string
		aadsts    int
	}{
		{"ok", mk(tokenURL, time.Now().Add(5*time.Minute), key), 0},
		{"wrong key", mk(tokenURL, time.Now().Add(5*time.Minute), other), 700027},
		{"wrong aud", mk("https://elsewhere/token", time.Now().Add(5*time.Minute), key), 700021},
		{"expired", mk(tokenURL, time.Now().Add(-5*time.Minute), key), 700024},
		{"federated ok", mkFrom(k8sIss, k8sSub, DefaultFederatedAudience, soon, wi), 0},
		{"federated unknown subject", mkFrom(k8sIss, "system:serviceaccount:x:y", DefaultFederatedAudience, soon, wi), 70021},
		{"federated wrong key", mkFrom(k8sIss, k8sSub, DefaultFederatedAudience, soon, key), 700027},
		{"federated wrong aud", mkFrom(k8sIss, k8sSub, tokenURL, soon, wi), 700021},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := oboForm(alice, "User.Read")
			f.Del("client_secret")
			f.Set("client_assertion_type", clientAssertionType)
			f.Set("client_assertion", tc.assertion)
			r := env.post(t, DemoTenantID, f)
			if tc.aadsts == 0 {
				if r.status != 200 {
					t.Fatalf("%v", r.body)
				}
				if _, c := decodeJWT(t, r.str("access_token")); c["appidacr"] != "2" {
					t.Fatalf("appidacr %v", c["appidacr"])
				}
				return
			}
			checkAADError(t, r, 401, "invalid_client", tc.aadsts)
		})
	}
}

func TestMetricsEndpointAndCounts(t *testing.T) {
	env := newEnv(t, Config{})
	env.userToken(t, DemoUser)
	env.userToken(t, DemoUser2)
	env.post(t, DemoTenantID, oboForm("x.y.z", "User.Read"))
	if got := env.e.TokenRequests("password", "ok"); got != 2 {
		t.Errorf("password ok %v", got)
	}
	if got := env.e.TokenRequests(grantJWTBearer, "invalid_grant"); got != 1 {
		t.Errorf("obo invalid_grant %v", got)
	}
	if got := env.e.TokenRequests("", ""); got != 3 {
		t.Errorf("all %v", got)
	}
	resp, err := http.Get(env.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`entra_emulator_token_requests_total{aadsts="",grant_type="password",result="ok"} 2`,
		`entra_emulator_token_requests_total{aadsts="50013",grant_type="on_behalf_of",result="invalid_grant"} 1`,
		`entra_emulator_published_keys 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	getJSON(t, env.srv.URL+"/v1.0/me", nil)
	if got := testCounter(t, env.e, "entra_emulator_graph_requests_total"); got != 1 {
		t.Errorf("graph metric %v", got)
	}
}

func TestStateHidesSecrets(t *testing.T) {
	env := newEnv(t, Config{})
	resp, err := http.Get(env.srv.URL + "/_emulator/state")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), DemoAPIClientID) ||
		strings.Contains(string(b), DemoPassword) || strings.Contains(string(b), DemoAPIClientSecret) {
		t.Fatalf("state %d %s", resp.StatusCode, b)
	}
}

func postCtl(t *testing.T, env *testEnv, path, body string, want int) []byte {
	t.Helper()
	resp, err := http.Post(env.srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
	}
	return b
}

func testCounter(t *testing.T, e *Emulator, name string) float64 {
	t.Helper()
	mfs, err := e.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}
