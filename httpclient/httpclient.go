// Package httpclient builds the hardened outbound HTTP client the gateway
// uses for key and metadata fetches, the OBO token endpoint and Microsoft
// Graph: bounded timeouts at every stage, a redirect limit, no
// https→http downgrade, TLS 1.2+, capped response headers, and an
// optional User-Agent. Meant for native builds (the edge uses fetch).
package httpclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Defaults for Options' zero values.
const (
	DefaultTimeout               = 30 * time.Second
	DefaultDialTimeout           = 5 * time.Second
	DefaultTLSHandshakeTimeout   = 5 * time.Second
	DefaultResponseHeaderTimeout = 10 * time.Second
	DefaultIdleConnTimeout       = 90 * time.Second
	DefaultMaxIdleConnsPerHost   = 16
	DefaultMaxConnsPerHost       = 64
	DefaultMaxResponseHeaderSize = 64 << 10
	DefaultMaxRedirects          = 3
)

// Errors returned (wrapped in *url.Error) by the client's redirect policy.
var (
	ErrTooManyRedirects = errors.New("httpclient: too many redirects")
	ErrDowngrade        = errors.New("httpclient: redirect from https to http refused")
	ErrRedirectScheme   = errors.New("httpclient: redirect to a non-HTTP scheme refused")
)

// Options tunes the client. Zero values take the defaults above.
type Options struct {
	// Timeout bounds a whole exchange, body included (default 30s). Callers
	// should still pass a context deadline per request.
	Timeout               time.Duration
	DialTimeout           time.Duration
	TLSHandshakeTimeout   time.Duration
	ResponseHeaderTimeout time.Duration
	IdleConnTimeout       time.Duration
	MaxIdleConnsPerHost   int
	MaxConnsPerHost       int
	MaxResponseHeaderSize int64
	// MaxRedirects: 0 means the default (3); negative means no redirects
	// are followed (the 3xx answer is returned as is).
	MaxRedirects int
	// RootCAs overrides the system roots (tests, private CAs).
	RootCAs *x509.CertPool
	// UseEnvironmentProxy honours HTTPS_PROXY / NO_PROXY (off by default).
	UseEnvironmentProxy bool
	// UserAgent, if set, is sent on requests that carry none.
	UserAgent string
}

// New returns a hardened *http.Client. It implements the Doer interfaces
// of keysource, obo and gateway.
func New(opts Options) *http.Client {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.Timeout, DefaultTimeout)
	def(&opts.DialTimeout, DefaultDialTimeout)
	def(&opts.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout)
	def(&opts.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	def(&opts.IdleConnTimeout, DefaultIdleConnTimeout)
	if opts.MaxIdleConnsPerHost <= 0 {
		opts.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	}
	if opts.MaxConnsPerHost <= 0 {
		opts.MaxConnsPerHost = DefaultMaxConnsPerHost
	}
	if opts.MaxResponseHeaderSize <= 0 {
		opts.MaxResponseHeaderSize = DefaultMaxResponseHeaderSize
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	dialer := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: opts.RootCAs},
		TLSHandshakeTimeout:    opts.TLSHandshakeTimeout,
		ResponseHeaderTimeout:  opts.ResponseHeaderTimeout,
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        opts.IdleConnTimeout,
		MaxIdleConns:           4 * opts.MaxIdleConnsPerHost,
		MaxIdleConnsPerHost:    opts.MaxIdleConnsPerHost,
		MaxConnsPerHost:        opts.MaxConnsPerHost,
		MaxResponseHeaderBytes: opts.MaxResponseHeaderSize,
		ForceAttemptHTTP2:      true,
	}
	if opts.UseEnvironmentProxy {
		tr.Proxy = http.ProxyFromEnvironment
	}
	var rt http.RoundTripper = tr
	if opts.UserAgent != "" {
		rt = userAgent{next: tr, ua: opts.UserAgent}
	}
	return &http.Client{
		Transport:     rt,
		Timeout:       opts.Timeout,
		CheckRedirect: checkRedirect(opts.MaxRedirects),
	}
}

// checkRedirect limits redirects and refuses any downgrade from https to
// http anywhere in the chain, and any scheme other than http/https.
func checkRedirect(max int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if max < 0 {
			return http.ErrUseLastResponse
		}
		if len(via) > max {
			return fmt.Errorf("%w (limit %d)", ErrTooManyRedirects, max)
		}
		switch req.URL.Scheme {
		case "https":
		case "http":
			for _, prev := range via {
				if prev.URL.Scheme == "https" {
					return ErrDowngrade
				}
			}
		default:
			return ErrRedirectScheme
		}
		return nil
	}
}

type userAgent struct {
	next http.RoundTripper
	ua   string
}

// RoundTrip sets User-Agent on a clone when the request has none.
func (u userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("User-Agent") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("User-Agent", u.ua)
	}
	return u.next.RoundTrip(r)
}
