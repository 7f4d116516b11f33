package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPasswordGrantV2Claims(t *testing.T) {
	env := newEnv(t, Config{})
	r := env.post(t, DemoTenantID, passwordForm(DemoUser, DemoAPIScope+" offline_access"))
	if r.status != 200 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if r.str("token_type") != "Bearer" || r.body["expires_in"].(float64) != 3600 || r.str("refresh_token") == "" ||
		r.str("scope") != DemoAPIScope+" offline_access" {
		t.Fatalf("answer %v", r.body)
	}
	hdr, c := decodeJWT(t, r.str("access_token"))
	if hdr["typ"] != "JWT" || hdr["alg"] != "RS256" || hdr["kid"] != env.e.SigningKeyID() || hdr["x5t"] != hdr["kid"] {
		t.Fatalf("header %v", hdr)
	}
	if _, has := hdr["nonce"]; has {
		t.Fatal("API tokens must not carry a nonce")
	}
	want := map[string]any{
		"aud": DemoAPIClientID, "iss": env.srv.URL + "/" + DemoTenantID + "/v2.0", "ver": "2.0",
		"azp": DemoClientAppID, "azpacr": "0", "tid": DemoTenantID, "oid": DemoAliceObjectID,
		"scp": DemoScope, "name": "Alice Example", "preferred_username": "alice@" + DemoTenantDomain,
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("claim %s = %v, want %v", k, c[k], v)
		}
	}
	for _, k := range []string{"iat", "nbf", "exp", "sub", "uti", "rh", "aio", "amr"} {
		if _, ok := c[k]; !ok {
			t.Errorf("claim %s missing", k)
		}
	}
	if c["exp"].(float64)-c["iat"].(float64) != 3600 {
		t.Errorf("lifetime %v", c["exp"].(float64)-c["iat"].(float64))
	}
	// sub is stable per user+app, different per user.
	_, c2 := decodeJWT(t, env.userToken(t, DemoUser))
	_, c3 := decodeJWT(t, env.userToken(t, DemoUser2))
	if c2["sub"] != c["sub"] || c3["sub"] == c["sub"] || c2["uti"] == c["uti"] {
		t.Errorf("sub/uti stability wrong")
	}
}

func TestPasswordGrantIDToken(t *testing.T) {
	env := newEnv(t, Config{})
	r := env.post(t, DemoTenantID, passwordForm(DemoUser, "openid profile email "+DemoAPIScope))
	if r.status != 200 || r.str("scope") != DemoAPIScope+" openid profile email" {
		t.Fatalf("%v", r.body)
	}
	_, c := decodeJWT(t, r.str("id_token"))
	if c["aud"] != DemoClientAppID || c["preferred_username"] != "alice@"+DemoTenantDomain || c["email"] != "alice@"+DemoTenantDomain {
		t.Fatalf("id_token %v", c)
	}
	if r := env.post(t, DemoTenantID, passwordForm(DemoUser, DemoAPIScope)); r.str("id_token") != "" {
		t.Fatal("id_token without openid")
	}
}

func TestPasswordGrantV1AndShortLived(t *testing.T) {
	env := newEnv(t, Config{})
	r := env.post(t, "organizations", passwordForm("bob@"+DemoTenantDomain, DemoV1APIAppIDURI+"/"+DemoScope))
	if r.status != 200 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	_, c := decodeJWT(t, r.str("access_token"))
	want := map[string]any{
		"aud": DemoV1APIAppIDURI, "iss": env.srv.URL + "/" + DemoTenantID + "/", "ver": "1.0",
		"appid": DemoClientAppID, "appidacr": "0", "upn": "bob@" + DemoTenantDomain,
		"unique_name": "bob@" + DemoTenantDomain, "name": "Bob Example", "oid": DemoBobObjectID,
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("claim %s = %v, want %v", k, c[k], v)
		}
	}
	r = env.post(t, DemoTenantID, passwordForm(DemoUser, DemoShortLivedAppIDURI+"/"+DemoScope))
	if r.status != 200 || r.body["expires_in"].(float64) != 90 {
		t.Fatalf("shortlived: %v", r.body)
	}
}

func TestClientCredentials(t *testing.T) {
	env := newEnv(t, Config{})
	f := url.Values{"grant_type": {"client_credentials"}, "client_id": {DemoDaemonClientID},
		"client_secret": {DemoDaemonClientSecret}, "scope": {DemoAPIAppIDURI + "/.default"}}
	r := env.post(t, DemoTenantID, f)
	if r.status != 200 || r.str("refresh_token") != "" {
		t.Fatalf("%d %v", r.status, r.body)
	}
	_, c := decodeJWT(t, r.str("access_token"))
	if c["aud"] != DemoAPIClientID || c["azpacr"] != "1" || c["idtyp"] != "app" || c["scp"] != nil {
		t.Fatalf("claims %v", c)
	}
	if roles, _ := c["roles"].([]any); len(roles) != 1 || roles[0] != DemoAPIRole {
		t.Fatalf("roles %v", c["roles"])
	}
	if c["oid"] != c["sub"] {
		t.Fatal("app-only oid must equal sub")
	}
}

