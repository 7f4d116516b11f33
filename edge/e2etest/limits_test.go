package e2etest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/entragate/entragate/edge"
	"github.com/entragate/entragate/emulator"
)

// bigJSON is a JSON object of about n bytes.
func bigJSON(n int) []byte {
	return []byte(`{"pad":"` + strings.Repeat("a", n) + `"}`)
}

// TestWorkerMatchesNativeOnOversizedAnswers: a Graph or token-endpoint
// answer over the body cap is reported as natively ("exceeds the size
// limit" / "answer too large"), not as a network failure.
func TestWorkerMatchesNativeOnOversizedAnswers(t *testing.T) {
	e := newEnv(t, edge.L2None)
	w := e.worker(t, "")
	native := e.native(t)
	cases := []struct {
		name  string
		match func(*http.Request) bool
		size  int
		want  string // in the Worker's log
	}{
		{"graph answer over 1 MiB", func(r *http.Request) bool {
			return strings.HasPrefix(r.URL.Path, "/v1.0/")
		}, 2 << 20, "Microsoft Graph answer too large"},
		{"token answer over 1 MiB", func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") &&
				r.PostFormValue("requested_token_use") == "on_behalf_of"
		}, 2 << 20, "answer larger than 65536 bytes"},
		{"token answer over 64 KiB", func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") &&
				r.PostFormValue("requested_token_use") == "on_behalf_of"
		}, 100 << 10, "answer larger than 65536 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := e.userToken(t, emulator.DemoUser, emulator.DemoAPIScope) // fresh: no cached OBO answer
			f := func(rw http.ResponseWriter, r *http.Request) bool {
				if !c.match(r) {
					return false
				}
				rw.Header().Set("Content-Type", "application/json")
				_, _ = rw.Write(bigJSON(c.size))
				return true
			}
			e.intercept.Store(&f)
			defer e.intercept.Store(nil)
			before := len(w.Logs())
			n, wk := call(t, native.URL, "/graph/me", tok), call(t, w.URL, "/graph/me", tok)
			if wk.Status != http.StatusBadGateway {
				t.Errorf("worker answered %d %s", wk.Status, wk.Body)
			}
			same(t, c.name, n, wk)
			logs := waitLogFrom(w, before, c.want)
			if !strings.Contains(logs, c.want) {
				t.Errorf("worker log lacks %q:\n%s", c.want, logs)
			}
			for _, bad := range []string{"network error", "body too large", "could not be reached"} {
				if strings.Contains(logs, bad) {
					t.Errorf("worker log says %q:\n%s", bad, logs)
				}
			}
			t.Logf("%s → %d %s", c.name, wk.Status, wk.Body)
		})
	}
}
