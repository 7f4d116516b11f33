package jwt

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func tok(h, p string) string { return enc(h) + "." + enc(p) + "." + enc("sig") }

func TestParse(t *testing.T) {
	const h = `{"alg":"RS256","typ":"JWT","kid":"k"}`
	const p = `{"aud":"a","exp":1700000000}`
	cases := []struct {
		name string
		raw  string
		err  error
	}{
		{"ok", tok(h, p), nil},
		{"ok whitespace in JSON", tok(" {\n\"alg\" : \"RS256\" } ", p), nil},
		{"ok unicode escapes", tok(h, `{"n":"\u00e9\ud83d\ude00","e":"\\\"\/\b\f\n\r\t"}`), nil},
		{"ok nested", tok(h, `{"a":{"b":[1,2.5e3,-0.1,true,false,null,{"c":"d"}]}}`), nil},
		{"empty", "", ErrSegments},
		{"one segment", enc(h), ErrSegments},
		{"two segments", enc(h) + "." + enc(p), ErrSegments},
		{"four segments", tok(h, p) + ".x", ErrSegments},
		{"empty header", "." + enc(p) + ".x", ErrSegments},
		{"padding", enc(h) + "=." + enc(p) + ".x", ErrBase64},
		{"plus", enc(h) + "." + enc(p) + ".a+b", ErrBase64},
		{"slash", enc(h) + "." + enc(p) + ".a/b", ErrBase64},
		{"space", enc(h) + " ." + enc(p) + ".x", ErrBase64},
		{"CR", enc(h) + "." + enc(p) + "\r.x", ErrBase64},
		{"non-canonical", enc(h) + "." + enc(p) + ".AR", ErrBase64},
		{"impossible length", enc(h) + "." + enc(p) + ".A", ErrBase64},
		{"header array", tok(`["RS256"]`, p), ErrNotObject},
		{"header string", tok(`"x"`, p), ErrNotObject},
		{"payload number", tok(h, `1`), ErrNotObject},
		{"payload garbage", tok(h, `{"a":}`), ErrJSON},
		{"trailing data", tok(h, `{"a":1} x`), ErrJSON},
		{"two objects", tok(h, `{}{}`), ErrJSON},
		{"trailing comma", tok(h, `{"a":1,}`), ErrJSON},
		{"single quotes", tok(h, `{'a':1}`), ErrJSON},
		{"leading zero", tok(h, `{"a":01}`), ErrJSON},
		{"plus number", tok(h, `{"a":+1}`), ErrJSON},
		{"NaN", tok(h, `{"a":NaN}`), ErrJSON},
		{"bad escape", tok(h, `{"a":"\x"}`), ErrJSON},
		{"lone surrogate", tok(h, `{"a":"\ud800"}`), ErrJSON},
		{"control char", tok(h, "{\"a\":\"\x01\"}"), ErrJSON},
		{"invalid utf8", tok(h, "{\"a\":\"\xc3\x28\"}"), ErrJSON},
		{"invalid utf8 name", tok(h, "{\"\xff\":1}"), ErrJSON},
		{"dup header", tok(`{"alg":"RS256","alg":"none"}`, p), ErrDuplicate},
		{"dup claim", tok(h, `{"aud":"a","aud":"b"}`), ErrDuplicate},
		{"dup escaped", tok(h, `{"aud":"a","\u0061ud":"b"}`), ErrDuplicate},
		{"dup nested", tok(h, `{"x":[{"a":1,"a":1}]}`), ErrDuplicate},
		{"dup many members", tok(h, "{"+manyMembers(40)+`,"m30":0}`), ErrDuplicate},
		{"deep", tok(h, `{"a":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`), ErrDepth},
		{"alg missing", tok(`{"typ":"JWT"}`, p), ErrHeader},
		{"alg number", tok(`{"alg":1}`, p), ErrHeader},
		{"kid number", tok(`{"alg":"RS256","kid":1}`, p), ErrHeader},
		{"crit empty", tok(`{"alg":"RS256","crit":[]}`, p), ErrHeader},
		{"crit string", tok(`{"alg":"RS256","crit":"exp"}`, p), ErrHeader},
		{"too large", strings.Repeat("a", DefaultMaxSize+1), ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tk, err := Parse(tc.raw, Options{})
			if tc.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				if tk.Header.Alg != "RS256" || string(tk.Signature) != "sig" {
					t.Fatalf("header %+v", tk.Header)
				}
				return
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
		})
	}
}

func manyMembers(n int) string {
	var b []string
	for i := 0; i < n; i++ {
		b = append(b, `"m`+string(rune('0'+i/10))+string(rune('0'+i%10))+`":0`)
	}
	return strings.Join(b, ",")
}

func TestSizeCapBeforeDecoding(t *testing.T) {
	// Garbage larger than the cap must be refused as too large, not as bad base64.
	_, err := Parse(strings.Repeat("!", 200), Options{MaxSize: 100})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatal(err)
	}
}

func TestHeaderFlags(t *testing.T) {
	tk, err := Parse(tok(`{"alg":"RS256","jwk":{},"jku":"u","x5u":"u","x5c":[],"nonce":"n","crit":["b64"],"x5t":"t","typ":"JWT"}`, `{}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := tk.Header
	if !h.HasJWK || !h.HasJKU || !h.HasX5U || !h.HasX5C || !h.HasNonce || !h.HasCrit || h.X5t != "t" || !h.HasTyp || h.Crit[0] != "b64" {
		t.Fatalf("%+v", h)
	}
}

func TestClaims(t *testing.T) {
	tk, err := Parse(tok(`{"alg":"RS256"}`, `{"s":"a\u0062","arr":["x","y"],"num":1.5e9,"neg":-1,"big":1e300,"null":null,"mixed":["a",1],"Exp":5}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &tk.Claims
	if s, ok, err := c.String("s"); s != "ab" || !ok || err != nil {
		t.Fatal(s, ok, err)
	}
	if _, _, err := c.String("num"); !errors.Is(err, ErrClaimType) {
		t.Fatal("num as string")
	}
	if v, ok, err := c.Strings("arr"); len(v) != 2 || !ok || err != nil {
		t.Fatal(v, err)
	}
	if v, ok, err := c.Strings("s"); len(v) != 1 || !ok || err != nil {
		t.Fatal(v, err)
	}
	if v, ok, err := c.Strings("null"); v != nil || !ok || err != nil {
		t.Fatal(v, err)
	}
	if _, _, err := c.Strings("mixed"); !errors.Is(err, ErrClaimType) {
		t.Fatal("mixed array accepted")
	}
	if d, ok, err := c.NumericDate("num"); !ok || err != nil || d.Unix() != 1500000000 {
		t.Fatal(d, err)
	}
	for _, name := range []string{"neg", "big", "s"} {
		if _, _, err := c.NumericDate(name); !errors.Is(err, ErrClaimType) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, ok, _ := c.NumericDate("exp"); ok {
		t.Fatal("claim names must be case-sensitive")
	}
}
