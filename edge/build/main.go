// Command build is the edge Worker's one build command:
//
//	go run ./edge/build            # writes edge/dist/{worker.wasm,wasm_exec.js,worker.mjs}
//	go run ./edge/build -max 2.5   # also fails if the gzip -9 total exceeds 2.5 MB
//
// It prints the sizes, compressed as Cloudflare counts them.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/entragate/entragate/edge/internal/buildtool"
)

func main() {
	out := flag.String("o", "", "output directory (default edge/dist)")
	pkg := flag.String("pkg", "./edge/cmd/worker", "main package to build")
	maxMB := flag.Float64("max", 0, "fail if the gzip -9 total exceeds this many MB (10^6 bytes); 0 = no check")
	flag.Parse()
	res, err := buildtool.Build(context.Background(), buildtool.Options{Package: *pkg, OutDir: *out})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("built %s\n", res.OutDir)
	fmt.Printf("worker.wasm: %d bytes; wasm + JS gzip -9: %d bytes (%.2f MB)\n", res.WasmBytes, res.GzipBytes, float64(res.GzipBytes)/1e6)
	if *maxMB > 0 && float64(res.GzipBytes) > *maxMB*1e6 {
		fmt.Fprintf(os.Stderr, "size check failed: %.2f MB > %.2f MB\n", float64(res.GzipBytes)/1e6, *maxMB)
		os.Exit(1)
	}
}
