package e2e

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/entragate/entragate/emulator"
)

// buildCLI builds cmd/entragate once into a temporary directory.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "entragate")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/entragate/entragate/cmd/entragate")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func runCLI(t *testing.T, bin string, env []string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, o.String(), e.String()
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCLI builds the binary once and runs every command-line check on it.
func TestCLI(t *testing.T) {
	bin := buildCLI(t)
	t.Run("flags", func(t *testing.T) { cliFlags(t, bin) })
	t.Run("serve", func(t *testing.T) { cliServe(t, bin) })
	t.Run("dev", func(t *testing.T) { cliDev(t, bin) })
}

func cliFlags(t *testing.T, bin string) {
	good := "AzureAd:\n  TenantId: " + emulator.DemoTenantID + "\n  ClientId: " + emulator.DemoAPIClientID + "\n"
	unknownKey := writeFile(t, "unknown.yaml", good+"  Secret: x\n")
	invalid := writeFile(t, "invalid.yaml", "AzureAd:\n  TenantId: common\n")
	noSecret := writeFile(t, "nosecret.yaml", good+`  ClientCredentials: [{SourceType: ClientSecret, ClientSecretEnv: ENTRAGATE_E2E_UNSET}]
DownstreamApis:
  MicrosoftGraph: {Scopes: [https://graph.microsoft.com/User.Read]}
`)
	tok, _ := os.ReadFile(shared("entra", "tokens", "keyvault-doc-2019-nbCwW11w3XkB.jwt"))
	jwks := shared("entra", "jwks", "nbCwW11w3XkB-key.reformatted-from-js.json")
	kvConfig := writeFile(t, "keyvault.yaml", `
AzureAd:
  TenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47
  ClientId: cfa8b339-82a2-471a-a3c9-0fc0be7a4093
  Audience: https://vault.azure.net
`)

	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string // substring ("" = anything)
		stderr string // substring; when set, stderr must be one line
	}{
		{"no args", nil, "", 2, "", ""},
		{"help", []string{"--help"}, "", 0, "usage: entragate <command>", ""},
		{"unknown command", []string{"frobnicate"}, "", 2, "", `unknown command "frobnicate"`},
		{"version", []string{"version"}, "", 0, "entragate 0.", ""},
		{"version bad flag", []string{"version", "--x"}, "", 2, "", "flag provided but not defined: -x"},
		{"serve help", []string{"serve", "--help"}, "", 0, "usage: entragate serve --config FILE", ""},
		{"serve bad flag", []string{"serve", "--nope"}, "", 2, "", "flag provided but not defined: -nope"},
		{"serve no config", []string{"serve"}, "", 2, "", "--config FILE is required"},
		{"serve missing file", []string{"serve", "--config", "/nonexistent/entragate.yaml"}, "", 2, "", "no such file"},
		{"serve unknown key", []string{"serve", "--config", unknownKey}, "", 2, "", "line 4: field Secret not found"},
		{"serve invalid", []string{"serve", "--config", invalid}, "", 2, "", "AzureAd.ClientId: is required"},
		{"serve missing secret", []string{"serve", "--config", noSecret}, "", 2, "", "ENTRAGATE_E2E_UNSET is not set"},
		{"serve check", []string{"serve", "--check", "--config", writeFile(t, "ok.yaml", good)}, "", 0, "is valid", ""},
		{"serve metrics on /", []string{"serve", "--check", "--config", writeFile(t, "mroot.yaml", good+"Server: {MetricsPath: /}\n")}, "", 2, "",
			`config: Server.MetricsPath: "/" would capture every route`},
		{"serve metrics with space", []string{"serve", "--check", "--config", writeFile(t, "mspace.yaml", good+"Server: {MetricsPath: /m etrics}\n")}, "", 2, "",
			`config: Server.MetricsPath: "/m etrics" may hold only`},
		{"serve metrics on /me", []string{"serve", "--check", "--config", writeFile(t, "mme.yaml", good+"Server: {MetricsPath: /me}\n")}, "", 2, "",
			`config: Server.MetricsPath: "/me" overlaps the gateway's own routes`},
		{"serve metrics on /graph/", []string{"serve", "--check", "--config", writeFile(t, "mgraph.yaml", good+"Server: {MetricsPath: /graph/}\n")}, "", 2, "",
			`config: Server.MetricsPath: "/graph/" overlaps the gateway's own routes`},
		{"dev help", []string{"dev", "--help"}, "", 0, "-emulator-https-addr", ""},
		{"dev bad flag", []string{"dev", "--port", "1"}, "", 2, "", "flag provided but not defined: -port"},
		{"token help", []string{"token", "--help"}, "", 0, "Usage: entragate token", ""},
		{"token bad flag", []string{"token", "--nope"}, "", 2, "", "flag provided but not defined: -nope"},
		{"emulator help", []string{"emulator", "--help"}, "", 0, "rotate-keys", ""},
		{"emulator bad flag", []string{"emulator", "--nope"}, "", 2, "", "flag provided but not defined: -nope"},
		{"inspect help", []string{"inspect", "--help"}, "", 0, "usage: entragate inspect", ""},
		{"inspect expired", []string{"inspect", "--jwks", jwks, "--tenant", "72f988bf-86f1-41af-91ab-2d7cd011db47", "--audience", "https://vault.azure.net"}, string(tok), 1, "token_expired", ""},
		{"inspect inside lifetime", []string{"inspect", "--jwks", jwks, "--tenant", "72f988bf-86f1-41af-91ab-2d7cd011db47", "--audience", "https://vault.azure.net", "--at", "2019-01-28T18:00:00Z"}, string(tok), 0, "accepted", ""},
		{"inspect with gateway config", []string{"inspect", "--config", kvConfig, "--jwks", jwks, "--at", "2019-01-28T18:00:00Z"}, string(tok), 0, "accepted", ""},
		{"inspect with bad config", []string{"inspect", "--config", unknownKey, "--jwks", jwks}, string(tok), 2, "", "field Secret not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, bin, nil, tc.stdin, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Fatalf("stdout lacks %q:\n%s", tc.stdout, out)
			}
			if tc.stderr != "" {
				if !strings.Contains(errOut, tc.stderr) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
					t.Fatalf("stderr should be one line with %q:\n%s", tc.stderr, errOut)
				}
			}
			if strings.Contains(out+errOut, strings.TrimSpace(string(tok))[:40]) {
				t.Fatal("token echoed")
			}
		})
	}
	if code, _, errOut := runCLI(t, bin, nil, ""); code != 2 || !strings.Contains(errOut, "usage: entragate") {
		t.Fatalf("no args: %d %s", code, errOut)
	}
}

