package e2etest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entragate/entragate/edge/internal/workerdtest"
)

// startTestWorker runs edge/internal/testworker (bridge only, no gateway).
func startTestWorker(t *testing.T, budgetMS string) *workerdtest.Worker {
	t.Helper()
	bin := workerdtest.Binary(t, edgeDir)
	r := build(t, "./edge/internal/testworker")
	w := workerdtest.Start(t, workerdtest.Config{
		Workerd: bin, Dist: r.OutDir,
		Text:  map[string]string{"GREETING": "hi from a binding", "EDGE_REQUEST_TIMEOUT_MS": budgetMS},
		KV:    []string{"KV"},
		Cache: true,
	})
	cold := w.WaitReady(t, "/hello", 30*time.Second)
	t.Logf("test worker cold start (launch to first 200): %s", cold)
	return w
}

func get(t testing.TB, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0, ""
	}
	defer res.Body.Close()
	p, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, string(p)
}

func TestBridge(t *testing.T) {
	w := startTestWorker(t, "60000")    // generous: the machine may be loaded
	short := startTestWorker(t, "1500") // for the budget and hang-up checks

	var inflight, peak atomic.Int64
	upstream := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond) // keep requests overlapping
		fmt.Fprint(rw, strings.Repeat("x", 100))
	}))
	t.Cleanup(upstream.Close)
	hangDone := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hangDone:
		}
	}))
	t.Cleanup(func() { close(hangDone); hang.Close() })

	t.Run("basics", func(t *testing.T) {
		if code, body := get(t, w.URL+"/env"); code != 200 || body != "hi from a binding" {
			t.Fatalf("/env = %d %q", code, body)
		}
		if code, _ := get(t, w.URL+"/nope"); code != 404 {
			t.Fatalf("/nope = %d", code)
		}
	})

	t.Run("overlapping outbound fetches", func(t *testing.T) {
		const n = 200
		var wg sync.WaitGroup
		errs := make(chan string, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, body := get(t, w.URL+"/fetch?n=3&url="+upstream.URL+"/x")
				if code != 200 || body != "300" {
					errs <- fmt.Sprintf("%d %q", code, body)
				}
			}()
		}
		wg.Wait()
		close(errs)
		bad := 0
		for e := range errs {
			if bad < 5 {
				t.Errorf("fetch: %s", e)
			}
			bad++
		}
		if bad > 0 {
			t.Fatalf("%d of %d requests failed", bad, n)
		}
		t.Logf("peak concurrent upstream requests: %d", peak.Load())
		if peak.Load() < 2 {
			t.Errorf("requests did not overlap (peak %d)", peak.Load())
		}
	})

	t.Run("detached work outlives the request that started it", func(t *testing.T) {
		slow := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			time.Sleep(300 * time.Millisecond)
			fmt.Fprint(rw, strings.Repeat("y", 42))
		}))
		defer slow.Close()
		var wg sync.WaitGroup
		for i := 0; i < 5; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code, body := get(t, w.URL+"/follow"); code != 200 || body != "42" {
					t.Errorf("/follow = %d %q", code, body)
				}
			}()
		}
		time.Sleep(200 * time.Millisecond) // the followers are waiting
		if code, body := get(t, w.URL+"/lead?url="+slow.URL); code != 200 {
			t.Fatalf("/lead = %d %q", code, body)
		}
		wg.Wait()
	})

	t.Run("go timers under concurrency", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if code, body := get(t, fmt.Sprintf("%s/sleep?ms=%d", w.URL, 10+i)); code != 200 || body != "slept" {
					t.Errorf("sleep: %d %q", code, body)
				}
			}(i)
		}
		wg.Wait()
	})

	t.Run("request budget", func(t *testing.T) {
		start := time.Now()
		code, _ := get(t, short.URL+"/sleep?ms=60000")
		if code != http.StatusGatewayTimeout {
			t.Fatalf("long request = %d, want 504", code)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("budget not enforced: %s", d)
		}
	})

	t.Run("panic becomes 500 and the isolate survives", func(t *testing.T) {
		res, err := http.Get(w.URL + "/panic")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 500 || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("/panic = %d %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		if code, _ := get(t, w.URL+"/hello"); code != 200 {
			t.Fatalf("/hello after panic = %d", code)
		}
	})

	t.Run("kv and cache stores", func(t *testing.T) {
		for _, s := range []string{"kv", "cache"} {
			if code, body := get(t, w.URL+"/"+s+"?op=get&key=k1"); code != 404 {
				t.Fatalf("%s miss = %d %q", s, code, body)
			}
			if code, body := get(t, w.URL+"/"+s+"?op=put&key=k1&val=v1"); code != 200 {
				t.Fatalf("%s put = %d %q", s, code, body)
			}
			if code, body := get(t, w.URL+"/"+s+"?op=get&key=k1"); code != 200 || body != "v1" {
				t.Fatalf("%s get = %d %q", s, code, body)
			}
		}
	})

	t.Run("no goroutine outlives its request", func(t *testing.T) {
		var st struct{ Goroutines int }
		_, body := get(t, w.URL+"/stats")
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatal(err)
		}
		// main + the /stats handler itself + runtime helpers; the 250
		// requests above left nothing behind.
		if st.Goroutines > 8 {
			t.Fatalf("goroutines after the load: %d", st.Goroutines)
		}
		t.Logf("goroutines after load: %d", st.Goroutines)
	})

	t.Run("clients that hang up are released", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, short.URL+"/fetch?url="+hang.URL, nil)
				if res, err := http.DefaultClient.Do(req); err == nil {
					res.Body.Close()
				}
			}()
		}
		wg.Wait()
		// Budget 1.5 s + grace 1 s + sweep margin 5 s; the sweep runs on a later request.
		deadline := time.Now().Add(15 * time.Second)
		var st struct{ Goroutines, Requests, Ops int }
		for time.Now().Before(deadline) {
			time.Sleep(500 * time.Millisecond)
			_, body := get(t, short.URL+"/stats")
			if err := json.Unmarshal([]byte(body), &st); err != nil {
				t.Fatal(err)
			}
			if st.Requests <= 1 && st.Ops == 0 && st.Goroutines <= 8 {
				t.Logf("after hang-ups: %+v", st)
				return
			}
		}
		t.Fatalf("hung-up requests not released: %+v", st)
	})

	t.Run("a dead Go runtime is restarted", func(t *testing.T) {
		if code, _ := get(t, w.URL+"/crash"); code != 500 {
			t.Fatalf("/crash = %d, want 500", code)
		}
		if code, body := get(t, w.URL+"/env"); code != 200 || body != "hi from a binding" {
			t.Fatalf("/env after crash = %d %q", code, body)
		}
	})
}
