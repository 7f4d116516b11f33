package config

import (
	"strings"
	"testing"
)

func TestDecodeHints(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"Server:\n  IdleTimeout: 30\n", "durations need a unit"},
		{"AzureAd:\n  ClientCredentials:\n    - SourceType: ClientSecret\n      ClientSecret: hunter2\n", "ClientSecretEnv"},
	} {
		_, err := Decode([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v", tc.yaml, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error echoes a secret: %v", err)
		}
	}
}
