package tokencache

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

func TestParseKeys(t *testing.T) {
	k := make([]byte, 32)
	k[0] = 7
	std, url := base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k)
	tests := []struct {
		in      string
		current string
		n       int
		ok      bool
	}{
		{"a:" + std, "a", 1, true},
		{"a:" + url + ", b:" + std, "a", 2, true},
		{"", "", 0, false},
		{"a", "", 0, false},
		{":" + std, "", 0, false},
		{"a:" + base64.StdEncoding.EncodeToString(k[:16]), "", 0, false},
		{"a:" + std + ",a:" + std, "", 0, false},
		{"a:!!!", "", 0, false},
	}
	for _, tt := range tests {
		keys, cur, err := ParseKeys(tt.in)
		if (err == nil) != tt.ok || cur != tt.current || len(keys) != tt.n {
			t.Errorf("ParseKeys(%q) = %d keys, %q, %v", tt.in, len(keys), cur, err)
		}
	}
}

// FuzzParseKeys: the encryption-key secret is operator input; the
// parser must never panic, never accept a key that is not 32 bytes, and
// never echo key material in its errors.
func FuzzParseKeys(f *testing.F) {
	f.Add("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	f.Add("a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8,b:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	f.Add("")
	f.Add(":,:")
	f.Add("x:!!!")
	f.Fuzz(func(t *testing.T, s string) {
		keys, current, err := ParseKeys(s)
		if err != nil {
			if len(keys) != 0 || current != "" {
				t.Fatal("keys returned with an error")
			}
			// Ids may be named in errors; key text never (unless an id holds it).
			var ids []string
			for _, part := range strings.Split(s, ",") {
				id, _, _ := strings.Cut(part, ":")
				ids = append(ids, id)
			}
			for _, part := range strings.Split(s, ",") {
				_, b64, ok := strings.Cut(part, ":")
				if !ok || len(b64) < 16 || !strings.Contains(err.Error(), b64) {
					continue
				}
				named := false
				for _, id := range ids {
					named = named || strings.Contains(fmt.Sprintf("%q", id), b64)
				}
				if !named {
					t.Fatalf("error echoes key material: %v", err)
				}
			}
			return
		}
		if _, ok := keys[current]; !ok {
			t.Fatalf("current %q not among the keys", current)
		}
		for id, k := range keys {
			if len(k) != 32 || id == "" {
				t.Fatalf("key %q has %d bytes", id, len(k))
			}
		}
	})
}
