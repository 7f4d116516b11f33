//go:build js && wasm

// Command testworker is a Worker used only by edge/e2etest to prove the
// bridge's concurrency design without the gateway: outbound fetches, Go
// timers, panics and goroutine accounting.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/entragate/entragate/edge"
)

func main() {
	edge.Serve(edge.Options{Setup: setup})
}

func setup(env map[string]string, b *edge.Bridge) (http.Handler, error) {
	doer := b.Doer()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello")
	})
	// /fetch?url=...&n=K fetches url K times in sequence and reports the bodies' total size.
	mux.HandleFunc("GET /fetch", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if n <= 0 {
			n = 1
		}
		total := 0
		for i := 0; i < n; i++ {
			req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, r.URL.Query().Get("url"), nil)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			res, err := doer.Do(req)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			p, _ := io.ReadAll(res.Body)
			total += len(p)
		}
		fmt.Fprint(w, total)
	})
	// /sleep?ms=N waits on a Go timer (or the request's cancellation).
	mux.HandleFunc("GET /sleep", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
			fmt.Fprint(w, "slept")
		case <-r.Context().Done():
			http.Error(w, "cancelled", http.StatusGatewayTimeout)
		}
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	})
	// /crash panics outside any handler: the Go runtime dies and the shim
	// must start a fresh one on the next request.
	mux.HandleFunc("GET /crash", func(w http.ResponseWriter, r *http.Request) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			panic("crash outside the handler")
		}()
		<-done
	})
	// /lead?url= starts one fetch detached from its request (as keysource
	// and obo leaders do) and answers at once; /follow waits for its
	// result. The fetch must survive the end of the request that started it.
	type flight struct {
		started, done chan struct{}
		n             int
		err           error
	}
	fl := &flight{started: make(chan struct{}), done: make(chan struct{})}
	var leadOnce sync.Once
	mux.HandleFunc("GET /lead", func(w http.ResponseWriter, r *http.Request) {
		leadOnce.Do(func() {
			ctx := context.WithoutCancel(r.Context())
			go func() {
				defer close(fl.done)
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL.Query().Get("url"), nil)
				if err == nil {
					var res *http.Response
					if res, err = doer.Do(req); err == nil {
						p, _ := io.ReadAll(res.Body)
						fl.n = len(p)
					}
				}
				fl.err = err
			}()
			close(fl.started)
		})
		fmt.Fprint(w, "started")
	})
	mux.HandleFunc("GET /follow", func(w http.ResponseWriter, r *http.Request) {
		for _, ch := range []chan struct{}{fl.started, fl.done} {
			select {
			case <-ch:
			case <-r.Context().Done():
				http.Error(w, "cancelled", http.StatusGatewayTimeout)
				return
			}
		}
		if fl.err != nil {
			http.Error(w, fl.err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, fl.n)
	})
	mux.HandleFunc("GET /env", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, env["GREETING"])
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		st := b.Stats()
		_ = json.NewEncoder(w).Encode(map[string]int{"goroutines": runtime.NumGoroutine(), "requests": st.Requests, "ops": st.Ops})
	})
	// /kv?op=put|get&key=&val= exercises the KV store; /cache the same for the Cache API.
	kv, cache := b.KVStore("KV"), b.CacheStore("")
	store := func(s *edge.Store) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			defer cancel()
			switch q.Get("op") {
			case "put":
				if err := s.Set(ctx, q.Get("key"), []byte(q.Get("val")), time.Minute); err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				fmt.Fprint(w, "ok")
			default:
				v, found, err := s.Get(ctx, q.Get("key"))
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				if !found {
					http.Error(w, "miss", http.StatusNotFound)
					return
				}
				w.Write(v)
			}
		}
	}
	mux.HandleFunc("GET /kv", store(kv))
	mux.HandleFunc("GET /cache", store(cache))
	return mux, nil
}
