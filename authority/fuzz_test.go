package authority

import "testing"

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(`{"issuer":"https://a/{tenantid}/v2.0","jwks_uri":"https://a/keys"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data)
		if err != nil {
			return
		}
		if m.Issuer == "" || m.JWKSURI == "" {
			t.Fatal("accepted without issuer or jwks_uri")
		}
		if checkURL(m.JWKSURI, false) != nil {
			t.Fatal("accepted a bad jwks_uri")
		}
	})
}
