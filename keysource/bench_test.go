package keysource

import (
	"context"
	"strconv"
	"testing"
	"time"
)

func BenchmarkKeyHit(b *testing.B) {
	ks := newKeyServer(b, "K1", "K2", "K3")
	s := newTestSource(b, ks, newClock(), nil)
	if err := s.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Key(ctx, "K2", ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkKeyUnknownRateLimited(b *testing.B) {
	ks := newKeyServer(b, "K1")
	clk := newClock()
	s := newTestSource(b, ks, clk, func(c *Config) { c.UnknownKidInterval = time.Hour })
	if err := s.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	_, _ = s.Key(ctx, "warm-up", "") // spends the unknown-kid budget
	kids := make([]string, 1024)
	for i := range kids {
		kids[i] = "unknown-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_, _ = s.Key(ctx, kids[i%len(kids)], "")
	}
}
