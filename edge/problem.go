package edge

import (
	"encoding/json"
	"net/http"
)

// writeProblem writes a minimal RFC 7807 answer for failures that happen
// outside the gateway's handlers (panics, oversized answers, timeouts).
func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail,
	})
}
