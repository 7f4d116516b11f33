package edge_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// corePackages must build for js/wasm and do their HTTP through a Doer.
var corePackages = []string{
	"jwt", "jwk", "authority", "validate", "obo", "tokencache", "keysource",
	"gateway", "httpauth", "problem", "config",
}

// forbidden are the net/http names that send requests by themselves.
var forbidden = map[string]bool{
	"Client": true, "DefaultClient": true, "Get": true, "Post": true, "PostForm": true,
	"Head": true, "DefaultTransport": true, "Transport": true,
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repo root not found: %v", err)
	}
	return root
}

// TestCoreBuildsForWasm compiles every core package with GOOS=js GOARCH=wasm.
func TestCoreBuildsForWasm(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the core for js/wasm")
	}
	root := repoRoot(t)
	args := []string{"build", "-o", os.DevNull}
	for _, p := range corePackages {
		args = append(args, "./"+p+"/...")
	}
	args = append(args, "./edge/cmd/worker")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("core does not build for js/wasm: %v\n%s", err, out)
	}
}

// TestCoreUsesNoHTTPClient scans the core's non-test sources for
// http.Client, http.DefaultClient, http.Get/Post/Head/PostForm and the
// default transport.
func TestCoreUsesNoHTTPClient(t *testing.T) {
	root := repoRoot(t)
	for _, pkg := range corePackages {
		dir := filepath.Join(root, pkg)
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("core package %s is missing: %v", pkg, err)
			continue
		}
		files := 0
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			files++
			for _, v := range violations(t, path) {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s: %s (core packages send HTTP through a Doer)", rel, v)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		if files == 0 {
			t.Errorf("core package %s has no Go files", pkg)
		}
	}
}

func violations(t *testing.T, path string) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Errorf("parse %s: %v", path, err)
		return nil
	}
	names := map[string]bool{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if p != "net/http" {
			continue
		}
		name := "http"
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = true
	}
	if len(names) == 0 {
		return nil
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && names[id.Name] && forbidden[sel.Sel.Name] {
			out = append(out, fset.Position(sel.Pos()).String()+": uses "+id.Name+"."+sel.Sel.Name)
		}
		return true
	})
	return out
}

// TestViolationsDetector proves the scanner finds what it must.
func TestViolationsDetector(t *testing.T) {
	dir := t.TempDir()
	src := `package x
import (
	h "net/http"
)
func f() { _, _ = h.Get("x"); c := &h.Client{}; _ = c; _ = h.DefaultClient; var r *h.Request; _ = r }
`
	p := filepath.Join(dir, "x.go")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := violations(t, p); len(got) != 3 {
		t.Fatalf("violations = %v, want 3", got)
	}
}
