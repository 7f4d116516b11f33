package emulator

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestGraphFault(t *testing.T) {
	env := newEnv(t, Config{})
	tok, err := env.e.IssueToken(TokenOptions{User: DemoUser, Scope: "User.Read"})
	if err != nil {
		t.Fatal(err)
	}
	postCtl(t, env, "/_emulator/graph-fault", `{"count":1,"status":429,"retry_after_seconds":3}`, 200)
	req, _ := http.NewRequest(http.MethodGet, env.srv.URL+"/v1.0/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if st, _ := getJSON(t, env.srv.URL+"/v1.0/me", map[string]string{"Authorization": "Bearer " + tok}); st != 200 {
		t.Fatalf("after fault: %d", st)
	}
	env.e.SetGraphFault(GraphFault{Count: 1})
	if st, body := getJSON(t, env.srv.URL+"/v1.0/me", map[string]string{"Authorization": "Bearer " + tok}); st != 503 ||
		body["error"].(map[string]any)["code"] != "serviceNotAvailable" {
		t.Fatalf("%d %v", st, body)
	}
	postCtl(t, env, "/_emulator/graph-fault", `{"status":200}`, 400)
	if env.e.GraphRequests(0) != 3 || env.e.GraphRequests(429) != 1 || env.e.GraphRequests(200) != 1 {
		t.Fatalf("graph counts %v %v %v", env.e.GraphRequests(0), env.e.GraphRequests(429), env.e.GraphRequests(200))
	}
}

func TestTokenDelayHonoursClientCancel(t *testing.T) {
	env := newEnv(t, Config{})
	postCtl(t, env, "/_emulator/delay", `{"token_ms":30000}`, 200)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, env.srv.URL+"/"+DemoTenantID+"/oauth2/v2.0/token", nil)
	start := time.Now()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("delayed request answered")
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("delay ignored the client's deadline")
	}
	env.e.SetDelay(0, 0)
	env.userToken(t, DemoUser)
	postCtl(t, env, "/_emulator/delay", `{"token_ms":-1}`, 400)
}
