// Command build is the edge Worker's one build command:
//
//	go run ./edge/build            # writes edge/dist/{worker.wasm,wasm_exec.js,worker.mjs}
//	go run ./edge/build -max 2.5   # also fails if the gzip -9 total exceeds 2.5 MB
//
// It prints the sizes, compressed as Cloudflare counts them. With -vars it
// also writes edge/dist/workerd.capnp to run the Worker locally in workerd:
//
//	go run ./edge/build -vars edge/dev.vars -kv TOKEN_CACHE
//	edge/node_modules/.bin/workerd serve edge/dist/workerd.capnp --experimental --socket-addr http=127.0.0.1:8787
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/entragate/entragate/edge/internal/buildtool"
)

func main() {
	out := flag.String("o", "", "output directory (default edge/dist)")
	pkg := flag.String("pkg", "./edge/cmd/worker", "main package to build")
	maxMB := flag.Float64("max", 0, "fail if the gzip -9 total exceeds this many MB (10^6 bytes); 0 = no check")
	vars := flag.String("vars", "", "KEY=VALUE file (like wrangler's .dev.vars): also write workerd.capnp with these bindings")
	kv := flag.String("kv", "", "comma-separated KV namespace bindings for workerd.capnp (stored under -state)")
	state := flag.String("state", "", "directory for local KV and Cache API data (default <output>/state)")
	flag.Parse()
	res, err := buildtool.Build(context.Background(), buildtool.Options{Package: *pkg, OutDir: *out})
	if err != nil {
		fail(err)
	}
	fmt.Printf("built %s\n", res.OutDir)
	fmt.Printf("worker.wasm: %d bytes; wasm + JS gzip -9: %d bytes (%.2f MB)\n", res.WasmBytes, res.GzipBytes, float64(res.GzipBytes)/1e6)
	if *vars != "" {
		text, err := readVars(*vars)
		if err != nil {
			fail(err)
		}
		dir := *state
		if dir == "" {
			dir = filepath.Join(res.OutDir, "state")
		}
		if dir, err = filepath.Abs(dir); err != nil {
			fail(err)
		}
		cfg := buildtool.WorkerdConfig{Text: text, Cache: true, StateDir: dir}
		for _, name := range strings.Split(*kv, ",") {
			if name = strings.TrimSpace(name); name != "" {
				cfg.KV = append(cfg.KV, name)
			}
		}
		path := filepath.Join(res.OutDir, "workerd.capnp")
		if err := os.WriteFile(path, []byte(cfg.Capnp()), 0o600); err != nil { // may hold secrets
			fail(err)
		}
		fmt.Printf("wrote %s (%d bindings; serve with --experimental --socket-addr http=127.0.0.1:8787)\n", path, len(text))
	}
	if *maxMB > 0 && float64(res.GzipBytes) > *maxMB*1e6 {
		fail(fmt.Errorf("size check failed: %.2f MB > %.2f MB", float64(res.GzipBytes)/1e6, *maxMB))
	}
}

// readVars reads KEY=VALUE lines; blank lines and # comments are skipped,
// surrounding double quotes removed.
func readVars(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%s:%d: not KEY=VALUE", path, n)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, sc.Err()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
