package server

import (
	"encoding/base64"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/entragate/entragate/emulator"
)

func TestParseSealingKeys(t *testing.T) {
	k32 := make([]byte, 32)
	std := base64.StdEncoding.EncodeToString(k32)
	raw := base64.RawURLEncoding.EncodeToString(k32)
	tests := []struct {
		in      string
		current string
		n       int
		err     string
	}{
		{"k1:" + std, "k1", 1, ""},
		{"k2:" + raw + ", k1:" + std, "k2", 2, ""},
		{"k1", "", 0, "not id:base64key"},
		{"k1:!!!", "", 0, "not base64"},
		{"k1:" + std + ",k1:" + std, "", 0, "duplicate"},
	}
	for _, tc := range tests {
		keys, cur, err := ParseSealingKeys(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), std) {
				t.Errorf("%q: %v", tc.in, err)
			}
			continue
		}
		if err != nil || cur != tc.current || len(keys) != tc.n {
			t.Errorf("%q: %v %q %d", tc.in, err, cur, len(keys))
		}
	}
}

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

func FuzzParseSealingKeys(f *testing.F) {
	f.Add("k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	f.Add("a:b,c:d")
	f.Add(",:,")
	f.Fuzz(func(t *testing.T, raw string) {
		keys, cur, err := ParseSealingKeys(raw)
		if err != nil {
			if keys != nil || cur != "" {
				t.Fatal("partial result with error")
			}
			return
		}
		if _, ok := keys[cur]; !ok || len(keys) == 0 {
			t.Fatalf("current %q not in keys", cur)
		}
	})
}
