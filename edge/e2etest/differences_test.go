package e2etest

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/entragate/entragate/edge"
	"github.com/entragate/entragate/emulator"
)

// TestWorkerDocumentedDifferences pins the intentional differences from
// the native server that docs/edge.md lists ("Differences from native").
func TestWorkerDocumentedDifferences(t *testing.T) {
	e := newEnv(t, edge.L2None)
	w := e.worker(t, "")
	native := e.native(t)
	alice := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope)
	do := func(method, base, path string, body []byte) int {
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+alice)
		c := *client
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, c := range []struct {
		name, method, path string
		body               []byte
		native, worker     int
	}{
		{"metrics are native only", http.MethodGet, "/metrics", nil, 200, 404},
		{"path cleaning //me", http.MethodGet, "//me", nil, 307, 404},
		{"POST with a body over 64 KiB", http.MethodPost, "/me", bytes.Repeat([]byte("x"), 65<<10), 405, 413},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, wk := do(c.method, native.URL, c.path, c.body), do(c.method, w.URL, c.path, c.body)
			t.Logf("%s %s: native %d, worker %d", c.method, c.path, n, wk)
			if (c.native != 0 && n != c.native) || wk != c.worker {
				t.Errorf("native %d (want %d), worker %d (want %d)", n, c.native, wk, c.worker)
			}
		})
	}
}
