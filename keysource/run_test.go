package keysource

import (
	"context"
	"testing"
	"time"
)

func TestRunSchedule(t *testing.T) {
	tests := []struct {
		name      string
		mode      mode
		wantSleep []time.Duration
	}{
		// Rand = 0.5: interval jitter factor 1.0; backoff factor 0.75.
		{"healthy", modeOK, []time.Duration{time.Hour, time.Hour, time.Hour, time.Hour}},
		{"failing", mode500, []time.Duration{7500 * time.Millisecond, 15 * time.Second, 30 * time.Second,
			60 * time.Second, 120 * time.Second, 225 * time.Second, 225 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks := newKeyServer(t, "K1")
			ks.setMode(tt.mode)
			clk := newClock()
			s := newTestSource(t, ks, clk, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var slept []time.Duration
			s.sleep = func(_ context.Context, d time.Duration) bool {
				slept = append(slept, d)
				if tt.mode == modeOK {
					// While Run is active, Key never refreshes lazily.
					before := ks.keyHits.Load()
					clk.Advance(d + time.Minute)
					mustKey(t, s, "K1")
					if ks.keyHits.Load() != before {
						t.Error("Key refreshed lazily while Run is active")
					}
					clk.Advance(-time.Minute)
				} else {
					clk.Advance(d)
				}
				return len(slept) < len(tt.wantSleep)
			}
			s.Run(ctx)
			if got := ks.keyHits.Load(); got != int64(len(tt.wantSleep)) {
				t.Fatalf("fetches = %d, want %d", got, len(tt.wantSleep))
			}
			for i := range tt.wantSleep {
				if slept[i] != tt.wantSleep[i] {
					t.Fatalf("sleeps = %v, want %v", slept, tt.wantSleep)
				}
			}
			s.mu.Lock()
			running := s.running
			s.mu.Unlock()
			if running != 0 {
				t.Fatal("Run did not unregister")
			}
		})
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ks := newKeyServer(t, "K1")
	s := newTestSource(t, ks, newClock(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Run(ctx) // returns at once, real sleep never reached
}

func TestJitterAndBackoffBounds(t *testing.T) {
	for _, r := range []float64{0, 0.25, 0.5, 0.999999} {
		s, err := New(Config{File: "k.json", Rand: func() float64 { return r }})
		if err != nil {
			t.Fatal(err)
		}
		if j := s.jitter(time.Hour); j < 54*time.Minute || j > 66*time.Minute {
			t.Fatalf("jitter(1h) with r=%v = %v", r, j)
		}
		for n := 1; n < 100; n++ {
			b := s.backoff(n)
			if b < DefaultRetryMin/2 || b > DefaultRetryMax {
				t.Fatalf("backoff(%d) with r=%v = %v", n, r, b)
			}
		}
	}
	// Backoff never exceeds the refresh interval.
	s, _ := New(Config{File: "k.json", RefreshInterval: time.Minute, Rand: func() float64 { return 0.999 }})
	if b := s.backoff(50); b > time.Minute {
		t.Fatalf("backoff above RefreshInterval: %v", b)
	}
}
