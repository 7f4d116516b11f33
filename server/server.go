// Package server wires entragate's native gateway from a config.Config:
// one shared key source, the validator, the hardened HTTP client, the OBO
// client with its caches, the gateway handler and Prometheus metrics, and
// runs them behind an http.Server with graceful shutdown. Native only.
package server

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/entragate/entragate/config"
	"github.com/entragate/entragate/gateway"
	"github.com/entragate/entragate/httpauth"
	"github.com/entragate/entragate/httpclient"
	"github.com/entragate/entragate/keysource"
	"github.com/entragate/entragate/metrics"
	"github.com/entragate/entragate/obo"
	"github.com/entragate/entragate/tokencache"
	"github.com/entragate/entragate/validate"
)

// ErrConfig wraps start-up failures caused by the configuration or the
// environment (missing secrets, unreadable certificates...).
var ErrConfig = errors.New("server: cannot build the gateway")

// Options configures New. Config is required and must be validated
// (config.Parse / config.LoadFile do that).
type Options struct {
	Config *config.Config
	Logger *slog.Logger // default: from Config.Logging to stderr
	// LookupEnv reads secrets (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// Now is the clock for every component (default time.Now).
	Now func() time.Time
	// RootCAs overrides the system roots for outbound TLS (dev mode, tests).
	RootCAs *x509.CertPool
	// HTTPClient overrides the outbound client (tests); default httpclient.New.
	HTTPClient *http.Client
	// L2 overrides the shared OBO cache; by default it is built from
	// TokenCache.Redis when configured.
	L2 obo.Cache
	// Version is reported in the User-Agent.
	Version string
}

// Server is a built gateway. Create it with New, start it with Run.
type Server struct {
	cfg       *config.Config
	log       *slog.Logger
	now       func() time.Time
	Keys      *keysource.Source
	Validator *validate.Validator
	OBO       *obo.Client // nil when no MicrosoftGraph downstream API is configured
	Metrics   *metrics.Metrics
	handler   http.Handler
	closers   []func() error
}

