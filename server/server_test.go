package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entragate/entragate/emulator"
)

func TestServerGraphMe(t *testing.T) {
	emu, srv := startEmulator(t)
	s, err := New(Options{Config: demoConfig(t, srv.URL, ""), LookupEnv: demoEnv, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	if rec := get(h, "/readyz", ""); rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("readyz before keys: %d", rec.Code)
	}
	tok := userToken(t, emu)
	rec := get(h, "/graph/me", tok)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), emulator.DemoAliceObjectID) || !strings.Contains(rec.Body.String(), "displayName") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if rec := get(h, "/me", tok); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"scp":"access_as_user"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if rec := get(h, "/readyz", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ready"`) {
		t.Fatalf("readyz: %d %s", rec.Code, rec.Body)
	}
	m := get(h, "/metrics", "").Body.String()
	for _, want := range []string{`entragate_http_requests_total{code="200",route="/graph/me"} 1`, `entragate_obo_token_requests_total{result="success"} 1`,
		`entragate_key_set_loaded{source="entra"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestServerErrors(t *testing.T) {
	_, srv := startEmulator(t)
	if _, err := New(Options{}); !errors.Is(err, ErrConfig) {
		t.Fatal(err)
	}
	_, err := New(Options{Config: demoConfig(t, srv.URL, ""), LookupEnv: env(nil), Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "TEST_SECRET is not set") {
		t.Fatal(err)
	}
}

func TestFailOnStartup(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	c := demoConfig(t, dead, "Keys:\n  FailOnStartup: true\n  StartupTimeout: 2s\n")
	s, err := New(Options{Config: c, LookupEnv: demoEnv, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background(), nil); !errors.Is(err, ErrKeysAtStartup) {
		t.Fatal(err)
	}
}

func TestRunGracefulShutdown(t *testing.T) {
	emu, srv := startEmulator(t)
	s, err := New(Options{Config: demoConfig(t, srv.URL, "Keys:\n  FailOnStartup: true\n"), LookupEnv: demoEnv, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	tok := userToken(t, emu)
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/graph/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	var resp *http.Response
	for i := 0; i < 50; i++ {
		if resp, err = http.DefaultClient.Do(req); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown")
	}
}

func TestAccessLog(t *testing.T) {
	emu, srv := startEmulator(t)
	var buf strings.Builder
	var mu sync.Mutex
	s, err := New(Options{Config: demoConfig(t, srv.URL, "Logging: {AccessLog: true}\n"), LookupEnv: demoEnv,
		Logger: slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	tok := userToken(t, emu)
	get(s.Handler(), "/me?access_token="+tok, tok)
	get(s.Handler(), "/nope", "")
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if !strings.Contains(out, `"path":"/me","status":200`) || !strings.Contains(out, `"path":"/nope","status":404`) {
		t.Fatal(out)
	}
	if strings.Contains(out, tok[:30]) || strings.Contains(out, "access_token") {
		t.Fatal("token or query logged")
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestLimit(t *testing.T) {
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(1)
	h := limit(1, 2*time.Second, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Done()
		<-release
	}))
	done := make(chan struct{})
	go func() { get(h, "/", ""); close(done) }()
	started.Wait()
	rec := get(h, "/", "")
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "2" {
		t.Fatal(rec.Code, rec.Header())
	}
	close(release)
	<-done
}
