package keysource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/authority"
	"github.com/entragate/entragate/httpclient"
	"github.com/entragate/entragate/jwk"
)

func TestConfigValidation(t *testing.T) {
	doer := http.DefaultClient
	tests := []struct {
		name    string
		cfg     Config
		wantErr error
	}{
		{"nothing", Config{Doer: doer}, ErrConfig},
		{"two sources", Config{JWKSURL: "https://a.example/k", File: "x", Doer: doer}, ErrConfig},
		{"no doer", Config{JWKSURL: "https://a.example/k"}, ErrConfig},
		{"https", Config{JWKSURL: "https://login.microsoftonline.com/common/discovery/v2.0/keys", Doer: doer}, nil},
		{"http non-loopback", Config{JWKSURL: "http://login.example/keys", Doer: doer}, ErrInsecureURL},
		{"http metadata non-loopback", Config{MetadataURL: "http://login.example/.well-known/openid-configuration", Doer: doer}, ErrInsecureURL},
		{"http 127.0.0.1", Config{JWKSURL: "http://127.0.0.1:8081/t/discovery/v2.0/keys", Doer: doer}, nil},
		{"http 127.9.9.9", Config{JWKSURL: "http://127.9.9.9/keys", Doer: doer}, nil},
		{"http ::1", Config{JWKSURL: "http://[::1]:8081/keys", Doer: doer}, nil},
		{"http localhost", Config{JWKSURL: "http://localhost:8081/keys", Doer: doer}, nil},
		{"http insecure opt-in", Config{JWKSURL: "http://emulator:8081/keys", Doer: doer, AllowInsecureHTTP: true}, nil},
		{"ftp", Config{JWKSURL: "ftp://a.example/keys", Doer: doer}, ErrInsecureURL},
		{"relative", Config{JWKSURL: "/keys", Doer: doer}, ErrInsecureURL},
		{"user info", Config{JWKSURL: "https://u:p@a.example/keys", Doer: doer}, ErrInsecureURL},
		{"file", Config{File: "keys.json"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("New: %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("New: %v, want %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "u:p") {
				t.Fatalf("error leaks user info: %v", err)
			}
		})
	}
}

func TestMetadataSource(t *testing.T) {
	ks := newKeyServer(t, "K1")
	clk := newClock()
	obs := newRecObserver()
	s := newTestSource(t, ks, clk, func(c *Config) {
		c.JWKSURL, c.MetadataURL, c.Observer = "", ks.metadataURL(), obs
	})
	mustKey(t, s, "K1")
	if ks.metaHits.Load() != 1 || ks.keyHits.Load() != 1 {
		t.Fatalf("hits meta=%d keys=%d", ks.metaHits.Load(), ks.keyHits.Load())
	}
	if st := s.Status(); st.JWKSURI != ks.jwksURL() || st.Source != ks.metadataURL() {
		t.Fatalf("status = %+v", st)
	}
	// Metadata down, keys up: the previous jwks_uri keeps working.
	ks.metaMode.Store(int32(mode500))
	ks.setKids("K1", "K2")
	clk.Advance(time.Second)
	mustKey(t, s, "K2")
	st := s.Status()
	if st.MetadataError == "" || st.Stale || st.LastError != "" || st.Keys != 2 {
		t.Fatalf("status with metadata down = %+v", st)
	}
	if got := obs.get(func(o *recObserver) int { return o.fetches[WhatMetadata+"/"+ResultHTTPStatus] }); got != 1 {
		t.Fatalf("metadata failures observed = %d", got)
	}
}

func TestMetadataDownAtStart(t *testing.T) {
	ks := newKeyServer(t, "K1")
	ks.metaMode.Store(int32(modeGarbage))
	s := newTestSource(t, ks, newClock(), func(c *Config) { c.JWKSURL, c.MetadataURL = "", ks.metadataURL() })
	_, err := s.Key(context.Background(), "K1", "")
	if !errors.Is(err, jwk.ErrKeySetUnavailable) || !errors.Is(err, authority.ErrMalformedMetadata) {
		t.Fatalf("Key: %v", err)
	}
	if ks.keyHits.Load() != 0 {
		t.Fatal("keys fetched without a jwks_uri")
	}
}

// mapDoer answers from files keyed by URL: real Microsoft artifacts, no network.
type mapDoer map[string]string

