package emucli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entragate/entragate/emulator"
)

// syncBuf is a goroutine-safe buffer (the server writes from its goroutine).
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func startEmulator(t *testing.T, extra ...string) (httpURL, httpsURL, caFile string) {
	t.Helper()
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]string, 1)
	done := make(chan int, 1)
	var out, errOut syncBuf
	args := append([]string{"--http-addr", "127.0.0.1:0", "--https-addr", "127.0.0.1:0", "--ca-file", caFile, "--log-level", "warn"}, extra...)
	go func() { done <- serve(ctx, args, &out, &errOut, func(h, s string) { ready <- [2]string{h, s} }) }()
	select {
	case u := <-ready:
		httpURL, httpsURL = u[0], u[1]
	case code := <-done:
		t.Fatalf("emulator exited %d: %s", code, errOut.String())
	case <-time.After(10 * time.Second):
		t.Fatal("emulator not ready")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("emulator exit %d: %s", code, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("emulator did not shut down")
		}
	})
	if !strings.Contains(out.String(), emulator.DemoTenantID) {
		t.Errorf("banner: %q", out.String())
	}
	return httpURL, httpsURL, caFile
}

func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTokenAndRotateAgainstRunningEmulator(t *testing.T) {
	h, s, ca := startEmulator(t)
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, c map[string]any)
	}{
		{"defaults", []string{"--emulator", h}, func(t *testing.T, c map[string]any) {
			if c["aud"] != emulator.DemoAPIClientID || c["oid"] != emulator.DemoAliceObjectID || c["scp"] != emulator.DemoScope {
				t.Errorf("claims %v", c)
			}
		}},
		{"bob over https with mfa", []string{"--emulator", s, "--ca-file", ca, "--user", "bob", "--mfa"}, func(t *testing.T, c map[string]any) {
			amr, _ := c["amr"].([]any)
			if c["oid"] != emulator.DemoBobObjectID || len(amr) != 2 || amr[1] != "mfa" {
				t.Errorf("claims %v", c)
			}
			if c["iss"] != h+"/"+emulator.DemoTenantID+"/v2.0" {
				t.Errorf("issuer over https %v", c["iss"])
			}
		}},
		{"graph scope", []string{"--emulator", h, "--scope", "User.Read"}, func(t *testing.T, c map[string]any) {
			if c["aud"] != emulator.GraphResource {
				t.Errorf("aud %v", c["aud"])
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := Token(tc.args, &out, &errOut); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			tc.check(t, claimsOf(t, out.String()))
		})
	}
	var out, errOut bytes.Buffer
	if code := Token([]string{"--emulator", h, "--password", "wrong"}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "AADSTS50126") || strings.Contains(errOut.String(), "wrong") {
		t.Fatalf("bad password: %d %q", code, errOut.String())
	}
	out.Reset()
	if code := Emulator([]string{"rotate-keys", "--emulator", h, "--retire-now"}, &out, &errOut); code != 0 ||
		!strings.HasPrefix(out.String(), "new signing key ") {
		t.Fatalf("rotate-keys: %d %q %q", code, out.String(), errOut.String())
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		run  func(args []string, stdout, stderr *bytes.Buffer) int
		args []string
		code int
	}{
		{"token help", tokenRun, []string{"--help"}, 0},
		{"token unknown flag", tokenRun, []string{"--bogus"}, 2},
		{"token stray arg", tokenRun, []string{"extra"}, 2},
		{"emulator help", emuRun, []string{"--help"}, 0},
		{"emulator unknown flag", emuRun, []string{"--bogus"}, 2},
		{"rotate help", emuRun, []string{"rotate-keys", "-h"}, 0},
		{"rotate unknown flag", emuRun, []string{"rotate-keys", "--bogus"}, 2},
		{"rotate unreachable", emuRun, []string{"rotate-keys", "--emulator", "http://127.0.0.1:1"}, 1},
		{"emulator bad config", emuRun, []string{"--config", "/nonexistent.yaml"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := tc.run(tc.args, &out, &errOut); code != tc.code {
				t.Fatalf("exit %d, want %d (%s)", code, tc.code, errOut.String())
			}
		})
	}
}

func tokenRun(a []string, o, e *bytes.Buffer) int { return Token(a, o, e) }
func emuRun(a []string, o, e *bytes.Buffer) int   { return Emulator(a, o, e) }
