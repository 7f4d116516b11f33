package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadVars(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string]string
		ok         bool
	}{
		{"plain", "A=1\n# comment\n\nB = \"two words\"\nC=x=y\n", map[string]string{"A": "1", "B": "two words", "C": "x=y"}, true},
		{"no equals", "A\n", nil, false},
		{"empty key", "=v\n", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "vars")
			if err := os.WriteFile(p, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := readVars(p)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v", err)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			if tt.ok && len(got) != len(tt.want) {
				t.Errorf("got %v", got)
			}
		})
	}
}