func (m mapDoer) Do(r *http.Request) (*http.Response, error) {
	path, ok := m[r.URL.String()]
	if !ok {
		return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}, Request: r}, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(b)),
		Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, Request: r}, nil
}

func sharedFile(t *testing.T, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "shared", "testdata", "entra"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test data missing: %v", err)
	}
	return p
}

func TestRealEntraMetadataAndKeys(t *testing.T) {
	metaPath := sharedFile(t, "metadata", "entra-v2-common.panva-wellknown.json")
	keysPath := sharedFile(t, "jwks", "entra-v2-common-keys.panva-wellknown.json")
	raw, err := os.ReadFile(metaPath)
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(raw, &md); err != nil {
		t.Fatal(err)
	}
	const metaURL = "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
	s, err := New(Config{MetadataURL: metaURL, Doer: mapDoer{metaURL: metaPath, md.JWKSURI: keysPath}, Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	kb, _ := os.ReadFile(keysPath)
	want, err := jwk.Parse(kb)
	if err != nil {
		t.Fatal(err)
	}
	st := s.Status()
	if st.Keys != want.Len() || st.Keys == 0 || st.JWKSURI != md.JWKSURI {
		t.Fatalf("status = %+v, want %d keys from %s", st, want.Len(), md.JWKSURI)
	}
	for _, k := range want.Keys() {
		got, err := s.Key(context.Background(), k.Kid, "")
		if err != nil || !got.Public.Equal(k.Public) || got.Issuer == "" {
			t.Fatalf("Key(%s) = %+v, %v", k.Kid, got, err)
		}
	}
}

func TestFileSource(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	write := func(b []byte) {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(jwksJSON(t, "K1"))
	clk := newClock()
	s, err := New(Config{File: path, Now: clk.Now, MaxBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	mustKey(t, s, "K1")
	write(jwksJSON(t, "K1", "K2"))
	clk.Advance(time.Second)
	mustKey(t, s, "K2") // unknown kid re-reads the file
	write(append(jwksJSON(t, "K3"), bytes.Repeat([]byte(" "), 4096)...))
	if err := s.Refresh(context.Background()); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized file: %v", err)
	}
	mustKey(t, s, "K2") // last-known-good
	os.Remove(path)
	if err := s.Refresh(context.Background()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if st := s.Status(); !st.Stale || st.Source != path {
		t.Fatalf("status = %+v", st)
	}
	// A missing file at start-up: unavailable.
	s2, _ := New(Config{File: filepath.Join(dir, "nope.json"), Now: clk.Now})
	if _, err := s2.Key(context.Background(), "K1", ""); !errors.Is(err, jwk.ErrKeySetUnavailable) {
		t.Fatalf("Key with no file: %v", err)
	}
}

func TestSizeCap(t *testing.T) {
	body := jwksJSON(t, "K1")
	tests := []struct {
		name     string
		maxBytes int64
		length   bool // send Content-Length
		wantErr  error
	}{
		{"exactly at cap", int64(len(body)), true, nil},
		{"one over, with length", int64(len(body)) - 1, true, ErrTooLarge},
		{"one over, chunked", int64(len(body)) - 1, false, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doer := doerFunc(func(r *http.Request) (*http.Response, error) {
				resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
					Body: io.NopCloser(bytes.NewReader(body)), ContentLength: -1, Request: r}
				if tt.length {
					resp.ContentLength = int64(len(body))
				}
				return resp, nil
			})
			s, err := New(Config{JWKSURL: "https://keys.example/k", Doer: doer, MaxBytes: tt.maxBytes})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Refresh(context.Background())
			if (tt.wantErr == nil) != (err == nil) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("Refresh: %v, want %v", err, tt.wantErr)
			}
		})
	}
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

func TestContentTypes(t *testing.T) {
	tests := []struct {
		ct string
		ok bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON", true},
		{"application/jwk-set+json", true},
		{"", false},
		{"text/html", false},
		{"text/plain", false},
		{"application/jsonp", false},
		{"text/json+html", false},
		{"application/json; charset", false},
	}
	for _, tt := range tests {
		if got := isJSON(tt.ct); got != tt.ok {
			t.Errorf("isJSON(%q) = %v, want %v", tt.ct, got, tt.ok)
		}
	}
}

func TestRedirectedToInsecureURLRefused(t *testing.T) {
	doer := doerFunc(func(r *http.Request) (*http.Response, error) {
		final := &http.Request{URL: &url.URL{Scheme: "http", Host: "evil.example", Path: "/keys"}}
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(jwksJSON(t, "K1"))), Request: final}, nil
	})
	s, err := New(Config{JWKSURL: "https://keys.example/k", Doer: doer})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Refresh(context.Background()); !errors.Is(err, ErrInsecureURL) {
		t.Fatalf("Refresh: %v, want ErrInsecureURL", err)
	}
}

func TestWithHardenedClientOverTLS(t *testing.T) {
	// The real pairing: keysource over httpclient, https, redirect limit.
	ks := newKeyServer(t, "K1")
	tlsSrv := newTLSRedirector(t, ks.jwksURL())
	c := httpclient.New(httpclient.Options{RootCAs: tlsSrv.rootCAs})
	s, err := New(Config{JWKSURL: tlsSrv.url + "/hop/1", Doer: c})
	if err != nil {
		t.Fatal(err)
	}
	// https -> http (loopback) redirect is a downgrade: refused.
	if err := s.Refresh(context.Background()); !errors.Is(err, httpclient.ErrDowngrade) {
		t.Fatalf("Refresh via downgrade: %v", err)
	}
	s, _ = New(Config{JWKSURL: tlsSrv.url + "/hop/5", Doer: c})
	if err := s.Refresh(context.Background()); !errors.Is(err, httpclient.ErrTooManyRedirects) {
		t.Fatalf("Refresh via 5 hops: %v", err)
	}
	s, _ = New(Config{JWKSURL: tlsSrv.url + "/keys", Doer: c})
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh over TLS: %v", err)
	}
}

