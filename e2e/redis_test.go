package e2e

import (
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/entragate/entragate/emulator"
)

// startRedis runs redis-server on a free loopback port for one test. Without
// the binary it skips, unless CI=true (CI installs it).
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not on PATH")
		}
		t.Skip("redis-server not on PATH")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--loglevel", "warning", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "redis://" + addr + "/0"
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("redis-server did not start")
	return ""
}

// TestRedisSharedL2: two gateway instances share the sealed Redis L2; the
// second serves the user's Graph call without a new OBO exchange.
func TestRedisSharedL2(t *testing.T) {
	url := startRedis(t)
	emu, emuSrv := newEmulator(t, time.Now)
	e := &env{emu: emu, emuSrv: emuSrv}
	key := base64.StdEncoding.EncodeToString([]byte("e2e-sealing-key-0123456789abcdef"))
	envs := map[string]string{"E2E_CLIENT_SECRET": emulator.DemoAPIClientSecret, "E2E_REDIS_URL": url, "E2E_CACHE_KEYS": "k1:" + key}
	o := envOpts{instance: emuSrv.URL, clientID: emulator.DemoAPIClientID, graphBase: emuSrv.URL + "/v1.0",
		graphScope: "https://graph.microsoft.com/User.Read",
		extraYAML:  "TokenCache:\n  Redis: {URLEnv: E2E_REDIS_URL, EncryptionKeysEnv: E2E_CACHE_KEYS, Timeout: 500ms}\n"}
	var gws []string
	for i := 0; i < 2; i++ {
		s, err := newServerEnv(t, gatewayConfig(t, o), envs)
		if err != nil {
			t.Fatal(err)
		}
		gws = append(gws, s)
	}
	tok := e.token(t, emulator.DemoUser, "", "")
	for _, gw := range gws {
		if a := get(t, gw+"/graph/me", tok); a.status != 200 {
			t.Fatalf("%s: %d %s", gw, a.status, a.body)
		}
	}
	if n := e.oboOK(); n != 1 {
		t.Fatalf("%v OBO exchanges for two instances sharing L2, want 1", n)
	}
	if m := string(get(t, gws[1]+"/metrics", "").body); !contains(m, `entragate_obo_cache_lookups_total{level="l2"} 1`) {
		t.Fatalf("second instance did not hit L2:\n%s", grep(m, "obo_cache"))
	}
}
