package e2e

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
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
	rotateUnderDev(t, bin, m[1], m[2], strings.TrimSpace(tok))
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

// rotateUnderDev rotates the emulator's signing key (with the CLI, as a user
// would) while traffic with an old-key token flows through `entragate dev`:
// no request may fail, and a token signed with the new key must be accepted
// on its very first request.
func rotateUnderDev(t *testing.T, bin, tokenCmd, graphURL, oldTok string) {
	t.Helper()
	emuURL := regexp.MustCompile(`--emulator (\S+)`).FindStringSubmatch(tokenCmd)
	if emuURL == nil {
		t.Fatalf("no --emulator in %q", tokenCmd)
	}
	meURL := strings.TrimSuffix(graphURL, "/graph/me") + "/me"
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var sent, failed atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				u := meURL
				if i%2 == 1 {
					u = graphURL
				}
				req, _ := http.NewRequest("GET", u, nil)
				req.Header.Set("Authorization", "Bearer "+oldTok)
				resp, err := http.DefaultClient.Do(req)
				sent.Add(1)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
				}
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	if code, _, errOut := runCLI(t, bin, nil, "", "emulator", "rotate-keys", "--emulator", emuURL[1]); code != 0 {
		close(stop)
		wg.Wait()
		t.Fatalf("rotate-keys: %d %s", code, errOut)
	}
	code, newTok, errOut := runCLI(t, bin, nil, "", strings.Fields(tokenCmd)...)
	if code != 0 {
		close(stop)
		wg.Wait()
		t.Fatalf("token after rotation: %d %s", code, errOut)
	}
	first := get(t, meURL, strings.TrimSpace(newTok))
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if first.status != 200 {
		t.Fatalf("first request with a new-key token: %d %s", first.status, first.body)
	}
	if sent.Load() == 0 || failed.Load() != 0 {
		t.Fatalf("during rotation: %d of %d requests failed", failed.Load(), sent.Load())
	}
	if kidOf(t, oldTok) == kidOf(t, strings.TrimSpace(newTok)) {
		t.Fatal("the new token is signed with the old key: no rotation happened")
	}
}

// kidOf reads the kid from a token header (test only; no verification).
func kidOf(t *testing.T, tok string) string {
	t.Helper()
	h, _, _ := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(b, &hdr); err != nil {
		t.Fatal(err)
	}
	return hdr.Kid
}
