package tokencache

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestSealer(t *testing.T) {
	old, err := NewSealer(map[string][]byte{"k1": key(1)}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	rot, err := NewSealer(map[string][]byte{"k1": key(1), "k2": key(2)}, "k2")
	if err != nil {
		t.Fatal(err)
	}
	newOnly, _ := NewSealer(map[string][]byte{"k2": key(2)}, "k2")
	aad := []byte("cachekey")
	pt := []byte("eyJ-secret-token")

	s1, err := old.Seal(aad, pt)
	if err != nil || !bytes.HasPrefix(s1, []byte("k1:")) || bytes.Contains(s1, pt) {
		t.Fatalf("%v %q", err, s1)
	}
	s2, _ := rot.Seal(aad, pt)
	if !bytes.HasPrefix(s2, []byte("k2:")) {
		t.Fatal("rotation does not seal with current key")
	}
	if s3, _ := rot.Seal(aad, pt); bytes.Equal(s2, s3) {
		t.Fatal("nonce reuse")
	}
	tests := []struct {
		name   string
		s      *Sealer
		aad    []byte
		sealed []byte
		ok     bool
	}{
		{"same key", old, aad, s1, true},
		{"rotated reads old", rot, aad, s1, true},
		{"rotated reads new", rot, aad, s2, true},
		{"old cannot read new", old, aad, s2, false},
		{"dropped key", newOnly, aad, s1, false},
		{"other cache key", rot, []byte("other"), s2, false},
		{"tampered", rot, aad, append(bytes.Clone(s2[:len(s2)-1]), s2[len(s2)-1]^1), false},
		{"truncated", rot, aad, s2[:10], false},
		{"no id", rot, aad, []byte("garbage"), false},
		{"empty", rot, aad, nil, false},
	}
	for _, tt := range tests {
		got, err := tt.s.Open(tt.aad, tt.sealed)
		if tt.ok && (err != nil || !bytes.Equal(got, pt)) {
			t.Errorf("%s: %v", tt.name, err)
		}
		if !tt.ok && !errors.Is(err, ErrUnseal) {
			t.Errorf("%s: opened (%v)", tt.name, err)
		}
	}
}

func TestSealerConfig(t *testing.T) {
	for name, tc := range map[string]struct {
		keys map[string][]byte
		cur  string
	}{
		"missing current": {map[string][]byte{"a": key(1)}, "b"},
		"short key":       {map[string][]byte{"a": key(1)[:16]}, "a"},
		"zero key":        {map[string][]byte{"a": make([]byte, 32)}, "a"},
		"bad id":          {map[string][]byte{"a:b": key(1)}, "a:b"},
		"long id":         {map[string][]byte{string(bytes.Repeat([]byte("a"), 40)): key(1)}, string(bytes.Repeat([]byte("a"), 40))},
	} {
		if _, err := NewSealer(tc.keys, tc.cur); !errors.Is(err, ErrSealerConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	s, _ := NewSealer(map[string][]byte{"a": key(7)}, "a")
	if str := fmt.Sprintf("%v %+v %s %#v", s, s, s, s); bytes.Contains([]byte(str), key(7)) {
		t.Fatal("key printed")
	}
}
