package jwk

import "testing"

func FuzzParseSet(f *testing.F) {
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			if s != nil {
				t.Fatal("set returned with error")
			}
			return
		}
		if s.Len() == 0 || s.Len() > MaxKeys {
			t.Fatalf("len %d", s.Len())
		}
		for _, k := range s.Keys() {
			if CheckRSA(k.Public) != nil {
				t.Fatal("unusable key accepted")
			}
		}
	})
}
