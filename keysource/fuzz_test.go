package keysource

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/entragate/entragate/jwk"
)

// FuzzFetchResponse feeds arbitrary answers (status, content type, body)
// through a refresh: it must never panic, must accept only a 200 JSON key
// set, and a failure must leave the source unloaded.
func FuzzFetchResponse(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"keys":[]}`))
	f.Add(500, "text/plain", []byte("boom"))
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte) {
		doer := doerFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {ct}},
				Body: io.NopCloser(bytes.NewReader(body)), ContentLength: -1, Request: r}, nil
		})
		s, err := New(Config{JWKSURL: "https://keys.example/k", Doer: doer, MaxBytes: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Refresh(context.Background())
		st := s.Status()
		if err != nil {
			if st.Loaded || st.LastError == "" {
				t.Fatalf("failed refresh left status %+v", st)
			}
			if classify(err) == ResultNetwork {
				t.Fatalf("unclassified failure: %v", err)
			}
			return
		}
		if status != 200 || !isJSON(ct) || !st.Loaded || st.Keys == 0 {
			t.Fatalf("accepted status=%d ct=%q: %+v", status, ct, st)
		}
		if _, err := jwk.Parse(body); err != nil {
			t.Fatalf("accepted a body jwk.Parse refuses: %v", err)
		}
	})
}

// FuzzCheckURL: any URL checkURL accepts is https, or http on loopback,
// and carries no user information.
func FuzzCheckURL(f *testing.F) {
	f.Add("https://login.microsoftonline.com/common/discovery/v2.0/keys")
	f.Fuzz(func(t *testing.T, raw string) {
		err := checkURL(raw, false)
		if err != nil {
			if !errors.Is(err, ErrInsecureURL) {
				t.Fatalf("error not wrapping ErrInsecureURL: %v", err)
			}
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil {
			t.Fatalf("accepted unparsable %q", raw)
		}
		scheme := strings.ToLower(u.Scheme)
		if u.User != nil || u.Host == "" || !(scheme == "https" || scheme == "http" && IsLoopback(u.Hostname())) {
			t.Fatalf("accepted %q", raw)
		}
	})
}
