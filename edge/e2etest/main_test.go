// Package e2etest runs the edge Worker in the real workerd runtime: it
// builds the wasm, starts workerd from edge/node_modules/.bin/workerd and
// sends requests. Skipped when workerd is not installed, unless CI=true.
package e2etest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/entragate/entragate/edge/internal/buildtool"
)

const edgeDir = ".."

var (
	buildMu  sync.Mutex
	builds   = map[string]*buildtool.Result{}
	buildDir string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "entragate-edge-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles pkg once per test binary.
func build(t testing.TB, pkg string) *buildtool.Result {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if r, ok := builds[pkg]; ok {
		return r
	}
	out, err := os.MkdirTemp(buildDir, "dist-")
	if err != nil {
		t.Fatal(err)
	}
	r, err := buildtool.Build(context.Background(), buildtool.Options{Package: pkg, OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s: wasm %d bytes, wasm+JS gzip -9 %d bytes (%.2f MB)", pkg, r.WasmBytes, r.GzipBytes, float64(r.GzipBytes)/1e6)
	builds[pkg] = r
	return r
}
