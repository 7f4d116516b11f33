package buildtool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"line1\nline2\t", `"line1\nline2\t"`},
		{"\x01", `"\x01"`},
		{"ünï", `"ünï"`},
	}
	for _, tt := range tests {
		if got := quote(tt.in); got != tt.want {
			t.Errorf("quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestCapnp(t *testing.T) {
	dir := t.TempDir()
	got := WorkerdConfig{
		Text: map[string]string{"B": "2", "A": `quote"d`}, KV: []string{"TOKEN_CACHE"}, Cache: true,
		TrustedCertsPEM: []string{"-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"}, StateDir: dir,
	}.Capnp()
	for _, want := range []string{
		`(name = "A", text = "quote\"d"),`,
		`(name = "TOKEN_CACHE", kvNamespace = "kv-TOKEN_CACHE"),`,
		`cacheApiOutbound = "cache",`,
		`allow = ["public", "private", "local"]`,
		`trustedCertificates = ["-----BEGIN CERTIFICATE-----\nx\n`,
		`(name = "worker.wasm", wasm = embed "worker.wasm"),`,
		`globalOutbound = "internet",`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("config lacks %s\n%s", want, got)
		}
	}
	if strings.Index(got, `"A"`) > strings.Index(got, `"B"`) {
		t.Error("bindings not sorted")
	}
	for _, d := range []string{"kv-TOKEN_CACHE", "cache"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
			t.Errorf("state directory %s not created: %v", d, err)
		}
	}
}

func TestGzipSize(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(strings.Repeat("a", 100000)), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := GzipSize(p)
	if err != nil || n <= 0 || n > 1000 {
		t.Fatalf("GzipSize = %d, %v", n, err)
	}
	if _, err := GzipSize(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("no error for a missing file")
	}
}
