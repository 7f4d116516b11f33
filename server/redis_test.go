package server

import (
	"encoding/base64"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/entragate/entragate/emulator"
)

// TestRedisDown: a configured but unreachable Redis never breaks /graph/me.
func TestRedisDown(t *testing.T) {
	emu, srv := startEmulator(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	c := demoConfig(t, srv.URL, "TokenCache:\n  Redis: {URL: \"redis://"+dead+"/0\", EncryptionKeysEnv: KEYS}\n")
	s, err := New(Options{Config: c, Logger: slog.New(slog.DiscardHandler),
		LookupEnv: env(map[string]string{"TEST_SECRET": emulator.DemoAPIClientSecret, "KEYS": "k1:" + key})})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tok := userToken(t, emu)
	for i := 0; i < 3; i++ {
		if rec := get(s.Handler(), "/graph/me", tok); rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	if m := get(s.Handler(), "/metrics", "").Body.String(); !strings.Contains(m, "entragate_obo_l2_errors_total") {
		t.Error("no L2 error counted")
	}
}

func TestRedisConfigErrors(t *testing.T) {
	_, srv := startEmulator(t)
	c := demoConfig(t, srv.URL, "TokenCache:\n  Redis: {URLEnv: REDIS_URL, EncryptionKeysEnv: KEYS}\n")
	for name, e := range map[string]map[string]string{
		"no url":  {"TEST_SECRET": "x", "KEYS": "k1:" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))},
		"no keys": {"TEST_SECRET": "x", "REDIS_URL": "redis://127.0.0.1:1/0"},
		"short":   {"TEST_SECRET": "x", "REDIS_URL": "redis://127.0.0.1:1/0", "KEYS": "k1:AAAA"},
	} {
		if _, err := New(Options{Config: c, LookupEnv: env(e), Logger: slog.New(slog.DiscardHandler)}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
