package keysource

import (
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

type tlsRedirector struct {
	url     string
	rootCAs *x509.CertPool
}

// newTLSRedirector serves /hop/N (redirect chain ending at plainKeys, an
// http URL) and /keys (proxying plainKeys' body over https).
func newTLSRedirector(t *testing.T, plainKeys string) *tlsRedirector {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/keys" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(jwksJSON(t, "K1"))
			return
		}
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if n <= 1 {
			http.Redirect(w, r, plainKeys, http.StatusFound)
			return
		}
		http.Redirect(w, r, "/hop/"+strconv.Itoa(n-1), http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	return &tlsRedirector{url: srv.URL, rootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
}
