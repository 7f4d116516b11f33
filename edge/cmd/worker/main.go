//go:build js && wasm

// Command worker is entragate's Cloudflare Worker: the gateway (GET /me,
// /graph/me, /healthz, /readyz) built for js/wasm and driven by
// edge/shim/worker.mjs. Build it with `go run ./edge/build`.
package main

import (
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/entragate/entragate/edge"
)

// logLevel is LOGGING_LEVEL once the bindings are read (INFO before: a
// refused configuration is logged at ERROR).
var logLevel slog.LevelVar

// log writes JSON lines on the Worker's console, for the bridge (refused
// configuration, handler panics) and the core alike.
var log = slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: &logLevel}))

func main() {
	edge.Serve(edge.Options{Setup: setup, Logger: log})
}

func setup(env map[string]string, b *edge.Bridge) (http.Handler, error) {
	s, err := edge.FromWorker(env, b.Runtime())
	if err != nil {
		return nil, err
	}
	logLevel.Set(level(s.Config.Logging.Level))
	d := edge.Deps{Doer: b.Doer(), Logger: log}
	switch s.L2 {
	case edge.L2KV:
		d.L2Store = b.KVStore(s.KVBinding)
	case edge.L2Cache:
		d.L2Store = b.CacheStore(s.CacheName)
	}
	core, err := edge.NewCore(s, d)
	if err != nil {
		return nil, err
	}
	return core.Handler, nil
}

func level(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
