package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestUsageFilter(t *testing.T) {
	tests := []struct {
		writes []string
		want   string
	}{
		{[]string{"flag provided but not defined: -x\n", "Usage: entragate token\n", "  -a\n"}, "flag provided but not defined: -x\n"},
		{[]string{"bad\nUsage: x\nmore\n"}, "bad\n"},
		{[]string{"log line\n", "another\n"}, "log line\nanother\n"},
		{[]string{"Usage: first\n", "x\n"}, ""},
	}
	for _, tc := range tests {
		var b bytes.Buffer
		f := &usageFilter{w: &b}
		for _, w := range tc.writes {
			if n, err := f.Write([]byte(w)); err != nil || n != len(w) {
				t.Fatal(n, err)
			}
		}
		if b.String() != tc.want {
			t.Errorf("%q: got %q want %q", tc.writes, b.String(), tc.want)
		}
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		out, errSS string
	}{
		{nil, 2, "", "usage: entragate"},
		{[]string{"help"}, 0, "usage: entragate", ""},
		{[]string{"nope"}, 2, "", `unknown command "nope"`},
		{[]string{"version"}, 0, "entragate " + Version, ""},
		{[]string{"serve", "--config"}, 2, "", "flag needs an argument"},
		{[]string{"serve", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"token", "--help"}, 0, "Usage: entragate token", ""},
		{[]string{"emulator", "rotate-keys", "-h"}, 0, "rotate-keys", ""},
		{[]string{"token", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
	}
	for _, tc := range tests {
		var o, e bytes.Buffer
		code := run(tc.args, &cmdEnv{stdin: strings.NewReader(""), stdout: &o, stderr: &e, lookupEnv: func(string) (string, bool) { return "", false }})
		if code != tc.code || !strings.Contains(o.String(), tc.out) || !strings.Contains(e.String(), tc.errSS) {
			t.Errorf("%v: %d\nstdout %s\nstderr %s", tc.args, code, o.String(), e.String())
		}
		if tc.code == 2 && len(tc.args) > 0 && strings.Count(strings.TrimSpace(e.String()), "\n") != 0 {
			t.Errorf("%v: stderr not one line: %q", tc.args, e.String())
		}
	}
}

func TestDevConfig(t *testing.T) {
	c, err := devConfig("http://127.0.0.1:8081", "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := c.Graph(); !ok || g.BaseUrl != "http://127.0.0.1:8081/v1.0" || c.AzureAd.Instance != "http://127.0.0.1:8081/" {
		t.Fatalf("%+v", c)
	}
}