// New builds every component. It does no network I/O (keys load on Run or
// on the first request).
func New(opts Options) (*Server, error) {
	cfg := opts.Config
	if cfg == nil {
		return nil, fmt.Errorf("%w: no configuration", ErrConfig)
	}
	if opts.Logger == nil {
		opts.Logger = NewLogger(os.Stderr, cfg.Logging)
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{cfg: cfg, log: opts.Logger, now: opts.Now, Metrics: metrics.New(metrics.Options{})}
	ua := "entragate"
	if opts.Version != "" {
		ua += "/" + opts.Version
	}
	// client fetches metadata and keys (public documents: redirects are
	// followed, within httpclient's limits). noRedirect sends OBO and Graph
	// requests, which carry secrets: following a 307/308 from the token
	// endpoint would re-send the form (client secret or assertion, and the
	// user's token), and following a Graph 3xx would send the user's Graph
	// token (net/http keeps Authorization on same-host redirects, and a
	// port is not part of the host there) to wherever the redirect points.
	client, noRedirect := opts.HTTPClient, opts.HTTPClient
	if client == nil {
		client = httpclient.New(httpclient.Options{RootCAs: opts.RootCAs, UserAgent: ua, Timeout: 30 * time.Second})
		noRedirect = httpclient.New(httpclient.Options{RootCAs: opts.RootCAs, UserAgent: ua, Timeout: 30 * time.Second, MaxRedirects: -1})
	} else {
		noRedirect = withoutRedirects(opts.HTTPClient)
	}

	meta, jwks, file := cfg.KeySource()
	k := cfg.Keys
	src, err := keysource.New(keysource.Config{
		MetadataURL: meta, JWKSURL: jwks, File: file, Doer: client, Now: opts.Now,
		Logger: opts.Logger.With("component", "keysource"), Observer: s.Metrics,
		RefreshInterval: k.RefreshInterval, UnknownKidInterval: k.UnknownKidInterval, NegativeTTL: k.NegativeTTL,
		MaxStale: k.MaxStale, FetchTimeout: k.FetchTimeout, MaxBytes: k.MaxBytes, AllowInsecureHTTP: k.AllowInsecureHTTP,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: key source: %w", ErrConfig, err)
	}
	s.Keys = src
	s.Metrics.WatchKeySource("entra", src.Status)

	v, err := cfg.NewValidator(src, opts.Now)
	if err != nil {
		return nil, fmt.Errorf("%w: validator: %w", ErrConfig, err)
	}
	s.Validator = v

	gcfg := gateway.Config{
		Validator: v, Require: cfg.Requirement(), RouteRequire: routeRequirements(cfg), Ready: s.ready, RetryAfter: k.RetryAfter,
		MaxTokenSize: cfg.Validation.MaxTokenSize, Logger: opts.Logger.With("component", "gateway"),
		Observer: s.Metrics, Now: opts.Now,
	}
	if g, ok := cfg.Graph(); ok {
		oc, err := s.newOBO(opts, noRedirect, cfg)
		if err != nil {
			return nil, err
		}
		s.OBO = oc
		gcfg.OBO, gcfg.Graph = oc, noRedirect
		gcfg.GraphBaseURL, gcfg.GraphRelativePath, gcfg.GraphScopes = g.BaseUrl, g.RelativePath, g.Scopes
		gcfg.GraphTimeout, gcfg.MaxGraphBytes = g.Timeout, g.MaxBodyBytes
		gcfg.PerTenantOBO = cfg.MultiTenant()
	}
	gh, err := gateway.New(gcfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	// Probes and metrics bypass the concurrency limit: a liveness probe
	// must not fail exactly when the pod is busy. The limit's refusals are
	// counted like the gateway's own answers.
	routes := []muxRoute{
		{gateway.RouteHealthz, gh},
		{gateway.RouteReadyz, gh},
		{"/", limit(cfg.Server.MaxConcurrent, k.RetryAfter, s.rejected, gh)},
	}
	if !cfg.Server.DisableMetrics {
		if err := config.CheckMetricsPath(cfg.Server.MetricsPath); err != nil {
			return nil, fmt.Errorf("%w: Server.MetricsPath: %w", ErrConfig, err)
		}
		routes = append(routes, muxRoute{cfg.Server.MetricsPath, getOnly(s.Metrics.Handler())})
	}
	mux, err := newMux(routes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.handler = mux
	if cfg.Logging.AccessLog {
		known := []string{gateway.RouteMe, gateway.RouteGraphMe, gateway.RouteHealthz, gateway.RouteReadyz}
		if !cfg.Server.DisableMetrics {
			known = append(known, cfg.Server.MetricsPath)
		}
		s.handler = accessLog(opts.Logger.With("component", "access"), opts.Now, known, s.handler)
	}
	return s, nil
}

func (s *Server) newOBO(opts Options, client *http.Client, cfg *config.Config) (*obo.Client, error) {
	cred, err := Credential(cfg.AzureAd.ClientCredentials, opts.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	tc := cfg.TokenCache
	var l2Timeout time.Duration
	if tc.Redis != nil {
		l2Timeout = tc.Redis.Timeout
	}
	if opts.L2 == nil && tc.Redis != nil {
		l2, err := newRedisL2(tc.Redis, opts.LookupEnv, opts.Now, opts.Logger.With("component", "rediscache"))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		s.closers = append(s.closers, l2.Close)
		opts.L2 = l2
	}
	oc, err := obo.New(obo.Config{
		Instance: cfg.AzureAd.Instance, TenantID: cfg.AzureAd.TenantId, ClientID: cfg.AzureAd.ClientId,
		TokenEndpoint: cfg.AzureAd.TokenEndpoint, Credential: cred, Doer: client, Now: opts.Now,
		Logger: opts.Logger.With("component", "obo"), Observer: s.Metrics, Margin: tc.Margin, Timeout: tc.Timeout,
		L1: tokencache.NewMemory(tc.MaxEntries, tc.MaxBytes, opts.Now), L2: opts.L2, L2Timeout: l2Timeout,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: OBO client: %w", ErrConfig, err)
	}
	return oc, nil
}

// rejected counts a request refused by the concurrency limit (503) under
// the gateway's route label.
func (s *Server) rejected(r *http.Request, d time.Duration) {
	route := gateway.RouteOther
	switch r.URL.Path {
	case gateway.RouteMe:
		route = gateway.RouteMe
	case gateway.RouteGraphMe:
		if s.OBO != nil {
			route = gateway.RouteGraphMe
		}
	}
	s.Metrics.Request(route, http.StatusServiceUnavailable, d)
}

// Close releases what New opened (the Redis client). Call it after Run.
func (s *Server) Close() error {
	var first error
	for _, c := range s.closers {
		if err := c(); err != nil && first == nil {
			first = err
		}
	}
	s.closers = nil
	return first
}

// Handler is the whole HTTP surface (gateway routes and /metrics).
func (s *Server) Handler() http.Handler { return s.handler }

// ready maps the key source status onto the gateway's readiness.
func (s *Server) ready() gateway.ReadyStatus { return gateway.KeyReadiness(s.Keys.Status()) }

// routeRequirements is each protected route's rule (Authorization.Routes,
// else the default) for gateway.Config.RouteRequire.
func routeRequirements(cfg *config.Config) map[string]httpauth.Authorizer {
	m := map[string]httpauth.Authorizer{}
	for route, req := range cfg.RouteRequirements() {
		m[route] = req
	}
	return m
}
