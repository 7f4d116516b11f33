package e2e

import (
	"bufio"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cliDev runs `entragate dev` on free ports, follows the printed next
// commands (token, then /graph/me), and stops it with SIGINT.
func cliDev(t *testing.T, bin string) {
	cmd := exec.Command(bin, "dev", "--listen", "127.0.0.1:0", "--emulator-addr", "127.0.0.1:0", "--emulator-https-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		done <- cmd.Wait()
	}()
	var curl string
	deadline := time.After(20 * time.Second)
	for curl == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("dev exited early")
			}
			if strings.Contains(l, "/graph/me") && strings.Contains(l, "curl -H") {
				curl = l
			}
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatal("dev printed no next commands")
		}
	}
	m := regexp.MustCompile(`\$\(go run \./cmd/entragate (token[^)]*)\)" (http://\S+/graph/me)`).FindStringSubmatch(curl)
	if m == nil {
		_ = cmd.Process.Kill()
		t.Fatalf("unexpected next command: %s", curl)
	}
	code, tok, errOut := runCLI(t, bin, nil, "", strings.Fields(m[1])...)
	if code != 0 || strings.TrimSpace(tok) == "" {
		_ = cmd.Process.Kill()
		t.Fatalf("%s: %d %s", m[1], code, errOut)
	}
	a := get(t, m[2], strings.TrimSpace(tok))
	if a.status != 200 || !strings.Contains(string(a.body), `"displayName":"Alice Example"`) {
		_ = cmd.Process.Kill()
		t.Fatalf("%d %s", a.status, a.body)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	go func() {
		for range lines {
		}
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("dev did not stop on SIGINT")
	}
}
