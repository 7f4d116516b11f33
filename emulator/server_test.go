package emulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestServeHTTPAndHTTPSWithCAFile(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, e, ServeOptions{HTTPAddr: "127.0.0.1:0", HTTPSAddr: "127.0.0.1:0", CAFile: caFile,
			Ready: func(h, s string) { urls <- [2]string{h, s} }})
	}()
	var u [2]string
	select {
	case u = <-urls:
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not ready")
	}
	if e.BaseURL() != u[0] {
		t.Fatalf("base %s, http %s", e.BaseURL(), u[0])
	}
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("CA file holds no certificate")
	}
	trusting := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, host := range []string{u[1], "https://localhost:" + portOf(u[1])} {
		resp, err := trusting.Get(host + "/" + DemoTenantID + "/v2.0/.well-known/openid-configuration")
		if err != nil {
			t.Fatalf("HTTPS with CA file: %v", err)
		}
		var md map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&md)
		resp.Body.Close()
		// Issuer is the HTTP base even over HTTPS.
		if md["issuer"] != u[0]+"/"+DemoTenantID+"/v2.0" {
			t.Fatalf("issuer over HTTPS %v", md["issuer"])
		}
	}
	// A client trusting only the system roots refuses the certificate.
	plain := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}}
	if resp, err := plain.Get(u[1] + "/common/discovery/keys"); err == nil {
		resp.Body.Close()
		t.Fatal("untrusted client connected")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful shutdown")
	}
}

func portOf(u string) string {
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] == ':' {
			return u[i+1:]
		}
	}
	return ""
}

// The CA file replaces a symlink planted at its path instead of writing
// through it.
func TestWriteCAFileReplacesSymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sub", "ca.pem")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	if err := writeCAFile(path, []byte("PEM")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatal("the write followed the symlink")
	}
	if b, _ := os.ReadFile(path); string(b) != "PEM" {
		t.Fatalf("CA file holds %q", b)
	}
}
