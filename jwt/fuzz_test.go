package jwt

import (
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
