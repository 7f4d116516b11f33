package tokencache

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var bg = context.Background()

func TestMemoryExpiry(t *testing.T) {
	clk := &clock{t: time.Unix(1e9, 0)}
	m := NewMemory(10, 1<<20, clk.Now)
	_ = m.Set(bg, "a", []byte("1"), clk.Now().Add(time.Minute))
	_ = m.Set(bg, "dead", []byte("1"), clk.Now()) // already expired: dropped
	if v, ok, _ := m.Get(bg, "a"); !ok || string(v) != "1" {
		t.Fatal("miss")
	}
	if _, ok, _ := m.Get(bg, "dead"); ok || m.Len() != 1 {
		t.Fatal("expired value stored")
	}
	clk.Add(time.Minute)
	if _, ok, _ := m.Get(bg, "a"); ok {
		t.Fatal("served at expiry")
	}
	if m.Len() != 0 || m.Bytes() != 0 {
		t.Fatalf("not purged: %d %d", m.Len(), m.Bytes())
	}
}

func TestMemoryEviction(t *testing.T) {
	clk := &clock{t: time.Unix(1e9, 0)}
	tests := []struct {
		name       string
		entries    int
		bytes      int64
		wantGone   []string
		wantKept   []string
		expireLate bool
	}{
		// "b" expires soonest, so it goes first once the cache is full.
		{"entries", 3, 1 << 20, []string{"b"}, []string{"a", "c", "d"}, false},
		// After time passes, expired "b" and "c" are purged before any live one.
		{"expired first", 3, 1 << 20, []string{"b", "c"}, []string{"a", "d"}, true},
		{"bytes", 100, 2*(entryOverhead+1+100) + 10, []string{"b", "c"}, []string{"a", "d"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory(tt.entries, tt.bytes, clk.Now)
			now := clk.Now()
			v := make([]byte, 100)
			_ = m.Set(bg, "a", v, now.Add(time.Hour))
			_ = m.Set(bg, "b", v, now.Add(time.Minute))
			_ = m.Set(bg, "c", v, now.Add(2*time.Minute))
			if tt.expireLate {
				clk.Add(3 * time.Minute)
				defer clk.Add(-3 * time.Minute)
			}
			_ = m.Set(bg, "d", v, now.Add(30*time.Minute))
			for _, k := range tt.wantGone {
				if _, ok, _ := m.Get(bg, k); ok {
					t.Errorf("%s kept", k)
				}
			}
			for _, k := range tt.wantKept {
				if _, ok, _ := m.Get(bg, k); !ok {
					t.Errorf("%s evicted", k)
				}
			}
			if m.Bytes() > tt.bytes || m.Len() > tt.entries {
				t.Errorf("over budget %d %d", m.Len(), m.Bytes())
			}
		})
	}
}

func TestMemoryOverwriteAndHuge(t *testing.T) {
	clk := &clock{t: time.Unix(1e9, 0)}
	m := NewMemory(10, 1000, clk.Now)
	_ = m.Set(bg, "a", []byte("1"), clk.Now().Add(time.Hour))
	_ = m.Set(bg, "a", []byte("22"), clk.Now().Add(time.Hour))
	if v, _, _ := m.Get(bg, "a"); string(v) != "22" || m.Len() != 1 || m.Bytes() != int64(1+2+entryOverhead) {
		t.Fatalf("overwrite: %q %d %d", v, m.Len(), m.Bytes())
	}
	_ = m.Set(bg, "big", make([]byte, 2000), clk.Now().Add(time.Hour))
	if _, ok, _ := m.Get(bg, "big"); ok {
		t.Fatal("value above budget stored")
	}
	m.Delete(bg, "a")
	if m.Len() != 0 || m.Bytes() != 0 {
		t.Fatal("delete")
	}
}

func TestMemoryConcurrent(t *testing.T) {
	clk := &clock{t: time.Unix(1e9, 0)}
	m := NewMemory(50, 1<<20, clk.Now)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := fmt.Sprint(g, "-", i%100)
				_ = m.Set(bg, k, []byte(k), clk.Now().Add(time.Duration(i%17)*time.Second))
				_, _, _ = m.Get(bg, k)
				if i%500 == 0 {
					clk.Add(time.Second)
				}
			}
		})
	}
	wg.Wait()
	if m.Len() > 50 {
		t.Fatal(m.Len())
	}
}

func BenchmarkMemoryGet(b *testing.B) {
	m := NewMemory(10000, 64<<20, time.Now)
	for i := range 10000 {
		_ = m.Set(bg, fmt.Sprintf("%064d", i), make([]byte, 1500), time.Now().Add(time.Hour))
	}
	k := fmt.Sprintf("%064d", 4242)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok, _ := m.Get(bg, k); !ok {
				b.Fatal("miss")
			}
		}
	})
}

func BenchmarkMemorySetChurn(b *testing.B) {
	m := NewMemory(1000, 64<<20, time.Now)
	v := make([]byte, 1500)
	exp := time.Now().Add(time.Hour)
	i := 0
	for b.Loop() {
		i++
		_ = m.Set(bg, fmt.Sprint(i), v, exp.Add(time.Duration(i%1000)*time.Second))
	}
}
