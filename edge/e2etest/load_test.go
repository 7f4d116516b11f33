package e2etest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/entragate/entragate/edge"
	"github.com/entragate/entragate/emulator"
)

func TestWorkerConcurrentOBOIsSingleFlight(t *testing.T) {
	e := newEnv(t, edge.L2KV)
	w := e.readyWorker(t, "")
	bob := e.userToken(t, emulator.DemoUser2, emulator.DemoAPIScope)
	before := e.oboRequests()
	const n = 200
	var wg sync.WaitGroup
	codes := make(chan answer, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- call(t, w.URL, "/graph/me", bob)
		}()
	}
	wg.Wait()
	close(codes)
	bad := 0
	for a := range codes {
		if a.Status != 200 {
			if bad < 3 {
				t.Errorf("/graph/me = %d %s", a.Status, a.Body)
			}
			bad++
		}
	}
	if got := e.oboRequests() - before; got != 1 {
		t.Errorf("OBO requests for %d concurrent /graph/me = %v, want 1", n, got)
	}
	if bad > 0 {
		t.Fatalf("%d of %d failed", bad, n)
	}
	assertNoLeftovers(t, w.URL)
}

func TestWorkerMixedLoad(t *testing.T) {
	e := newEnv(t, edge.L2Cache)
	w := e.readyWorker(t, "")
	alice := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	bob := e.userToken(t, emulator.DemoUser2, emulator.DemoAPIScope)
	kinds := []struct {
		path, token string
		want        int
	}{
		{"/me", alice, 200},
		{"/graph/me", alice, 200},
		{"/graph/me", bob, 200},
		{"/me", "", 401},
		{"/me", tamper(bob), 401},
		{"/graph/me", "x.y.z", 401},
		{"/healthz", "", 200},
	}
	const total, conc = 1000, 40
	jobs := make(chan int)
	var mu sync.Mutex
	wrong := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				k := kinds[j%len(kinds)]
				a := call(t, w.URL, k.path, k.token)
				if a.Status != k.want {
					mu.Lock()
					wrong[fmt.Sprintf("%s want %d got %d", k.path, k.want, a.Status)]++
					mu.Unlock()
				}
			}
		}()
	}
	for j := 0; j < total; j++ {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	if len(wrong) > 0 {
		t.Fatalf("wrong statuses: %v", wrong)
	}
	if got := e.oboRequests(); got != 2 {
		t.Errorf("OBO requests = %v, want 2 (one per user)", got)
	}
	assertNoLeftovers(t, w.URL)
}

func TestWorkerL2SurvivesRestart(t *testing.T) {
	for _, l2 := range []string{edge.L2KV, edge.L2Cache} {
		t.Run(l2, func(t *testing.T) {
			e := newEnv(t, l2)
			state := t.TempDir()
			w := e.worker(t, state)
			alice := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
			if a := call(t, w.URL, "/graph/me", alice); a.Status != 200 {
				t.Fatalf("/graph/me = %d %s", a.Status, a.Body)
			}
			w.Stop()
			w2 := e.worker(t, state) // new isolate: empty L1, same L2
			if a := call(t, w2.URL, "/graph/me", alice); a.Status != 200 {
				t.Fatalf("/graph/me after restart = %d %s", a.Status, a.Body)
			}
			if got := e.oboRequests(); got != 1 {
				t.Errorf("OBO requests = %v, want 1 (second isolate served from the %s L2)", got, l2)
			}
		})
	}
}

// assertNoLeftovers checks, through the shim's debug figures, that no
// goroutine, request or operation outlived the load.
func assertNoLeftovers(t *testing.T, base string) {
	t.Helper()
	var st struct{ Goroutines, Requests, Ops, Slots int }
	a := call(t, base, "/_edge/stats", "")
	if err := json.Unmarshal(a.Body, &st); err != nil {
		t.Fatalf("/_edge/stats = %d %s", a.Status, a.Body)
	}
	t.Logf("after the load: %+v", st)
	// main, the bridge's idle helpers; no request is open while /_edge/stats is answered by the shim.
	if st.Goroutines > 6 || st.Requests != 0 || st.Ops != 0 || st.Slots != 0 {
		t.Errorf("leftovers after the load: %+v", st)
	}
}

// TestWorkerL2KeyChange: after TOKENCACHE_ENCRYPTION_KEYS changes, entries
// sealed with the old key are misses (DEBUG), as natively, not an
// unavailable L2 (WARN); the new token is stored and served from L2.
func TestWorkerL2KeyChange(t *testing.T) {
	for _, l2 := range []string{edge.L2KV, edge.L2Cache} {
		t.Run(l2, func(t *testing.T) {
			e := newEnv(t, l2)
			state := t.TempDir()
			w := e.worker(t, state)
			alice := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
			if a := call(t, w.URL, "/graph/me", alice); a.Status != 200 {
				t.Fatalf("/graph/me = %d %s", a.Status, a.Body)
			}
			w.Stop()
			e.bindings[edge.BindCacheKeys] = "k2:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
			w2 := e.worker(t, state) // new isolate, new key: the stored entry does not open
			if a := call(t, w2.URL, "/graph/me", alice); a.Status != 200 {
				t.Fatalf("/graph/me after the key change = %d %s", a.Status, a.Body)
			}
			if got := e.oboRequests(); got != 2 {
				t.Errorf("OBO requests = %v, want 2 (the old entry is a miss)", got)
			}
			w2.Stop()
			w3 := e.worker(t, state) // same new key: served from L2
			if a := call(t, w3.URL, "/graph/me", alice); a.Status != 200 {
				t.Fatalf("/graph/me after a second restart = %d %s", a.Status, a.Body)
			}
			if got := e.oboRequests(); got != 2 {
				t.Errorf("OBO requests = %v, want 2 (entry rewritten under the new key)", got)
			}
			for _, w := range []interface{ Logs() string }{w2, w3} {
				if logs := w.Logs(); strings.Contains(logs, "L2 cache unavailable") || strings.Contains(logs, "unknown key id") {
					t.Errorf("worker logged the old entry as an L2 failure (want a DEBUG miss):\n%s", logs)
				}
			}
		})
	}
}