func TestOBOToGraphAndGraphMe(t *testing.T) {
	env := newEnv(t, Config{})
	user := env.userToken(t, DemoUser)
	r := env.post(t, DemoTenantID, oboForm(user, "https://graph.microsoft.com/User.Read offline_access"))
	if r.status != 200 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if r.str("scope") != "https://graph.microsoft.com/User.Read offline_access" || r.str("refresh_token") == "" {
		t.Fatalf("answer %v", r.body)
	}
	gt := r.str("access_token")
	hdr, c := decodeJWT(t, gt)
	if hdr["nonce"] == nil || c["aud"] != GraphResource || c["ver"] != "1.0" || c["appid"] != DemoAPIClientID ||
		c["appidacr"] != "1" || c["scp"] != "User.Read" || c["iss"] != env.srv.URL+"/"+DemoTenantID+"/" {
		t.Fatalf("graph token %v %v", hdr, c)
	}
	st, me := getJSON(t, env.srv.URL+"/v1.0/me", map[string]string{"Authorization": "Bearer " + gt})
	if st != 200 {
		t.Fatalf("me: %d %v", st, me)
	}
	// Same members as Graph's documented answer, plus @odata.context.
	var real map[string]any
	mustUnmarshal(t, readShared(t, "entra", "graph", "me.graph-docs-user-get.json"), &real)
	delete(me, "@odata.context")
	if !slices.Equal(sortedKeys(me), sortedKeys(real)) {
		t.Fatalf("members differ: %v vs %v", sortedKeys(me), sortedKeys(real))
	}
	if me["id"] != DemoAliceObjectID || me["displayName"] != "Alice Example" || me["userPrincipalName"] != "alice@"+DemoTenantDomain {
		t.Fatalf("me %v", me)
	}
	// .default and bare scope forms.
	for _, s := range []string{"https://graph.microsoft.com/.default", "User.Read"} {
		if r := env.post(t, DemoTenantID, oboForm(user, s)); r.status != 200 {
			t.Errorf("scope %q: %v", s, r.body)
		}
	}
}

func TestGraphMeRejects(t *testing.T) {
	env := newEnv(t, Config{})
	api := env.userToken(t, DemoUser)
	graph := env.post(t, DemoTenantID, oboForm(api, "User.Read")).str("access_token")
	noNonce := strings.Replace(graph, strings.Split(graph, ".")[0], strings.Split(api, ".")[0], 1)
	cc := env.post(t, DemoTenantID, url.Values{"grant_type": {"client_credentials"}, "client_id": {DemoDaemonClientID},
		"client_secret": {DemoDaemonClientSecret}, "scope": {"https://graph.microsoft.com/.default"}}).str("access_token")
	tests := []struct {
		name, authz string
		status      int
		code        string
	}{
		{"none", "", 401, "InvalidAuthenticationToken"},
		{"garbage", "Bearer abc", 401, "InvalidAuthenticationToken"},
		{"api token (wrong aud)", "Bearer " + api, 401, "InvalidAuthenticationToken"},
		{"nonce stripped", "Bearer " + noNonce, 401, "InvalidAuthenticationToken"},
		{"app-only", "Bearer " + cc, 400, "BadRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, body := getJSON(t, env.srv.URL+"/v1.0/me", map[string]string{"Authorization": tc.authz})
			errObj, _ := body["error"].(map[string]any)
			if st != tc.status || errObj["code"] != tc.code || errObj["innerError"] == nil || errObj["message"] == "" {
				t.Fatalf("got %d %v", st, body)
			}
		})
	}
	env.advance(61 * time.Minute)
	st, body := getJSON(t, env.srv.URL+"/v1.0/me", map[string]string{"Authorization": "Bearer " + graph})
	if st != 401 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "expired") {
		t.Fatalf("expired: %d %v", st, body)
	}
}

var descRE = regexp.MustCompile(`^AADSTS(\d+): .+\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`)

// checkAADError asserts Entra's exact error shape and code.
func checkAADError(t *testing.T, r tokenResp, status int, code string, aadsts int) {
	t.Helper()
	if r.status != status || r.str("error") != code {
		t.Fatalf("got %d %s, want %d %s: %v", r.status, r.str("error"), status, code, r.body)
	}
	m := descRE.FindStringSubmatch(r.str("error_description"))
	if m == nil || m[1] != itoa(aadsts) {
		t.Fatalf("error_description %q, want AADSTS%d", r.str("error_description"), aadsts)
	}
	codes, _ := r.body["error_codes"].([]any)
	if len(codes) != 1 || codes[0].(float64) != float64(aadsts) {
		t.Fatalf("error_codes %v", r.body["error_codes"])
	}
	for _, k := range []string{"timestamp", "trace_id", "correlation_id", "error_uri"} {
		if r.str(k) == "" {
			t.Fatalf("%s missing", k)
		}
	}
}

func TestV1TokenEndpoint(t *testing.T) {
	env := newEnv(t, Config{})
	post := func(form url.Values) (int, map[string]any) {
		resp, err := http.PostForm(env.srv.URL+"/"+DemoTenantID+"/oauth2/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	st, m := post(url.Values{"grant_type": {"password"}, "client_id": {DemoClientAppID}, "username": {DemoUser},
		"password": {DemoPassword}, "resource": {DemoV1APIAppIDURI}})
	if st != 200 || m["expires_in"] != "3600" || m["resource"] != DemoV1APIAppIDURI || m["scope"] != DemoScope || m["refresh_token"] == nil {
		t.Fatalf("%d %v", st, m)
	}
	_, c := decodeJWT(t, m["access_token"].(string))
	if c["aud"] != DemoV1APIAppIDURI || c["ver"] != "1.0" {
		t.Fatalf("claims %v", c)
	}
	st, m = post(url.Values{"grant_type": {"client_credentials"}, "client_id": {DemoDaemonClientID},
		"client_secret": {DemoDaemonClientSecret}, "resource": {DemoAPIClientID}})
	if st != 200 || m["refresh_token"] != nil {
		t.Fatalf("%d %v", st, m)
	}
	st, m = post(url.Values{"grant_type": {"password"}, "client_id": {DemoClientAppID}, "username": {DemoUser}, "password": {DemoPassword}})
	if st != 400 || m["error"] != "invalid_request" {
		t.Fatalf("%d %v", st, m)
	}
}
