package jwt

import (
	"encoding/json"
	"errors"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(tok(`{"alg":"RS256","typ":"JWT","kid":"k"}`, `{"aud":"a","exp":1}`))
	f.Add(tok(`{"alg":"none"}`, `{"a":{"b":[1,2,{"c":null}]}}`))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		tk, err := Parse(raw, Options{MaxSize: 4096})
		if err != nil {
			if tk != nil {
				t.Fatal("token with error")
			}
			for _, s := range []error{ErrTooLarge, ErrSegments, ErrBase64, ErrJSON, ErrNotObject, ErrDuplicate, ErrDepth, ErrHeader} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("untyped error %v", err)
		}
		if len(raw) > 4096 {
			t.Fatal("size cap ignored")
		}
		seen := map[string]bool{}
		for _, m := range tk.Claims.Members {
			if seen[m.Name] {
				t.Fatal("duplicate accepted")
			}
			seen[m.Name] = true
			_, _, _ = tk.Claims.Strings(m.Name)
			_, _, _ = tk.Claims.NumericDate(m.Name)
		}
	})
}

// FuzzClaimsJSON drives the JSON scanner directly (payload text, encoded
// into a token) and cross-checks it against encoding/json: whatever we
// accept, encoding/json accepts with the same members and string values.
func FuzzClaimsJSON(f *testing.F) {
	f.Add(`{"aud":"a","exp":1700000000,"roles":["x","y"],"n":{"a":[1,2.5e-3,null,true]}}`)
	f.Add(`{"s":"\u00e9\ud83d\ude00\n\"","a":"\u0061"}`)
	f.Add(`{"a":1,"a":2}`)
	f.Add(`{"a":{"b":{"c":{}}}, "d":[[[]]]}`)
	f.Fuzz(func(t *testing.T, payload string) {
		tk, err := Parse(tok(`{"alg":"RS256"}`, payload), Options{MaxSize: 1 << 16})
		if err != nil {
			return
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(payload), &m); err != nil {
			t.Fatalf("we accepted what encoding/json refuses: %v", err)
		}
		if len(m) != len(tk.Claims.Members) {
			t.Fatalf("members %d vs %d", len(tk.Claims.Members), len(m))
		}
		for _, mem := range tk.Claims.Members {
			want, ok := m[mem.Name]
			if !ok {
				t.Fatalf("member %q unknown to encoding/json", mem.Name)
			}
			if ws, isStr := want.(string); isStr {
				got, _, err := tk.Claims.String(mem.Name)
				if err != nil || got != ws {
					t.Fatalf("string %q: %q vs %q (%v)", mem.Name, got, ws, err)
				}
			}
		}
	})
}
