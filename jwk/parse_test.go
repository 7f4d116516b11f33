package jwk

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func shared(t testing.TB, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"..", "..", "shared", "testdata", "entra", "jwks"}, parts...)...))
	if err != nil {
		t.Fatalf("shared test data missing: %v", err)
	}
	return b
}

func TestParseRealSets(t *testing.T) {
	cases := []struct {
		file       string
		keys       int
		withIssuer bool
	}{
		{"entra-v2-common-keys.panva-wellknown.json", 7, true},
		{"entra-v2-organizations-keys.panva-wellknown.json", 6, true},
		{"entra-v2-common-keys.identitymodel-2024-07-22.json", 10, true},
		{"entra-v1-common-keys.identitymodel-2024-07-22.json", 7, false},
		{"aad-2014-JsonWebKeySet.identitymodel-test.json", 2, false},
		{"nbCwW11w3XkB-key.reformatted-from-js.json", 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			s, err := Parse(shared(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if s.Len() != tc.keys || len(s.Skipped()) != 0 {
				t.Fatalf("keys %d skipped %v, want %d", s.Len(), s.Skipped(), tc.keys)
			}
			for _, k := range s.Keys() {
				if k.Public.N.BitLen() < 2048 || k.Public.E != 65537 {
					t.Fatalf("weak key %s", k.Kid)
				}
				if (k.Issuer != "") != tc.withIssuer {
					t.Fatalf("issuer %q", k.Issuer)
				}
				if got, ok := s.Lookup(k.Kid, ""); k.Kid != "" && (!ok || got != k) {
					t.Fatal("lookup by kid")
				}
			}
		})
	}
}

// The derived history file wraps each key object; every one must parse.
func TestParseKeyHistory(t *testing.T) {
	var doc struct {
		Keys []struct {
			Key json.RawMessage `json:"key"`
		} `json:"keys_with_provenance"`
	}
	if err := json.Unmarshal(shared(t, "DERIVED-entra-v2-keys-seen-2024.panva-wellknown-history.json"), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) < 40 {
		t.Fatalf("only %d keys", len(doc.Keys))
	}
	for i, k := range doc.Keys {
		s, err := Parse([]byte(`{"keys":[` + string(k.Key) + `]}`))
		if err != nil || s.Len() != 1 {
			t.Fatalf("key %d: %v", i, err)
		}
	}
}

// The 2014 set uses standard base64 with padding for n; both forms must
// produce the same modulus.
func TestStandardBase64Tolerance(t *testing.T) {
	s, err := Parse(shared(t, "aad-2014-JsonWebKeySet.identitymodel-test.json"))
	if err != nil {
		t.Fatal(err)
	}
	k, ok := s.Lookup("", "kriMPdmBvx68skT8-mPAB3BseeA")
	if !ok || k.Public.N.BitLen() != 2048 {
		t.Fatal("x5t lookup of the 2014 key failed")
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestParseRules(t *testing.T) {
	k2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	n := b64(k2048.N.Bytes())
	key := func(extra string) string { return `{"kty":"RSA","kid":"a","n":"` + n + `","e":"AQAB"` + extra + `}` }
	cases := []struct {
		name    string
		doc     string
		keys    int
		skipped int
		err     error
	}{
		{"ok", `{"keys":[` + key("") + `]}`, 1, 0, nil},
		{"ok alg and use", `{"keys":[` + key(`,"alg":"RS256","use":"sig"`) + `]}`, 1, 0, nil},
		{"not json", `{"keys":`, 0, 0, ErrMalformedSet},
		{"no keys member", `{"key":[]}`, 0, 0, ErrMalformedSet},
		{"keys not array", `{"keys":{}}`, 0, 0, ErrMalformedSet},
		{"empty", `{"keys":[]}`, 0, 0, ErrEmptySet},
		{"ec only", `{"keys":[{"kty":"EC","kid":"e","crv":"P-256","x":"AA","y":"AA"}]}`, 0, 1, ErrEmptySet},
		{"1024-bit skipped", `{"keys":[` + key("") + `,{"kty":"RSA","kid":"w","n":"` + b64(k1024.N.Bytes()) + `","e":"AQAB"}]}`, 1, 1, nil},
		{"e=3 skipped", `{"keys":[` + key("") + `,{"kty":"RSA","kid":"w","n":"` + n + `","e":"Aw"}]}`, 1, 1, nil},
		{"use enc skipped", `{"keys":[` + key(`,"use":"enc"`) + `]}`, 0, 1, ErrEmptySet},
		{"alg HS256 skipped", `{"keys":[` + key(`,"alg":"HS256"`) + `]}`, 0, 1, ErrEmptySet},
		{"bad base64 skipped", `{"keys":[{"kty":"RSA","kid":"a","n":"!!","e":"AQAB"}]}`, 0, 1, ErrEmptySet},
		{"mixed alphabets skipped", `{"keys":[{"kty":"RSA","kid":"a","n":"ab+-","e":"AQAB"}]}`, 0, 1, ErrEmptySet},
		{"no kid nor x5t", `{"keys":[{"kty":"RSA","n":"` + n + `","e":"AQAB"}]}`, 0, 1, ErrEmptySet},
		{"kid not string", `{"keys":[{"kty":"RSA","kid":1,"n":"` + n + `","e":"AQAB"}]}`, 0, 1, ErrEmptySet},
		{"too large", `{"keys":[` + strings.Repeat(" ", MaxSetSize) + `]}`, 0, 0, ErrMalformedSet},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.doc))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Len() != tc.keys || len(s.Skipped()) != tc.skipped {
				t.Fatalf("keys %d skipped %v", s.Len(), s.Skipped())
			}
			for _, why := range s.Skipped() {
				if strings.Contains(why, n[:20]) {
					t.Fatal("skipped reason leaks key material")
				}
			}
		})
	}
}

func TestMaxKeys(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for i := 0; i < MaxKeys+5; i++ {
		parts = append(parts, `{"kty":"RSA","kid":"k`+big.NewInt(int64(i)).String()+`","n":"`+b64(k.N.Bytes())+`","e":"AQAB"}`)
	}
	s, err := Parse([]byte(`{"keys":[` + strings.Join(parts, ",") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != MaxKeys || len(s.Skipped()) != 1 {
		t.Fatalf("len %d skipped %v", s.Len(), s.Skipped())
	}
}

func TestDecodeKeyInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"AQAB", 65537, true}, {"AQAB==", 0, false}, {"AQ", 1, true}, {"AQ==", 1, true},
		{"AQ=", 0, false}, {"", 0, false}, {"AQ AB", 0, false}, {"AR", 0, false}, // AR: non-canonical bits
	} {
		v, err := DecodeKeyInt(tc.in)
		if (err == nil) != tc.ok || (tc.ok && v.Int64() != tc.want) {
			t.Errorf("%q: %v %v", tc.in, v, err)
		}
	}
}
