package edge

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/entragate/entragate/authority"
	"github.com/entragate/entragate/gateway"
	"github.com/entragate/entragate/keysource"
	"github.com/entragate/entragate/obo"
	"github.com/entragate/entragate/tokencache"
	"github.com/entragate/entragate/validate"
)

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

	ks := keysource.Config{
		Doer: d.Doer, Now: d.Now, Logger: d.Logger,
		RefreshInterval: c.Keys.RefreshInterval, UnknownKidInterval: c.Keys.UnknownKidInterval,
		NegativeTTL: c.Keys.NegativeTTL, MaxStale: c.Keys.MaxStale, FetchTimeout: c.Keys.FetchTimeout,
		MaxBytes: c.Keys.MaxBytes, AllowInsecureHTTP: c.Keys.AllowInsecureHTTP,
	}
	switch {
	case a.JwksUrl != "":
		ks.JWKSURL = a.JwksUrl
	case a.MetadataUrl != "":
		ks.MetadataURL = a.MetadataUrl
	case a.JwksFile != "":
		return nil, fmt.Errorf("%w: a key-set file cannot be read at the edge", ErrBindings)
	default:
		ks.MetadataURL = authority.MetadataURL(a.Instance, a.TenantId, true)
	}
	keys, err := keysource.New(ks)
	if err != nil {
		return nil, err
	}
	v, err := validate.New(validate.Config{
		Instance: a.Instance, TenantID: a.TenantId, AllowedTenants: a.AllowedTenants, AllowAnyTenant: a.AllowAnyTenant,
		ClientID: a.ClientId, Audiences: a.AllAudiences(), Issuers: a.Issuers, AcceptV1: a.AcceptV1, AcceptV2: a.AcceptV2,
		Algorithms: c.Validation.Algorithms, Types: c.Validation.Types, ClockSkew: c.Validation.ClockSkew,
		MaxTokenSize: c.Validation.MaxTokenSize, CacheEntries: c.Validation.CacheEntries, Keys: keys, Now: d.Now,
	})
	if err != nil {
		return nil, err
	}
	core := &Core{Keys: keys, Validator: v}
	gc := gateway.Config{
		Validator: v, Ready: readiness(keys), RetryAfter: c.Keys.RetryAfter,
		MaxTokenSize: c.Validation.MaxTokenSize, Logger: d.Logger, Now: d.Now,
	}
	if len(a.RequiredScopes) > 0 || len(a.RequiredRoles) > 0 {
		gc.Require = validate.Requirement{AnyScopes: a.RequiredScopes, AnyRoles: a.RequiredRoles}
		if len(a.RequiredScopes) > 0 {
			gc.Scope = a.RequiredScopes[0]
		}
	}
	if g, ok := c.Graph(); ok && s.ClientSecret != "" {
		cred, err := obo.NewClientSecret(s.ClientSecret)
		if err != nil {
			return nil, err
		}
		oc := obo.Config{
			Instance: a.Instance, TenantID: a.TenantId, ClientID: a.ClientId, TokenEndpoint: a.TokenEndpoint,
			Credential: cred, Doer: d.Doer, Now: d.Now, Logger: d.Logger,
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
			l2, err := NewSealedCache(d.L2Store, sealer, c.TokenCache.Margin, d.Now)
			if err != nil {
				return nil, err
			}
			oc.L2 = l2
		}
		client, err := obo.New(oc)
		if err != nil {
			return nil, err
		}
		core.OBO = client
		gc.OBO, gc.Graph = client, d.Doer
		gc.GraphBaseURL, gc.GraphRelativePath, gc.GraphScopes = g.BaseUrl, g.RelativePath, g.Scopes
		gc.GraphTimeout, gc.MaxGraphBytes = g.Timeout, g.MaxBodyBytes
	}
	h, err := gateway.New(gc)
	if err != nil {
		return nil, err
	}
	core.Handler = lazyReady(keys, h)
	return core, nil
}

// readiness reports the key source's state for /readyz.
func readiness(keys *keysource.Source) func() gateway.ReadyStatus {
	return func() gateway.ReadyStatus {
		st := keys.Status()
		rs := gateway.ReadyStatus{Ready: st.Loaded, Degraded: st.Stale, KeySetAge: st.Age, Keys: st.Keys}
		switch {
		case st.Stale:
			rs.Detail = "serving last-known-good signing keys; refresh failing"
		case !st.Loaded:
			rs.Detail = "signing keys not loaded yet"
		}
		return rs
	}
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
