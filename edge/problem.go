package edge

import (
	"net/http"

	"github.com/entragate/entragate/problem"
)

// writeProblem writes the RFC 7807 answer for failures that happen outside
// the gateway's handlers (panics, oversized answers), as the gateway does.
func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	problem.Write(w, problem.New(status, code, detail))
}
