package e2e

import (
	"encoding/base64"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entragate/entragate/emulator"
)

func TestGraphMe(t *testing.T) {
	e := newEnv(t, envOpts{})
	a := e.get(t, "/graph/me", e.token(t, emulator.DemoUser, "", ""))
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	m := a.json(t)
	claims, _ := m["claims"].(map[string]any)
	graph, _ := m["graphResponse"].(map[string]any)
	if claims["oid"] != emulator.DemoAliceObjectID || claims["tid"] != emulator.DemoTenantID || claims["scp"] != emulator.DemoScope {
		t.Fatalf("claims %v", claims)
	}
	if graph["id"] != emulator.DemoAliceObjectID || graph["displayName"] != "Alice Example" ||
		graph["userPrincipalName"] != "alice@"+emulator.DemoTenantDomain {
		t.Fatalf("graph %v", graph)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Fatal(ct)
	}
	// bob gets his own profile (no cross-user cache hit)
	b := e.get(t, "/graph/me", e.token(t, emulator.DemoUser2, "", "")).json(t)
	if b["graphResponse"].(map[string]any)["displayName"] != "Bob Example" {
		t.Fatalf("bob: %v", b)
	}
}

func TestNoToken(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, path := range []string{"/graph/me", "/me"} {
		a := e.get(t, path, "")
		if a.status != 401 || a.header.Get("WWW-Authenticate") != "Bearer" || a.header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s: %d %v %s", path, a.status, a.header, a.body)
		}
	}
	if e.oboOK() != 0 {
		t.Fatal("OBO without a token")
	}
}

func TestOtherAudience(t *testing.T) {
	e := newEnv(t, envOpts{})
	other := e.token(t, emulator.DemoUser, emulator.DemoShortLivedAppIDURI+"/"+emulator.DemoScope, "")
	a := e.get(t, "/graph/me", other)
	www := a.header.Get("WWW-Authenticate")
	if a.status != 401 || !strings.HasPrefix(www, `Bearer error="invalid_token", error_description="audience_mismatch: `) {
		t.Fatalf("%d %q %s", a.status, www, a.body)
	}
	if strings.Contains(www, other[:20]) || strings.Contains(string(a.body), other[:20]) {
		t.Fatal("token echoed")
	}
	if a.json(t)["error"] != "invalid_token" {
		t.Fatal(string(a.body))
	}
}

func TestConcurrentSingleOBO(t *testing.T) {
	e := newEnv(t, envOpts{})
	tok := e.token(t, emulator.DemoUser, "", "")
	const n = 200
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			statuses[i] = e.get(t, "/graph/me", tok).status
		}(i)
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Fatalf("request %d: %d", i, s)
		}
	}
	if got := e.emuMetric(t, "entra_emulator_token_requests_total", map[string]string{"grant_type": "on_behalf_of"}); got != 1 {
		t.Fatalf("emulator saw %v OBO requests, want exactly 1", got)
	}
}

func TestMFAClaimsChallenge(t *testing.T) {
	e := newEnv(t, envOpts{})
	if err := e.emu.SetRequireMFA(emulator.DemoUser, true); err != nil {
		t.Fatal(err)
	}
	a := e.get(t, "/graph/me", e.token(t, emulator.DemoUser, "", ""))
	www := a.header.Get("WWW-Authenticate")
	m := regexp.MustCompile(`^Bearer realm="", error="insufficient_claims", claims="([A-Za-z0-9+/=]+)"$`).FindStringSubmatch(www)
	if a.status != 401 || m == nil {
		t.Fatalf("%d %q %s", a.status, www, a.body)
	}
	claims, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil || !strings.Contains(string(claims), "access_token") {
		t.Fatalf("claims %q %v", claims, err)
	}
	// The client steps up with the claims and retries.
	a = e.get(t, "/graph/me", e.token(t, emulator.DemoUser, "", string(claims)))
	if a.status != 200 {
		t.Fatalf("after MFA: %d %s", a.status, a.body)
	}
	if amr := a.json(t)["claims"].(map[string]any)["amr"]; !strings.Contains(strings.Join(toStrings(amr), " "), "mfa") {
		t.Fatalf("amr %v", amr)
	}
}

func toStrings(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func TestThrottled(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.emu.SetThrottle(emulator.Throttle{Count: 1, RetryAfter: 7 * time.Second, GrantType: "on_behalf_of"})
	a := e.get(t, "/graph/me", e.token(t, emulator.DemoUser, "", ""))
	if a.status != 503 || a.header.Get("Retry-After") != "7" || a.json(t)["error"] != "temporarily_unavailable" {
		t.Fatalf("%d %q %s", a.status, a.header.Get("Retry-After"), a.body)
	}
}

func TestMetricsAndProbes(t *testing.T) {
	e := newEnv(t, envOpts{})
	if a := e.get(t, "/healthz", ""); a.status != 200 {
		t.Fatal(a.status)
	}
	e.get(t, "/graph/me", e.token(t, emulator.DemoUser, "", ""))
	e.get(t, "/graph/me", "")
	if a := e.get(t, "/readyz", ""); a.status != 200 || a.json(t)["status"] != "ready" {
		t.Fatalf("%d %s", a.status, a.body)
	}
	body := string(e.get(t, "/metrics", "").body)
	for _, want := range []string{
		`entragate_http_requests_total{code="200",route="/graph/me"} 1`,
		`entragate_http_requests_total{code="401",route="/graph/me"} 1`,
		`entragate_token_refusals_total{reason="no_token"} 1`,
		`entragate_obo_token_requests_total{result="success"} 1`,
		`entragate_key_fetches_total{result="ok",what="keys"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if a := e.get(t, "/graph/me?x=1", ""); a.status != 401 {
		t.Fatal(a.status)
	}
}
