// Package gateway holds entragate's HTTP routes: GET /me (the validated
// claims), GET /graph/me (On-Behalf-Of for Microsoft Graph, then Graph's
// /me), GET /healthz and GET /readyz. It builds for js/wasm so the edge
// Worker serves the same handler; it has no Prometheus or os/signal code.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/entragate/entragate/httpauth"
	"github.com/entragate/entragate/obo"
	"github.com/entragate/entragate/validate"
)

// Validator validates a bearer token; *validate.Validator implements it.
type Validator interface {
	Validate(ctx context.Context, raw string) (*validate.Result, error)
}

// Doer sends one HTTP request (Graph calls). *http.Client implements it;
// the edge supplies a fetch-based one.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Observer receives per-request metrics events; metrics/ binds it to
// Prometheus. Route is one of the Route* constants (bounded cardinality).
type Observer interface {
	httpauth.Observer
	Request(route string, status int, d time.Duration)
}

// Route labels.
const (
	RouteMe      = "/me"
	RouteGraphMe = "/graph/me"
	RouteHealthz = "/healthz"
	RouteReadyz  = "/readyz"
	RouteOther   = "other"
)

// ReadyStatus is what /readyz reports, typically built from
// keysource.Status by a small func in the wiring.
type ReadyStatus struct {
	// Ready: signing keys are loaded and tokens can be validated.
	Ready bool
	// Degraded: serving with a last-known-good key set after failed refreshes.
	Degraded bool
	// KeySetAge is the age of the key set in use.
	KeySetAge time.Duration
	// Keys is the number of usable signing keys.
	Keys int
	// Detail is one sentence for operators (no secrets, no URLs with credentials).
	Detail string
}

// Defaults.
const (
	DefaultGraphBaseURL      = "https://graph.microsoft.com/v1.0"
	DefaultGraphRelativePath = "me"
	DefaultGraphTimeout      = 10 * time.Second
	DefaultMaxGraphBytes     = 1 << 20
	DefaultRetryAfter        = 5 * time.Second
)

// Config configures the handler. Validator is required; OBO, Graph and
// GraphScopes are required together for /graph/me (without OBO the route
// answers 404).
type Config struct {
	Validator Validator
	// Require, when set, is checked on /me and /graph/me
	// (validate.Requirement implements it); Scope is the challenge's scope.
	Require httpauth.Authorizer
	Scope   string
	// RouteRequire replaces Require (and Scope) on the routes it names
	// (RouteMe, RouteGraphMe; other keys are an error). A nil value means
	// no requirement on that route. The 403 insufficient_scope challenge
	// then lists that route's scopes (the AnyScopes and AllScopes of a
	// validate.Requirement).
	RouteRequire map[string]httpauth.Authorizer

	OBO obo.Acquirer
	// Graph sends the Graph request, which carries the user's Graph token:
	// it must not follow redirects (a 3xx is answered 502), or the token
	// would go wherever the redirect points. server wires such a client.
	Graph             Doer
	GraphBaseURL      string // default DefaultGraphBaseURL
	GraphRelativePath string // default "me"
	GraphScopes       []string
	// PerTenantOBO sends the validated token's tid as the OBO tenant
	// (multi-tenant APIs: organizations/common); otherwise obo's TenantID.
	PerTenantOBO  bool
	GraphTimeout  time.Duration // default DefaultGraphTimeout
	MaxGraphBytes int64         // default DefaultMaxGraphBytes

	// Ready reports readiness for /readyz; nil means always ready.
	Ready func() ReadyStatus
	// RetryAfter is sent with 503 answers that carry no better hint.
	RetryAfter   time.Duration
	MaxTokenSize int    // bearer header cap (httpauth default when 0)
	Realm        string // optional realm in challenges
	Logger       *slog.Logger
	Observer     Observer
	// Now is the clock used for latency measurement (default time.Now).
	Now func() time.Time
}

// ErrConfig is wrapped by New for unusable configurations.
var ErrConfig = errors.New("gateway: invalid configuration")

type handler struct {
	cfg    Config
	graph  string // absolute URL of the Graph resource
	routes map[string]route
}

