package gateway

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/entragate/entragate/httpauth"
	"github.com/entragate/entragate/problem"
)

func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	problem.Write(w, problem.New(status, code, detail))
}

// writeJSON sends v as a no-store JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "internal_error", "The answer could not be encoded.")
		return
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// me answers the validated token's claims.
func (h *handler) me(w http.ResponseWriter, r *http.Request) {
	res, ok := httpauth.FromContext(r.Context())
	if !ok {
		writeProblem(w, http.StatusInternalServerError, "internal_error", "No validated token in the request context.")
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Claims json.RawMessage `json:"claims"`
	}{res.Claims})
}

func (h *handler) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

type readyBody struct {
	Status           string   `json:"status"` // ready, degraded, starting
	Keys             int      `json:"keys"`
	KeySetAgeSeconds *float64 `json:"keySetAgeSeconds,omitempty"`
	Detail           string   `json:"detail,omitempty"`
}

// readyz: 200 "ready" once keys are loaded, 200 "degraded" (with the key
// set's age) when serving a stale set, 503 "starting" + Retry-After before.
func (h *handler) readyz(w http.ResponseWriter, _ *http.Request) {
	if h.cfg.Ready == nil {
		writeJSON(w, http.StatusOK, readyBody{Status: "ready"})
		return
	}
	st := h.cfg.Ready()
	age := math.Round(st.KeySetAge.Seconds()*1000) / 1000
	b := readyBody{Status: "ready", Keys: st.Keys, KeySetAgeSeconds: &age, Detail: st.Detail}
	switch {
	case !st.Ready:
		b.Status = "starting"
		b.KeySetAgeSeconds = nil
		problem.SetRetryAfter(w.Header(), h.cfg.RetryAfter)
		writeJSON(w, http.StatusServiceUnavailable, b)
		return
	case st.Degraded:
		b.Status = "degraded"
	}
	writeJSON(w, http.StatusOK, b)
}
