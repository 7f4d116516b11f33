package jwt

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
)

// The single-pass decoder agrees with encoding/base64's strict raw URL
// decoder on every input without '\r' or '\n' (which the standard decoder
// silently skips and we refuse).
func checkAgainstStd(t *testing.T, s string) {
	got, err := DecodeSegment(s)
	if strings.ContainsAny(s, "\r\n") {
		if err == nil {
			t.Fatalf("%q: newline accepted", s)
		}
		return
	}
	want, werr := base64.RawURLEncoding.Strict().DecodeString(s)
	if (err == nil) != (werr == nil) || (err == nil && !bytes.Equal(got, want)) {
		t.Fatalf("%q: got %x,%v want %x,%v", s, got, err, want, werr)
	}
}

func TestDecodeSegmentMatchesStd(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= \n\x00\xff"
	for i := 0; i < 20000; i++ {
		n := r.IntN(12)
		b := make([]byte, n)
		for j := range b {
			if r.IntN(8) == 0 {
				b[j] = alpha[r.IntN(len(alpha))]
			} else {
				b[j] = alpha[r.IntN(64)]
			}
		}
		checkAgainstStd(t, string(b))
	}
	for i := 0; i < 200; i++ {
		raw := make([]byte, r.IntN(40))
		for j := range raw {
			raw[j] = byte(r.Uint32())
		}
		checkAgainstStd(t, base64.RawURLEncoding.EncodeToString(raw))
	}
}

func FuzzDecodeSegment(f *testing.F) {
	f.Add("AQAB")
	f.Add("AR")
	f.Add("a+b/")
	f.Fuzz(func(t *testing.T, s string) { checkAgainstStd(t, s) })
}
