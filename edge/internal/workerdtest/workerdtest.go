// Package workerdtest runs a built edge Worker in the real workerd runtime
// for tests: it writes a capnp config, hands workerd an already-listening
// loopback socket (--socket-fd) and stops it when the test ends.
package workerdtest

import (
	"bytes"
	"context"
	"github.com/entragate/entragate/edge/internal/buildtool"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Binary finds edge/node_modules/.bin/workerd from a package directory
// (edgeDir is the path of edge/ relative to the test's working directory).
// Without it the test is skipped, unless CI=true, where it fails.
func Binary(t testing.TB, edgeDir string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(edgeDir, "node_modules", ".bin", "workerd"))
	if err == nil {
		if _, err = os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("workerd is not installed (run `npm ci` in edge/): %v", err)
	}
	t.Skipf("workerd is not installed (run `npm ci` in edge/): %v", err)
	return ""
}

// Config describes one workerd instance.
type Config struct {
	Workerd string            // path of the workerd binary
	Dist    string            // directory with worker.wasm, wasm_exec.js, worker.mjs
	Text    map[string]string // text bindings (vars and secrets)
	KV      []string          // KV namespace bindings, each backed by its own disk directory
	Cache   bool              // give the Worker a Cache API backend (caches.default)
	// StateDir holds KV and cache data (default: a fresh temporary
	// directory); reuse it to keep the L2 across a restart.
	StateDir string
	// TrustedCertsPEM are extra CA certificates for outbound TLS (e.g. an httptest TLS server's).
	TrustedCertsPEM []string
}

// Worker is a running workerd.
type Worker struct {
	URL     string    // http://127.0.0.1:port
	Started time.Time // just before workerd was launched
	cmd     *exec.Cmd
	logs    *syncBuffer
	stop    sync.Once
}

// Stop kills workerd and waits for it (idempotent).
func (w *Worker) Stop() {
	w.stop.Do(func() {
		_ = w.cmd.Process.Kill()
		_ = w.cmd.Wait()
	})
}

// Logs returns what workerd printed so far.
func (w *Worker) Logs() string { return w.logs.String() }

// Start launches workerd; it is stopped by t.Cleanup.
func Start(t testing.TB, cfg Config) *Worker {
	t.Helper()
	dir := cfg.StateDir
	if dir == "" {
		dir = t.TempDir()
	}
	capnp := filepath.Join(cfg.Dist, "entragate-test-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".capnp")
	if err := os.WriteFile(capnp, []byte(Capnp(cfg, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(capnp) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // the duplicate in f stays open and listening
	logs := &syncBuffer{}
	cmd := exec.Command(cfg.Workerd, "serve", capnp, "--experimental", "--socket-fd", "http=3")
	cmd.ExtraFiles = []*os.File{f}
	cmd.Stdout, cmd.Stderr = logs, logs
	w := &Worker{URL: "http://" + addr, Started: time.Now(), cmd: cmd, logs: logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	t.Cleanup(func() {
		w.Stop()
		if t.Failed() {
			t.Logf("workerd output:\n%s", tail(logs.String(), 4000))
		}
	})
	return w
}

// WaitReady polls path until it answers 200, and returns the time from
// launch to that first 200 (the cold start).
func (w *Worker) WaitReady(t testing.TB, path string, timeout time.Duration) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.URL+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Since(w.Started)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("workerd not ready after %s (last error %v)\n%s", timeout, err, tail(w.Logs(), 4000))
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Capnp renders the workerd configuration. stateDir holds KV and cache data.
func Capnp(cfg Config, stateDir string) string {
	return buildtool.WorkerdConfig{
		Text: cfg.Text, KV: cfg.KV, Cache: cfg.Cache, TrustedCertsPEM: cfg.TrustedCertsPEM, StateDir: stateDir,
	}.Capnp()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 1<<20 {
		return len(p), nil // bounded
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
