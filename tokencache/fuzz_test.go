package tokencache

import (
	"bytes"
	"testing"
)

// FuzzSealerOpen: Open must never panic and never accept a value it did
// not seal for that AAD.
func FuzzSealerOpen(f *testing.F) {
	s, err := NewSealer(map[string][]byte{"k1": bytes.Repeat([]byte{1}, 32), "k2": bytes.Repeat([]byte{2}, 32)}, "k2")
	if err != nil {
		f.Fatal(err)
	}
	good, _ := s.Seal([]byte("aad"), []byte("value"))
	f.Add([]byte("aad"), good)
	f.Add([]byte("aad"), []byte("k1:"))
	f.Fuzz(func(t *testing.T, aad, sealed []byte) {
		pt, err := s.Open(aad, sealed)
		if err == nil && !(bytes.Equal(aad, []byte("aad")) && bytes.Equal(pt, []byte("value"))) {
			// Only values produced by Seal may open; the fuzzer cannot forge GCM tags.
			t.Fatalf("forged value opened: %q", pt)
		}
	})
}