func TestChangeIsLogged(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	ks := newKeyServer(t, "K1", "K2")
	clk := newClock()
	s := newTestSource(t, ks, clk, func(c *Config) { c.Logger = logger })
	mustKey(t, s, "K1")
	ks.setKids("K2", "K3")
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Refresh(context.Background()); err != nil { // unchanged: no line
		t.Fatal(err)
	}
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("log lines = %d, want 2:\n%s", len(lines), buf.String())
	}
	if a, r := lines[1]["added"], lines[1]["removed"]; a.([]any)[0] != "K3" || r.([]any)[0] != "K1" {
		t.Fatalf("second line = %v", lines[1])
	}
	n := rsaKeys(t)[0].N.String()
	if strings.Contains(buf.String(), n[:40]) {
		t.Fatal("key material in logs")
	}
}

func TestRealKeySetFilesByKidAndX5t(t *testing.T) {
	tests := []struct {
		file, kid, x5t string
	}{
		{"nbCwW11w3XkB-key.reformatted-from-js.json", "nbCwW11w3XkB-xUaXwKRSLjMHGQ", ""},
		// 2014 set: standard base64 n; the Cyrano token names only x5t.
		{"aad-2014-JsonWebKeySet.identitymodel-test.json", "", "kriMPdmBvx68skT8-mPAB3BseeA"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s, err := New(Config{File: sharedFile(t, "jwks", tt.file), Now: newClock().Now})
			if err != nil {
				t.Fatal(err)
			}
			k, err := s.Key(context.Background(), tt.kid, tt.x5t)
			if err != nil {
				t.Fatalf("Key(%q, %q): %v", tt.kid, tt.x5t, err)
			}
			if k.Public == nil || k.Public.N.BitLen() < 2048 {
				t.Fatalf("key = %+v", k)
			}
		})
	}
}

func TestNegativeCacheClearedWhenSetChanges(t *testing.T) {
	ks := newKeyServer(t, "K1")
	clk := newClock()
	s := newTestSource(t, ks, clk, nil)
	mustKey(t, s, "K1")
	if _, err := s.Key(context.Background(), "K2", ""); !errors.Is(err, jwk.ErrKeyNotFound) {
		t.Fatal(err)
	}
	if st := s.Status(); st.NegativeEntries != 1 {
		t.Fatalf("negative entries = %d", st.NegativeEntries)
	}
	ks.setKids("K1", "K2")
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); st.NegativeEntries != 0 {
		t.Fatalf("negative entries after change = %d", st.NegativeEntries)
	}
	mustKey(t, s, "K2")
}
