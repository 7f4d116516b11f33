package obo

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestMergeCapabilities(t *testing.T) {
	tests := []struct {
		claims string
		want   string
		err    bool
	}{
		{"", `{"access_token":{"xms_cc":{"values":["cp1"]}}}`, false},
		{`{"access_token":{"polids":{"essential":true,"values":["x"]}}}`, `{"access_token":{"polids":{"essential":true,"values":["x"]},"xms_cc":{"values":["cp1"]}}}`, false},
		{`{"id_token":{"a":1}}`, `{"access_token":{"xms_cc":{"values":["cp1"]}},"id_token":{"a":1}}`, false},
		{`[1]`, "", true},
		{`{"access_token":5}`, "", true},
	}
	for _, tt := range tests {
		got, err := mergeCapabilities(tt.claims, []string{"cp1"})
		if tt.err {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("%s: %v", tt.claims, err)
			}
			continue
		}
		var g, w any
		_ = json.Unmarshal([]byte(got), &g)
		_ = json.Unmarshal([]byte(tt.want), &w)
		if err != nil || !reflect.DeepEqual(g, w) {
			t.Errorf("%s: got %s want %s (%v)", tt.claims, got, tt.want, err)
		}
	}
	if got, _ := mergeCapabilities(`{"x":1}`, nil); got != `{"x":1}` {
		t.Error("no capabilities must not change the claims")
	}
}

func TestClientCapabilitiesSent(t *testing.T) {
	f := newFakeEndpoint(t)
	c := newTestClient(t, f, newClock(), func(cfg *Config) { cfg.ClientCapabilities = []string{"cp1"} })
	if _, err := c.Token(bg, Request{Assertion: jwtLike("a"), Scopes: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	if got := f.lastForm().Get("claims"); got != `{"access_token":{"xms_cc":{"values":["cp1"]}}}` {
		t.Fatal(got)
	}
}
