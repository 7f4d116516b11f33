package rediscache

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestBreakerLogDuration: the "circuit opened" line carries the cooldown
// as a duration string ("5s"), not nanoseconds.
func TestBreakerLogDuration(t *testing.T) {
	tests := []struct {
		cooldown time.Duration
		want     string
	}{
		{0, "5s"}, // DefaultCooldown
		{1500 * time.Millisecond, "1.5s"},
		{2 * time.Minute, "2m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			var buf bytes.Buffer
			c, err := New(Options{URL: "redis://127.0.0.1:1", Sealer: sealer(t, "k1", "k1"), FailureThreshold: 1,
				Cooldown: tc.cooldown, OpTimeout: 50 * time.Millisecond, Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, _, err := c.Get(bg, "k"); err == nil {
				t.Fatal("no error from a closed port")
			}
			var line map[string]any
			for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				if strings.Contains(l, "circuit opened") {
					if err := json.Unmarshal([]byte(l), &line); err != nil {
						t.Fatal(err)
					}
				}
			}
			if line == nil {
				t.Fatalf("no breaker line in %s", buf.String())
			}
			if got, ok := line["cooldown"].(string); !ok || got != tc.want {
				t.Fatalf("cooldown %#v, want %q", line["cooldown"], tc.want)
			}
		})
	}
}
