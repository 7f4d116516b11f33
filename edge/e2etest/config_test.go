package e2etest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/edge"
	"github.com/entragate/entragate/edge/internal/workerdtest"
)

// refused checks that the Worker refuses its configuration as docs/edge.md
// promises: 500 not_configured on the first request, the details (each of
// want) in the Worker log, and no secret value in it.
func refused(t *testing.T, e *env, kv []string, cache bool, want ...string) {
	t.Helper()
	w := e.startWorker(t, "", kv, cache)
	a := firstAnswer(t, w, "/healthz")
	var p struct{ Error string }
	if a.Status != http.StatusInternalServerError || json.Unmarshal(a.Body, &p) != nil || p.Error != "not_configured" {
		t.Fatalf("first request: %d %s", a.Status, a.Body)
	}
	logs := waitLog(w, "configuration refused")
	// One JSON line (docs/edge.md: logs are JSON lines), with the details.
	var line struct{ Level, Msg, Error string }
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "configuration refused") {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Errorf("not a JSON line: %s", l)
			}
		}
	}
	if line.Level != "ERROR" || line.Msg != "configuration refused" {
		t.Errorf("no JSON ERROR line \"configuration refused\":\n%s", logs)
	}
	for _, s := range want {
		if !strings.Contains(line.Error, s) {
			t.Errorf("the refusal does not mention %q: %q", s, line.Error)
		}
	}
	for _, secret := range []string{e.bindings[edge.BindClientSecret], e.bindings[edge.BindCacheKeys]} {
		if secret != "" && strings.Contains(logs, secret) {
			t.Errorf("worker log echoes a secret:\n%s", logs)
		}
	}
}

// TestWorkerRefusesMissingStore: TOKENCACHE_L2=kv without the KV namespace
// (not bound, or TOKENCACHE_KV_BINDING misspelt), or =cache without the
// Cache API, is a configuration error, not a silently disabled L2.
func TestWorkerRefusesMissingStore(t *testing.T) {
	t.Run("kv not bound", func(t *testing.T) {
		e := newEnv(t, edge.L2KV)
		refused(t, e, nil, true, edge.BindCacheKV, "no KV namespace bound as", "TOKEN_CACHE")
	})
	t.Run("kv binding misspelt", func(t *testing.T) {
		e := newEnv(t, edge.L2KV)
		e.bindings[edge.BindCacheKV] = "TOKEN_CAHCE"
		refused(t, e, []string{"TOKEN_CACHE"}, true, edge.BindCacheKV, "TOKEN_CAHCE")
	})
	t.Run("cache api missing", func(t *testing.T) {
		e := newEnv(t, edge.L2Cache)
		refused(t, e, []string{"TOKEN_CACHE"}, false, edge.BindCacheKind, "Cache API is not available")
	})
}

// waitLog waits (at most 5 s) until the Worker's log holds every string in
// want (workerd's output arrives after the answer), and returns it.
func waitLog(w *workerdtest.Worker, want ...string) string { return waitLogFrom(w, 0, want...) }

// waitLogFrom is waitLog for the log past its first from bytes.
func waitLogFrom(w *workerdtest.Worker, from int, want ...string) string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		logs, all := w.Logs()[from:], true
		for _, s := range want {
			all = all && strings.Contains(logs, s)
		}
		if all || time.Now().After(deadline) {
			return logs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWorkerRefusesBadRuntimeBindings: the bindings the shim applies are
// validated too (no silent fallback to the default budget).
func TestWorkerRefusesBadRuntimeBindings(t *testing.T) {
	t.Run("several problems at once", func(t *testing.T) {
		e := newEnv(t, edge.L2KV)
		e.bindings[edge.BindRequestTimeout] = "2s"
		e.bindings[edge.BindClockSkew] = "5"
		e.bindings["AZUREAD_TENANT_ID"] = "x"
		refused(t, e, nil, true, edge.BindRequestTimeout, edge.BindClockSkew, "AZUREAD_TENANT_ID: unknown binding", edge.BindCacheKV)
	})
	t.Run("request timeout 2s", func(t *testing.T) {
		e := newEnv(t, edge.L2None)
		e.bindings[edge.BindRequestTimeout] = "2s"
		refused(t, e, nil, false, edge.BindRequestTimeout, "2s")
	})
	t.Run("debug stats yes", func(t *testing.T) {
		e := newEnv(t, edge.L2None)
		e.bindings[edge.BindDebugStats] = "yes"
		refused(t, e, nil, false, edge.BindDebugStats)
	})
	t.Run("debug stats TRUE", func(t *testing.T) {
		e := newEnv(t, edge.L2None)
		e.bindings[edge.BindDebugStats] = "TRUE"
		w := e.startWorker(t, "", nil, false)
		if a := firstAnswer(t, w, "/_edge/stats"); a.Status != 200 || !strings.Contains(string(a.Body), "goroutines") {
			t.Fatalf("/_edge/stats = %d %s", a.Status, a.Body)
		}
	})
}
