package e2etest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/entragate/entragate/edge"
	"github.com/entragate/entragate/edge/internal/workerdtest"
	"github.com/entragate/entragate/emulator"
)

// TestWorkerLatency measures (does not assert) the first request of an
// isolate and warm latencies.
func TestWorkerLatency(t *testing.T) {
	e := newEnv(t, edge.L2KV)
	{
		bin := workerdtest.Binary(t, edgeDir)
		r := build(t, "./edge/cmd/worker")
		fresh := workerdtest.Start(t, workerdtest.Config{Workerd: bin, Dist: r.OutDir, Text: e.bindings, KV: []string{"TOKEN_CACHE"}})
		time.Sleep(2 * time.Second) // let workerd finish starting, so the first request measures Go's start
		var first, second time.Duration
		for i, d := range []*time.Duration{&first, &second} {
			start := time.Now()
			if a := call(t, fresh.URL, "/healthz", ""); a.Status != 200 {
				t.Fatalf("/healthz #%d = %d", i+1, a.Status)
			}
			*d = time.Since(start)
		}
		t.Logf("first request of an isolate (starts Go, builds the gateway): %s; the next: %s", first.Round(time.Microsecond), second.Round(time.Microsecond))
		fresh.Stop()
	}
	w := e.worker(t, "")
	native := e.native(t)
	alice := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	// The Worker and the native gateway measured in the same run, alternating
	// request by request, so that the machine's load hits both alike.
	for _, path := range []string{"/me", "/graph/me"} {
		for _, base := range []string{w.URL, native.URL} {
			start := time.Now()
			call(t, base, path, alice) // warm: keys, OBO token cached
			if base == w.URL {
				t.Logf("first %s (fetches %s): %s", path, map[string]string{"/me": "metadata + keys", "/graph/me": "OBO token"}[path], time.Since(start).Round(time.Microsecond))
			}
		}
		var dw, dn []time.Duration
		for i := 0; i < 300; i++ {
			for _, base := range []string{w.URL, native.URL} {
				start := time.Now()
				if a := call(t, base, path, alice); a.Status != 200 {
					t.Fatalf("%s%s = %d", base, path, a.Status)
				}
				if base == w.URL {
					dw = append(dw, time.Since(start))
				} else {
					dn = append(dn, time.Since(start))
				}
			}
		}
		slices.Sort(dw)
		slices.Sort(dn)
		t.Logf("warm %s latency over %d sequential requests (client-side, loopback, includes the emulator's Graph for /graph/me): worker p50 %s, p99 %s; native p50 %s, p99 %s",
			path, len(dw), dw[len(dw)/2].Round(time.Microsecond), dw[len(dw)*99/100].Round(time.Microsecond),
			dn[len(dn)/2].Round(time.Microsecond), dn[len(dn)*99/100].Round(time.Microsecond))
	}
}

// TestWorkerSize is the size budget: worker.wasm + wasm_exec.js + shim,
// each gzip -9, at most 2.5 MB.
func TestWorkerSize(t *testing.T) {
	r := build(t, "./edge/cmd/worker")
	const budget = 2_500_000
	t.Logf("worker size: wasm %d bytes; wasm + JS gzip -9 %d bytes (%.2f MB, budget %.1f MB)", r.WasmBytes, r.GzipBytes, float64(r.GzipBytes)/1e6, float64(budget)/1e6)
	if r.GzipBytes > budget {
		t.Fatalf("worker is %d bytes compressed, over the %d budget", r.GzipBytes, budget)
	}
}

// BenchmarkNativeCoreMe: the wired core (validation with a warm key set and
// verified-token cache) serving /me natively, for comparison with the
// Worker's warm latency.
func BenchmarkNativeCoreMe(b *testing.B) {
	e, err := emulator.New(emulator.Config{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	e.SetBaseURL(srv.URL)
	s, err := edge.FromBindings(map[string]string{
		edge.BindInstance: srv.URL + "/", edge.BindTenantID: emulator.DemoTenantID, edge.BindClientID: emulator.DemoAPIClientID,
	})
	if err != nil {
		b.Fatal(err)
	}
	core, err := edge.NewCore(s, edge.Deps{Doer: client})
	if err != nil {
		b.Fatal(err)
	}
	env := &env{emu: e, srv: srv}
	tok := env.userToken(b, emulator.DemoUser, emulator.DemoAPIScope)
	req := httptest.NewRequest(http.MethodGet, "/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		core.Handler.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("/me = %d %s", rec.Code, rec.Body)
		}
	}
}
