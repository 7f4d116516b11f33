package keysource

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Doer sends one HTTP request. *http.Client implements it natively; the edge
// build supplies a fetch-based one. The request carries a context with the
// fetch deadline.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Defaults. See docs/keys.md for the reasoning behind each value.
const (
	// DefaultRefreshInterval: Entra publishes new keys weeks before it signs
	// with them, and an unknown kid refreshes at once anyway; the scheduled
	// refresh mostly bounds how long a key Microsoft has withdrawn stays
	// accepted. One hour is cheap (24 small GETs a day) and tight enough.
	DefaultRefreshInterval = time.Hour
	// DefaultUnknownKidInterval: at most one unknown-kid refresh per source
	// per five minutes (Microsoft.IdentityModel uses the same figure).
	DefaultUnknownKidInterval = 5 * time.Minute
	// DefaultNegativeTTL: how long a kid still unknown after a refresh is
	// refused without further thought.
	DefaultNegativeTTL = time.Minute
	// DefaultNegativeEntries bounds the negative cache.
	DefaultNegativeEntries = 1024
	// DefaultMaxStale: how long a last-known-good set keeps being served
	// while refreshes fail. Past it the source fails closed.
	DefaultMaxStale = 24 * time.Hour
	// DefaultFetchTimeout bounds each HTTP request (metadata, keys).
	DefaultFetchTimeout = 10 * time.Second
	// DefaultMaxBytes caps a metadata document or key set (1 MiB).
	DefaultMaxBytes = 1 << 20
	// DefaultRetryMin and DefaultRetryMax bound the exponential backoff
	// after failed fetches (the delay is also never above RefreshInterval).
	DefaultRetryMin = 10 * time.Second
	DefaultRetryMax = 5 * time.Minute
)

// maxIDLen caps kid/x5t values considered at all: Entra's are under 50
// characters; anything longer is refused without a fetch or a cache entry.
const maxIDLen = 256

// Config configures a Source. Exactly one of MetadataURL, JWKSURL and File
// must be set. Zero durations take the documented defaults.
type Config struct {
	// MetadataURL is the OpenID Connect discovery document; the key set is
	// read from its jwks_uri (authority.ParseMetadata). The document is
	// refetched on every refresh; if that fails, the last jwks_uri is used.
	MetadataURL string
	// JWKSURL is an explicit key-set URL (skips metadata).
	JWKSURL string
	// File is an explicit key-set file, re-read on every refresh.
	File string

	// Doer performs HTTP requests; required for MetadataURL and JWKSURL.
	Doer Doer
	// Now is the clock (default time.Now). Rate limits, backoff and
	// staleness are all decided by it.
	Now func() time.Time
	// Logger receives one line per key-set change and per failed refresh
	// (default: discard).
	Logger *slog.Logger
	// Observer receives metrics events; nil is allowed.
	Observer Observer
	// Rand returns a number in [0,1) for jitter (default math/rand/v2).
	// Tests inject a constant.
	Rand func() float64

	RefreshInterval    time.Duration // scheduled refresh period (default 1h, ±10% jitter)
	UnknownKidInterval time.Duration // min gap between unknown-kid refreshes (default 5m)
	NegativeTTL        time.Duration // negative-cache lifetime (default 1m)
	NegativeEntries    int           // negative-cache bound (default 1024)
	MaxStale           time.Duration // last-known-good lifetime (default 24h)
	FetchTimeout       time.Duration // per HTTP request (default 10s)
	RetryMin, RetryMax time.Duration // backoff bounds after failures (default 10s, 5m)
	MaxBytes           int64         // body cap (default 1 MiB)

	// AllowInsecureHTTP permits http:// for non-loopback hosts
	// (development only). Loopback hosts may always use http.
	AllowInsecureHTTP bool
}

// ErrConfig reports an unusable Config (wrapped with details).
var ErrConfig = errors.New("keysource: invalid configuration")

// ErrInsecureURL reports a URL that is not https (and not an allowed
// loopback http URL), whether configured or read from the metadata.
var ErrInsecureURL = errors.New("keysource: URL must use https (http only for loopback hosts)")

func (c *Config) withDefaults() (Config, error) {
	cfg := *c
	n := 0
	for _, s := range []string{cfg.MetadataURL, cfg.JWKSURL, cfg.File} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return cfg, fmt.Errorf("%w: exactly one of MetadataURL, JWKSURL, File must be set", ErrConfig)
	}
	for _, u := range []string{cfg.MetadataURL, cfg.JWKSURL} {
		if u == "" {
			continue
		}
		if err := checkURL(u, cfg.AllowInsecureHTTP); err != nil {
			return cfg, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		if cfg.Doer == nil {
			return cfg, fmt.Errorf("%w: Doer is required for URL sources", ErrConfig)
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.RefreshInterval, DefaultRefreshInterval)
	def(&cfg.UnknownKidInterval, DefaultUnknownKidInterval)
	def(&cfg.NegativeTTL, DefaultNegativeTTL)
	def(&cfg.MaxStale, DefaultMaxStale)
	def(&cfg.FetchTimeout, DefaultFetchTimeout)
	def(&cfg.RetryMin, DefaultRetryMin)
	def(&cfg.RetryMax, DefaultRetryMax)
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = cfg.RetryMin
	}
	if cfg.NegativeEntries <= 0 {
		cfg.NegativeEntries = DefaultNegativeEntries
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	return cfg, nil
}

// checkURL enforces the scheme rule on a configured URL or a jwks_uri:
// https always; http only for loopback hosts or with allowHTTP. URLs with
// user information are refused (they would put secrets into logs).
func checkURL(raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: unparsable URL", ErrInsecureURL)
	}
	if u.User != nil {
		return fmt.Errorf("%w: URL must not carry user information", ErrInsecureURL)
	}
	if u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%w: URL must be absolute", ErrInsecureURL)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if allowHTTP || IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%w: %s", ErrInsecureURL, redactURL(u))
	default:
		return fmt.Errorf("%w: scheme %q", ErrInsecureURL, u.Scheme)
	}
}

// IsLoopback reports whether host (no port) is localhost, 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// redactURL drops the query and fragment (which could carry secrets) from a
// URL before it goes into a log line, an error or Status.
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.ForceQuery = false
	c.Fragment = ""
	c.RawFragment = ""
	return c.String()
}

// redactRaw is redactURL for a string.
func redactRaw(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return redactURL(u)
}
