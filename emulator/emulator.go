// Package emulator is an Entra ID (Azure AD) emulator for development and
// tests: per-tenant OpenID Connect metadata and key sets, a token endpoint
// (password, client_credentials, On-Behalf-Of, refresh_token) issuing RS256
// access tokens shaped like Entra's, Microsoft Graph GET /v1.0/me, Prometheus
// metrics and test controls (key rotation, MFA, consent, throttling).
//
// It is outside the project's pure core: it does I/O and may start
// goroutines (see Serve). It never logs tokens or secrets.
package emulator

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultBaseURL is the base URL used until SetBaseURL is called.
const DefaultBaseURL = "http://127.0.0.1:8081"

// DefaultKeyGrace is how long a rotated-out signing key stays published.
const DefaultKeyGrace = 10 * time.Minute

// Sentinel errors of the Go API.
var (
	ErrUnknownTenant = errors.New("emulator: unknown tenant")
	ErrUnknownApp    = errors.New("emulator: unknown app")
	ErrUnknownUser   = errors.New("emulator: unknown user")
	ErrInvalidConfig = errors.New("emulator: invalid configuration")
)

// Config configures an Emulator. The zero Config gives the built-in demo set.
type Config struct {
	// Tenants are added to (or, with the same id, replace) the demo tenant.
	Tenants []Tenant `yaml:"tenants"`
	// NoDemo leaves out the built-in demo tenant.
	NoDemo bool `yaml:"noDemo"`
	// BaseURL is the issuer base (default DefaultBaseURL); see SetBaseURL.
	BaseURL string `yaml:"baseURL"`
	// KeyGrace is how long a rotated-out key stays published (default DefaultKeyGrace).
	KeyGrace time.Duration `yaml:"keyGrace"`
	// MaxRefreshTokens bounds the refresh-token store (default 10000).
	MaxRefreshTokens int `yaml:"maxRefreshTokens"`

	Logger *slog.Logger     `yaml:"-"` // default: discard
	Now    func() time.Time `yaml:"-"` // default time.Now
}

// Emulator is an in-memory Entra ID. Safe for concurrent use.
type Emulator struct {
	now      func() time.Time
	log      *slog.Logger
	keyGrace time.Duration

	mu       sync.RWMutex
	baseURL  string
	tenants  map[string]*Tenant // by lower-case id and domain
	order    []*Tenant
	throttle throttleState
	faults   faults

	keys    *keyRing
	refresh *refreshStore
	metrics *metrics
}

// New builds an emulator: the demo set (unless NoDemo) plus cfg.Tenants, and
// a freshly generated 2048-bit RSA signing key.
func New(cfg Config) (*Emulator, error) {
	e := &Emulator{
		now:      cfg.Now,
		log:      cfg.Logger,
		keyGrace: cfg.KeyGrace,
		tenants:  map[string]*Tenant{},
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.keyGrace <= 0 {
		e.keyGrace = DefaultKeyGrace
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	if err := e.setBase(base); err != nil {
		return nil, err
	}
	var all []Tenant
	if !cfg.NoDemo {
		all = append(all, demoTenant())
	}
	all = append(all, cfg.Tenants...)
	for i := range all {
		if err := e.AddTenant(all[i]); err != nil {
			return nil, err
		}
	}
	if len(e.order) == 0 {
		return nil, fmt.Errorf("%w: no tenants", ErrInvalidConfig)
	}
	max := cfg.MaxRefreshTokens
	if max <= 0 {
		max = 10000
	}
	e.refresh = newRefreshStore(max)
	e.metrics = newMetrics()
	kr, err := newKeyRing(e.now())
	if err != nil {
		return nil, err
	}
	e.keys = kr
	e.registerKeyGauge()
	return e, nil
}

// SetBaseURL sets the URL issuers, metadata and key-set URLs are built
// from, e.g. "http://127.0.0.1:8081" (no trailing slash needed). It is the
// configured HTTP base, so tokens are identical whether fetched over HTTP or
// HTTPS. Invalid URLs are ignored (and logged).
func (e *Emulator) SetBaseURL(u string) {
	if err := e.setBase(u); err != nil {
		e.log.Warn("emulator: ignoring invalid base URL", "err", err)
	}
}

func (e *Emulator) setBase(u string) error {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return fmt.Errorf("%w: base URL %q must be an absolute http(s) URL", ErrInvalidConfig, u)
	}
	e.mu.Lock()
	e.baseURL = strings.TrimRight(pu.Scheme+"://"+pu.Host+pu.Path, "/")
	e.mu.Unlock()
	return nil
}

// BaseURL is the current base URL, without trailing slash.
func (e *Emulator) BaseURL() string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.baseURL
}

// Instance is the base URL with a trailing slash (the authority "instance").
func (e *Emulator) Instance() string { return e.BaseURL() + "/" }

// IssuerV2 is the v2 issuer for a tenant: {base}/{tid}/v2.0.
func (e *Emulator) IssuerV2(tid string) string { return e.BaseURL() + "/" + tid + "/v2.0" }

// IssuerV1 is the v1 issuer for a tenant: {base}/{tid}/.
func (e *Emulator) IssuerV1(tid string) string { return e.BaseURL() + "/" + tid + "/" }

// TokenEndpoint is the v2 token endpoint of a tenant (or common/organizations).
func (e *Emulator) TokenEndpoint(tenant string) string {
	return e.BaseURL() + "/" + tenant + "/oauth2/v2.0/token"
}

// Metrics is the emulator's own Prometheus registry.
func (e *Emulator) Metrics() prometheus.Gatherer { return e.metrics.reg }

// Handler serves every route of the emulator.
func (e *Emulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", e.handleMetadata(2))
	mux.HandleFunc("GET /{tenant}/.well-known/openid-configuration", e.handleMetadata(1))
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", e.handleKeys(2))
	mux.HandleFunc("GET /{tenant}/discovery/keys", e.handleKeys(1))
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", e.handleToken)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/token", e.handleTokenGet)
	mux.HandleFunc("POST /{tenant}/oauth2/token", e.handleTokenV1)
	mux.HandleFunc("GET /v1.0/me", e.handleGraphMe)
	mux.Handle("GET /metrics", e.metricsHandler())
	mux.HandleFunc("POST /_emulator/rotate-keys", e.handleRotate)
	mux.HandleFunc("POST /_emulator/users/{user}/mfa", e.handleMFA)
	mux.HandleFunc("POST /_emulator/apps/{client}/consent", e.handleConsent)
	mux.HandleFunc("POST /_emulator/throttle", e.handleThrottle)
	mux.HandleFunc("DELETE /_emulator/throttle", e.handleThrottle)
	mux.HandleFunc("GET /_emulator/state", e.handleState)
	mux.HandleFunc("POST /_emulator/delay", e.handleDelay)
	mux.HandleFunc("POST /_emulator/graph-fault", e.handleGraphFault)
	mux.HandleFunc("DELETE /_emulator/graph-fault", e.handleGraphFault)
	return withLimits(mux)
}

// withLimits bounds request bodies and sets protective headers.
func withLimits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

const maxBodyBytes = 64 << 10
