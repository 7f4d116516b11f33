package edge

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/entragate/entragate/config"
	"github.com/entragate/entragate/gateway"
	"github.com/entragate/entragate/httpauth"
	"github.com/entragate/entragate/keysource"
	"github.com/entragate/entragate/obo"
	"github.com/entragate/entragate/tokencache"
	"github.com/entragate/entragate/validate"
)

// MaxFetchBytes is the shim's hard cap on an outbound answer's body. The
// core's own caps (signing keys, Graph) are lowered to it, so that an answer
// over it is reported exactly as natively ("exceeds the size limit").
const MaxFetchBytes = 1 << 20

func fetchCap(n int64) int64 {
	if n <= 0 || n > MaxFetchBytes {
		return MaxFetchBytes
	}
	return n
}

// Doer sends one HTTP request: FetchDoer at the edge, *http.Client in
// native tests.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Deps are what the Worker supplies to the core.
type Deps struct {
	Doer    Doer      // signing keys, OBO and Graph (required)
	L2Store ByteStore // KV or Cache API store; required when Settings.L2 != L2None
	Now     func() time.Time
	Logger  *slog.Logger
}

// Core is the wired gateway: the same validate, keysource, obo, tokencache
// and gateway packages as the native binary.
type Core struct {
	Handler   http.Handler
	Keys      *keysource.Source
	Validator *validate.Validator
	OBO       *obo.Client // nil without a client credential
}

// NewCore wires the gateway from Settings. Signing keys are fetched lazily
// on the first token and refreshed by the same rules as natively (the
// Source's lazy scheduled refresh, rate-limited unknown-kid refresh); no
// goroutine outlives a request.
func NewCore(s *Settings, d Deps) (*Core, error) {
	if d.Doer == nil {
		return nil, fmt.Errorf("%w: a Doer is required", ErrBindings)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	c := s.Config
	a := c.AzureAd

	meta, jwks, file := c.KeySource() // the same choice as natively
	if file != "" {
		return nil, fmt.Errorf("%w: a key-set file cannot be read at the edge; use %s or %s", ErrBindings, BindJWKSURL, BindMetadataURL)
	}
	k := c.Keys
	keys, err := keysource.New(keysource.Config{
		MetadataURL: meta, JWKSURL: jwks, Doer: d.Doer, Now: d.Now, Logger: d.Logger.With("component", "keysource"),
		RefreshInterval: k.RefreshInterval, UnknownKidInterval: k.UnknownKidInterval, NegativeTTL: k.NegativeTTL,
		MaxStale: k.MaxStale, FetchTimeout: k.FetchTimeout, MaxBytes: fetchCap(k.MaxBytes), AllowInsecureHTTP: k.AllowInsecureHTTP,
	})
	if err != nil {
		return nil, err
	}
	v, err := c.NewValidator(keys, d.Now)
	if err != nil {
		return nil, err
	}
	core := &Core{Keys: keys, Validator: v}
	gc := gateway.Config{
		Validator: v, Require: c.Requirement(), RouteRequire: routeRequirements(c), Ready: readiness(keys), RetryAfter: k.RetryAfter,
		MaxTokenSize: c.Validation.MaxTokenSize, Logger: d.Logger.With("component", "gateway"), Now: d.Now,
	}
	if g, ok := c.Graph(); ok && s.ClientSecret != "" {
		cred, err := obo.NewClientSecret(s.ClientSecret)
		if err != nil {
			return nil, err
		}
		oc := obo.Config{
			Instance: a.Instance, TenantID: a.TenantId, ClientID: a.ClientId, TokenEndpoint: a.TokenEndpoint,
			Credential: cred, Doer: d.Doer, Now: d.Now, Logger: d.Logger.With("component", "obo"),
			Margin: c.TokenCache.Margin, Timeout: c.TokenCache.Timeout,
			L1: tokencache.NewMemory(c.TokenCache.MaxEntries, c.TokenCache.MaxBytes, d.Now),
		}
		if s.L2 != L2None {
			if d.L2Store == nil {
				return nil, fmt.Errorf("%w: %s=%s but no store was bound", ErrBindings, BindCacheKind, s.L2)
			}
			sealer, err := tokencache.NewSealer(s.SealerKeys, s.SealerCurrent)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrBindings, BindCacheKeys, err)
			}
			l2, err := NewSealedCache(d.L2Store, sealer, c.TokenCache.Margin, d.Now, d.Logger.With("component", "l2"))
			if err != nil {
				return nil, err
			}
			oc.L2, oc.L2Timeout = l2, s.L2Timeout
		}
		client, err := obo.New(oc)
		if err != nil {
			return nil, err
		}
		core.OBO = client
		gc.OBO, gc.Graph = client, d.Doer
		gc.GraphBaseURL, gc.GraphRelativePath, gc.GraphScopes = g.BaseUrl, g.RelativePath, g.Scopes
		gc.GraphTimeout, gc.MaxGraphBytes = g.Timeout, fetchCap(g.MaxBodyBytes)
		gc.PerTenantOBO = c.MultiTenant()
	}
	h, err := gateway.New(gc)
	if err != nil {
		return nil, err
	}
	core.Handler = lazyReady(keys, h)
	return core, nil
}

// routeRequirements is each protected route's rule (Authorization.Routes,
// else the default), as server.New wires it natively.
func routeRequirements(c *config.Config) map[string]httpauth.Authorizer {
	m := map[string]httpauth.Authorizer{}
	for route, req := range c.RouteRequirements() {
		m[route] = req
	}
	return m
}

// readiness maps the key source's state onto /readyz, as natively.
func readiness(keys *keysource.Source) func() gateway.ReadyStatus {
	return func() gateway.ReadyStatus { return gateway.KeyReadiness(keys.Status()) }
}

// lazyReady: with no background loop at the edge, /readyz first refreshes
// the signing keys if they are due (merged and rate limited by keysource).
func lazyReady(keys *keysource.Source, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == gateway.RouteReadyz {
			_ = keys.RefreshIfDue(r.Context())
		}
		next.ServeHTTP(w, r)
	})
}
