package rediscache

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a redis-server process owned by one test.
type redisServer struct {
	addr, password string
	cmd            *exec.Cmd
}

// startRedis starts redis-server on a free loopback port, without
// persistence and with a password, and stops it when the test ends. Without
// the binary it skips, unless CI=true.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not on PATH (apt-get install -y redis-server)")
		}
		t.Skip("redis-server not on PATH")
	}
	s := &redisServer{password: "test-pw-" + fmt.Sprint(time.Now().UnixNano())}
	for attempt := 0; attempt < 5; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		s.addr = fmt.Sprintf("127.0.0.1:%d", port)
		s.cmd = exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--requirepass", s.password, "--daemonize", "no", "--loglevel", "warning", "--dir", t.TempDir())
		if err := s.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if s.waitReady(5 * time.Second) {
			t.Cleanup(s.stop)
			return s
		}
		s.stop()
	}
	t.Fatal("redis-server did not start")
	return nil
}

func (s *redisServer) waitReady(d time.Duration) bool {
	c := s.client()
	defer c.Close()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func (s *redisServer) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

func (s *redisServer) url() string { return "redis://:" + s.password + "@" + s.addr + "/0" }

// client is a raw client for inspecting what the cache stored.
func (s *redisServer) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.addr, Password: s.password, DisableIdentity: true})
}

// dump returns every key with its value and TTL.
func (s *redisServer) dump(t testing.TB) map[string]struct {
	val string
	ttl time.Duration
} {
	t.Helper()
	c := s.client()
	defer c.Close()
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]struct {
		val string
		ttl time.Duration
	}{}
	for _, k := range keys {
		v, _ := c.Get(ctx, k).Result()
		ttl, _ := c.TTL(ctx, k).Result()
		out[k] = struct {
			val string
			ttl time.Duration
		}{v, ttl}
	}
	return out
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if x != "" && strings.Contains(s, x) {
			return true
		}
	}
	return false
}