type route struct {
	label string
	h     http.Handler
}

// New returns the gateway's http.Handler.
func New(cfg Config) (http.Handler, error) {
	if cfg.Validator == nil {
		return nil, fmt.Errorf("%w: Validator is required", ErrConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = DefaultRetryAfter
	}
	if cfg.GraphTimeout <= 0 {
		cfg.GraphTimeout = DefaultGraphTimeout
	}
	if cfg.MaxGraphBytes <= 0 {
		cfg.MaxGraphBytes = DefaultMaxGraphBytes
	}
	for r := range cfg.RouteRequire {
		if r != RouteMe && r != RouteGraphMe {
			return nil, fmt.Errorf("%w: RouteRequire: %q is not a protected route (%s, %s)", ErrConfig, r, RouteMe, RouteGraphMe)
		}
	}
	h := &handler{cfg: cfg}
	meAuth, err := h.authenticator(RouteMe)
	if err != nil {
		return nil, err
	}
	h.routes = map[string]route{
		RouteMe:      {RouteMe, meAuth.Wrap(http.HandlerFunc(h.me))},
		RouteHealthz: {RouteHealthz, http.HandlerFunc(h.healthz)},
		RouteReadyz:  {RouteReadyz, http.HandlerFunc(h.readyz)},
	}
	if cfg.OBO != nil {
		if err := h.setupGraph(); err != nil {
			return nil, err
		}
		graphAuth, err := h.authenticator(RouteGraphMe)
		if err != nil {
			return nil, err
		}
		h.routes[RouteGraphMe] = route{RouteGraphMe, graphAuth.Wrap(http.HandlerFunc(h.graphMe))}
	}
	return h, nil
}

// authenticator builds the middleware of one protected route, with the
// route's own requirement when RouteRequire names it.
func (h *handler) authenticator(route string) (*httpauth.Authenticator, error) {
	c := &h.cfg
	req, scope := c.Require, c.Scope
	if rr, ok := c.RouteRequire[route]; ok {
		req, scope = rr, ""
	}
	var obs httpauth.Observer
	if c.Observer != nil {
		obs = c.Observer
	}
	auth, err := httpauth.New(httpauth.Options{
		Validator: c.Validator, Require: req, Scope: scope, Realm: c.Realm,
		MaxTokenSize: c.MaxTokenSize, KeysRetryAfter: c.RetryAfter, Logger: c.Logger, Observer: obs,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return auth, nil
}

func (h *handler) setupGraph() error {
	c := &h.cfg
	if c.Graph == nil {
		return fmt.Errorf("%w: Graph (a Doer) is required with OBO", ErrConfig)
	}
	if len(c.GraphScopes) == 0 {
		return fmt.Errorf("%w: GraphScopes is required with OBO", ErrConfig)
	}
	base := c.GraphBaseURL
	if base == "" {
		base = DefaultGraphBaseURL
	}
	rel := c.GraphRelativePath
	if rel == "" {
		rel = DefaultGraphRelativePath
	}
	u, err := url.Parse(strings.TrimRight(base, "/") + "/" + strings.TrimLeft(rel, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return fmt.Errorf("%w: GraphBaseURL %q is not an absolute http(s) URL", ErrConfig, base)
	}
	h.graph = u.String()
	return nil
}

// ServeHTTP routes by exact path; wrong methods get 405 with Allow.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.cfg.Now()
	rt, ok := h.routes[r.URL.Path]
	label := RouteOther
	sw := &statusWriter{ResponseWriter: w}
	switch {
	case !ok:
		writeProblem(sw, http.StatusNotFound, "not_found", "No such route.")
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		label = rt.label
		sw.Header().Set("Allow", "GET, HEAD")
		writeProblem(sw, http.StatusMethodNotAllowed, "method_not_allowed", "Only GET is supported on this route.")
	default:
		label = rt.label
		rt.h.ServeHTTP(sw, r)
	}
	if h.cfg.Observer != nil {
		h.cfg.Observer.Request(label, sw.status(), h.cfg.Now().Sub(start))
	}
}

// statusWriter records the status code.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
