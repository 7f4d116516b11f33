package jwt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkParse parses a real Entra v1 access token (no signature check).
func BenchmarkParse(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "shared", "testdata", "entra", "tokens", "keyvault-doc-2019-nbCwW11w3XkB.jwt"))
	if err != nil {
		b.Fatal(err)
	}
	tok := strings.TrimSpace(string(raw))
	b.ReportAllocs()
	b.SetBytes(int64(len(tok)))
	for b.Loop() {
		if _, err := Parse(tok, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
