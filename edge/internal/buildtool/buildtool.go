// Package buildtool builds the edge Worker: the js/wasm binary, Go's
// wasm_exec.js and the JS shim, side by side in one directory, and measures
// their gzip -9 size. Used by edge/build (the one build command) and by the
// e2e tests.
package buildtool

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Options says what to build where.
type Options struct {
	// Package is the main package to build (default "./edge/cmd/worker").
	Package string
	// OutDir receives worker.wasm, wasm_exec.js and worker.mjs (default edge/dist).
	OutDir string
	// Root is the module root (default: found with `go env GOMOD`).
	Root string
}

// Result lists the files written and their sizes.
type Result struct {
	OutDir    string
	Files     []string // absolute paths: worker.wasm, wasm_exec.js, worker.mjs
	WasmBytes int64
	// GzipBytes is the sum of each file's gzip -9 size (compress/gzip at
	// BestCompression), which is how Cloudflare counts the Worker's size.
	GzipBytes int64
}

// Build compiles the Worker. It shells out to the go command of the PATH.
func Build(ctx context.Context, opts Options) (*Result, error) {
	root := opts.Root
	if root == "" {
		out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
		if err != nil {
			return nil, fmt.Errorf("buildtool: go env GOMOD: %w", err)
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			return nil, errors.New("buildtool: not inside the entragate module")
		}
		root = filepath.Dir(gomod)
	}
	pkg := opts.Package
	if pkg == "" {
		pkg = "./edge/cmd/worker"
	}
	outDir := opts.OutDir
	if outDir == "" {
		outDir = filepath.Join(root, "edge", "dist")
	}
	outDir, err := filepath.Abs(outDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	wasm := filepath.Join(outDir, "worker.wasm")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", wasm, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("buildtool: go build %s: %w\n%s", pkg, err, stderr.String())
	}
	goroot, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("buildtool: go env GOROOT: %w", err)
	}
	execJS := filepath.Join(outDir, "wasm_exec.js")
	if err := copyFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"), execJS); err != nil {
		return nil, err
	}
	shim := filepath.Join(outDir, "worker.mjs")
	if err := copyFile(filepath.Join(root, "edge", "shim", "worker.mjs"), shim); err != nil {
		return nil, err
	}
	res := &Result{OutDir: outDir, Files: []string{wasm, execJS, shim}}
	if fi, err := os.Stat(wasm); err == nil {
		res.WasmBytes = fi.Size()
	}
	for _, f := range res.Files {
		n, err := GzipSize(f)
		if err != nil {
			return nil, err
		}
		res.GzipBytes += n
	}
	return res, nil
}

// GzipSize is the size of path compressed with gzip at level 9.
func GzipSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n countWriter
	zw, err := gzip.NewWriterLevel(&n, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(zw, f); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return int64(n), nil
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

func copyFile(src, dst string) error {
	p, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("buildtool: %w", err)
	}
	return os.WriteFile(dst, p, 0o644)
}
