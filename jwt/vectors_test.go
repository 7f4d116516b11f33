package jwt_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/jwt"
)

func vectors(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"..", "..", "shared", "testdata", "vectors"}, parts...)...))
	if err != nil {
		t.Fatalf("shared test vectors missing: %v", err)
	}
	return b
}

// verifyJWS applies the validator's JOSE rules to a bare JWS: strict
// parsing, the RSA algorithms, the key's published alg pinned when present,
// then the signature.
func verifyJWS(raw string, key *jwk.Key) error {
	t, err := jwt.ParseJWS(raw, jwt.Options{})
	if err != nil {
		return err
	}
	if !jwt.IsRSAAlg(t.Header.Alg) {
		return jwt.ErrUnsupportedAlg
	}
	if key.Alg != "" && key.Alg != t.Header.Alg {
		return jwt.ErrUnsupportedAlg
	}
	return t.VerifyRSA(key.Public)
}

func TestWycheproofJWS(t *testing.T) {
	var doc struct {
		TestGroups []struct {
			Comment string          `json:"comment"`
			Public  json.RawMessage `json:"public"`
			Tests   []struct {
				TcID    int    `json:"tcId"`
				Comment string `json:"comment"`
				JWS     string `json:"jws"`
				Result  string `json:"result"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	if err := json.Unmarshal(vectors(t, "wycheproof", "json_web_signature_test.json"), &doc); err != nil {
		t.Fatal(err)
	}
	// tcIds 346 and 350 (RFC 7520 figure 20): the key is published with alg PS256 but
	// the JWS uses PS384. Wycheproof accepts it; we pin the algorithm to the
	// key's published alg, so we refuse it on purpose.
	deliberate := map[int]bool{346: true, 350: true}
	ran, rs256 := 0, 0
	for _, g := range doc.TestGroups {
		var kty struct {
			Kty string `json:"kty"`
		}
		if len(g.Public) == 0 || json.Unmarshal(g.Public, &kty) != nil || kty.Kty != "RSA" {
			continue // HMAC, EC and key-less groups do not apply to RSA JWS
		}
		set, setErr := jwk.Parse([]byte(`{"keys":[` + string(g.Public) + `]}`))
		for _, tc := range g.Tests {
			ran++
			var err error
			if setErr != nil {
				err = setErr
			} else {
				err = verifyJWS(tc.JWS, set.Keys()[0])
			}
			if t, perr := jwt.ParseJWS(tc.JWS, jwt.Options{}); perr == nil && t.Header.Alg == "RS256" {
				rs256++
			}
			want := tc.Result == "valid" && !deliberate[tc.TcID]
			if (err == nil) != want {
				t.Errorf("tcId %d (%s/%s): result %s, got err %v", tc.TcID, g.Comment, tc.Comment, tc.Result, err)
			}
		}
	}
	if ran < 300 || rs256 < 200 {
		t.Fatalf("only %d RSA cases (%d RS256) ran", ran, rs256)
	}
	t.Logf("%d RSA cases, %d with RS256", ran, rs256)
}

func TestRFC7520RS256(t *testing.T) {
	var doc struct {
		Input struct {
			Key     json.RawMessage `json:"key"`
			Alg     string          `json:"alg"`
			Payload string          `json:"payload"`
		} `json:"input"`
		Output struct {
			Compact string `json:"compact"`
		} `json:"output"`
	}
	if err := json.Unmarshal(vectors(t, "rfc7520", "4_1.rsa_v15_signature.json"), &doc); err != nil {
		t.Fatal(err)
	}
	set, err := jwk.Parse([]byte(`{"keys":[` + string(doc.Input.Key) + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	key, ok := set.Lookup("bilbo.baggins@hobbiton.example", "")
	if !ok {
		t.Fatal("key not found by kid")
	}
	tok, err := jwt.ParseJWS(doc.Output.Compact, jwt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Header.Alg != doc.Input.Alg || string(tok.Payload) != doc.Input.Payload {
		t.Fatalf("alg %s payload %q", tok.Header.Alg, tok.Payload)
	}
	if err := verifyJWS(doc.Output.Compact, key); err != nil {
		t.Fatal(err)
	}
	// One flipped payload bit must fail.
	bad := []byte(doc.Output.Compact)
	bad[len(tok.SigningInput)-3] ^= 1
	if verifyJWS(string(bad), key) == nil {
		t.Fatal("tampered RFC 7520 example verified")
	}
}