// cliServe runs `entragate serve` against an in-process emulator,
// checks it answers, then stops it with SIGTERM (graceful: exit 0). With
// the key server unreachable and Keys.FailOnStartup it exits 1 at once.
func cliServe(t *testing.T, bin string) {
	emu, emuSrv := newEmulator(t, time.Now)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := writeFile(t, "serve.yaml", `
AzureAd:
  Instance: `+emuSrv.URL+`/
  TenantId: `+emulator.DemoTenantID+`
  ClientId: `+emulator.DemoAPIClientID+`
  ClientCredentials: [{SourceType: ClientSecret, ClientSecretEnv: E2E_SECRET}]
DownstreamApis:
  MicrosoftGraph: {BaseUrl: `+emuSrv.URL+`/v1.0, Scopes: [https://graph.microsoft.com/User.Read]}
Server: {Listen: "`+addr+`"}
Keys: {FailOnStartup: true}
`)
	cmd := exec.Command(bin, "serve", "--config", cfg)
	cmd.Env = []string{"E2E_SECRET=" + emulator.DemoAPIClientSecret}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	e := &env{emu: emu}
	tok := e.token(t, emulator.DemoUser, "", "")
	var a answer
	for i := 0; i < 100; i++ {
		req, _ := http.NewRequest("GET", "http://"+addr+"/graph/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			a.status = resp.StatusCode
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if a.status != 200 {
		t.Fatalf("serve answered %d\n%s", a.status, errOut.String())
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, errOut.String())
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("no graceful exit")
	}
	if strings.Contains(errOut.String(), tok[:40]) || strings.Contains(errOut.String(), emulator.DemoAPIClientSecret) {
		t.Fatal("token or secret logged")
	}

	dead := writeFile(t, "dead.yaml", `
AzureAd:
  Instance: http://`+addr+`/
  TenantId: `+emulator.DemoTenantID+`
  ClientId: `+emulator.DemoAPIClientID+`
Keys: {FailOnStartup: true, StartupTimeout: 3s}
Server: {Listen: "127.0.0.1:0"}
`)
	code, _, stderr := runCLI(t, bin, nil, "", "serve", "--config", dead)
	if code != 1 || !strings.Contains(stderr, "signing keys could not be loaded") {
		t.Fatalf("dead keys: %d %s", code, stderr)
	}
}
