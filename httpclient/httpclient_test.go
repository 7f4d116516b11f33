package httpclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chain serves /r/N redirecting to /r/N-1 and /r/0 answering 200.
func chain(t *testing.T, tls bool) *httptest.Server {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if n == 0 {
			fmt.Fprint(w, "done ", r.Header.Get("User-Agent"))
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), http.StatusFound)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

func tlsOpts(srv *httptest.Server, o Options) Options {
	o.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	return o
}

func TestRedirectLimit(t *testing.T) {
	srv := chain(t, true)
	tests := []struct {
		name     string
		max      int
		hops     int
		wantErr  error
		wantCode int
	}{
		{"no redirect", 0, 0, nil, 200},
		{"three (default)", 0, 3, nil, 200},
		{"four (default)", 0, 4, ErrTooManyRedirects, 0},
		{"one allowed, two asked", 1, 2, ErrTooManyRedirects, 0},
		{"none followed", -1, 1, nil, http.StatusFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tlsOpts(srv, Options{MaxRedirects: tt.max}))
			resp, err := c.Get(srv.URL + "/r/" + strconv.Itoa(tt.hops))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantCode)
			}
		})
	}
}

func TestNoDowngrade(t *testing.T) {
	plain := chain(t, false)
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/r/0", http.StatusFound)
	}))
	t.Cleanup(secure.Close)
	c := New(tlsOpts(secure, Options{}))
	_, err := c.Get(secure.URL + "/")
	if !errors.Is(err, ErrDowngrade) {
		t.Fatalf("err = %v, want ErrDowngrade", err)
	}
	// http -> http (loopback development) is allowed.
	resp, err := c.Get(plain.URL + "/r/2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestRedirectSchemeRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "file:///etc/passwd")
		w.WriteHeader(http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	_, err := New(Options{}).Get(srv.URL)
	if !errors.Is(err, ErrRedirectScheme) {
		t.Fatalf("err = %v, want ErrRedirectScheme", err)
	}
}

func TestUserAgent(t *testing.T) {
	srv := chain(t, false)
	c := New(Options{UserAgent: "entragate-test/1"})
	resp, err := c.Get(srv.URL + "/r/1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 64)
	n, _ := resp.Body.Read(buf)
	if got := string(buf[:n]); got != "done entragate-test/1" {
		t.Fatalf("body = %q", got)
	}
}

func TestResponseHeaderTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c := New(Options{ResponseHeaderTimeout: 20 * time.Millisecond})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	if _, err := c.Do(req); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("err = %v, want a timeout", err)
	}
}

func TestHeaderSizeCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Big", strings.Repeat("a", 8<<10))
	}))
	t.Cleanup(srv.Close)
	if _, err := New(Options{MaxResponseHeaderSize: 1024}).Get(srv.URL); err == nil {
		t.Fatal("oversized response headers accepted")
	}
}
