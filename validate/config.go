package validate

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/entragate/entragate/authority"
	"github.com/entragate/entragate/jwt"
)

// Defaults.
const (
	// DefaultClockSkew is the tolerance applied to exp, nbf and iat. Five
	// minutes is Microsoft.IdentityModel's default (TokenValidationParameters.
	// DefaultClockSkew), so a token accepted by a .NET API is accepted here.
	DefaultClockSkew = 5 * time.Minute
	// DefaultMaxTokenSize caps the compact token before any decoding.
	DefaultMaxTokenSize = jwt.DefaultMaxSize
	// DefaultCacheEntries bounds the verified-token cache.
	DefaultCacheEntries = 10000
	// MaxClockSkew is the largest accepted ClockSkew.
	MaxClockSkew = time.Hour
)

// ErrConfig is wrapped by New for every configuration error.
var ErrConfig = errors.New("validate: invalid configuration")

// Config configures a Validator (Microsoft.Identity.Web semantics).
type Config struct {
	Instance       string   // default "https://login.microsoftonline.com/"
	TenantID       string   // GUID, "organizations", "common", "consumers" (or B2C tenant domain)
	AllowedTenants []string // tenant GUIDs accepted when TenantID is organizations/common
	AllowAnyTenant bool     // explicit opt-in for multi-tenant without allow-list
	ClientID       string
	// Audiences accepted (any-of). Default: v2 token → ClientID, v1 token → "api://"+ClientID.
	Audiences []string
	// Issuers, when set, replace the issuers derived from Instance (B2C, custom
	// domains). They may hold "{tenantid}", filled from the token's tid.
	Issuers            []string
	AcceptV1, AcceptV2 *bool         // nil = true
	Algorithms         []string      // default ["RS256"]; "none" and HS* are always refused
	Types              []string      // default ["JWT"]; add "" to accept tokens without typ
	ClockSkew          time.Duration // default DefaultClockSkew (5m); negative = 0
	MaxTokenSize       int           // default 16384
	CacheEntries       int           // verified-token cache; 0 = default, <0 = off
	Keys               Keys
	Now                func() time.Time
}

// Bool returns a pointer to b (for AcceptV1 / AcceptV2).
func Bool(b bool) *bool { return &b }

// settings is the validated, normalised configuration.
type settings struct {
	kind         authority.TenantKind
	tenant       string // lower-case GUID for single tenant
	allowed      map[string]bool
	allowAny     bool
	clientID     string
	audiences    []string // explicit; nil = defaults
	v1aud, v2aud string
	issuers      []string // templates
	v1Tmpl       string
	v2Tmpl       string
	acceptV1     bool
	acceptV2     bool
	algs         []string
	types        []string
	skew         time.Duration
	maxSize      int
	cacheEntries int
	needTIDInIss bool
	// clientIDAnyVer: default audiences accept ClientID for v1 tokens too.
	clientIDAnyVer bool
}

func cfgErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
}

func buildSettings(cfg Config) (*settings, error) {
	s := &settings{}
	if cfg.Keys == nil {
		return nil, cfgErr("Keys is required")
	}
	inst, err := authority.NormalizeInstance(cfg.Instance)
	if err != nil {
		return nil, cfgErr("%v", err)
	}
	s.kind = authority.ClassifyTenant(cfg.TenantID)
	switch s.kind {
	case authority.TenantInvalid:
		return nil, cfgErr("TenantID must be a tenant GUID, a domain, organizations, common or consumers")
	case authority.TenantGUID:
		s.tenant = strings.ToLower(cfg.TenantID)
		if s.tenant == authority.PersonalTenantID {
			return nil, cfgErr("for personal Microsoft accounts set TenantID to consumers or common")
		}
	case authority.TenantDomain:
		if len(cfg.Issuers) == 0 {
			return nil, cfgErr("a TenantID given as a domain name needs explicit Issuers (use the tenant GUID instead)")
		}
	case authority.TenantKindOrganizations, authority.TenantKindCommon:
		if len(cfg.AllowedTenants) == 0 && !cfg.AllowAnyTenant {
			return nil, cfgErr("TenantID %s needs AllowedTenants or AllowAnyTenant (there is no way to turn the issuer check off)", strings.ToLower(cfg.TenantID))
		}
	}
	s.allowAny = cfg.AllowAnyTenant
	if len(cfg.AllowedTenants) > 0 {
		s.allowed = make(map[string]bool, len(cfg.AllowedTenants))
		for _, t := range cfg.AllowedTenants {
			lt := strings.ToLower(t)
			if !authority.IsGUID(lt) {
				return nil, cfgErr("AllowedTenants entries must be tenant GUIDs")
			}
			s.allowed[lt] = true
		}
	}
	s.clientID = cfg.ClientID
	for _, a := range cfg.Audiences {
		if a == "" {
			return nil, cfgErr("Audiences must not hold an empty string")
		}
	}
	s.audiences = cfg.Audiences
	if len(s.audiences) == 0 {
		if s.clientID == "" {
			return nil, cfgErr("ClientID or Audiences is required")
		}
		s.v2aud = s.clientID
		s.v1aud = "api://" + s.clientID
		if strings.Contains(s.clientID, "://") {
			s.v1aud = s.clientID // already an App ID URI
		}
	}
	tm := authority.IssuerTemplates(inst)
	s.v1Tmpl, s.v2Tmpl = tm.V1, tm.V2
	// B2C / External ID (no v1 issuer) and explicit Issuers: B2C issues
	// ver 1.0 tokens whose aud is the client ID, so accept the client ID
	// for either version there.
	s.clientIDAnyVer = len(s.audiences) == 0 && (s.v1Tmpl == "" || len(cfg.Issuers) > 0)
	for _, is := range cfg.Issuers {
		if is == "" {
			return nil, cfgErr("Issuers must not hold an empty string")
		}
		if strings.Contains(is, authority.TenantPlaceholder) {
			s.needTIDInIss = true
		}
	}
	s.issuers = cfg.Issuers
	s.acceptV1 = cfg.AcceptV1 == nil || *cfg.AcceptV1
	s.acceptV2 = cfg.AcceptV2 == nil || *cfg.AcceptV2
	if !s.acceptV1 && !s.acceptV2 {
		return nil, cfgErr("AcceptV1 and AcceptV2 are both false")
	}
	s.algs = cfg.Algorithms
	if len(s.algs) == 0 {
		s.algs = []string{"RS256"}
	}
	for _, a := range s.algs {
		if !jwt.IsRSAAlg(a) {
			return nil, cfgErr("algorithm %q is not supported (RS256, RS384, RS512, PS256, PS384, PS512)", a)
		}
	}
	s.types = cfg.Types
	if len(s.types) == 0 {
		s.types = []string{"JWT"}
	}
	s.skew = cfg.ClockSkew
	if s.skew == 0 {
		s.skew = DefaultClockSkew
	}
	if s.skew < 0 {
		s.skew = 0
	}
	if s.skew > MaxClockSkew {
		return nil, cfgErr("ClockSkew above %v", MaxClockSkew)
	}
	s.maxSize = cfg.MaxTokenSize
	if s.maxSize <= 0 {
		s.maxSize = DefaultMaxTokenSize
	}
	s.cacheEntries = cfg.CacheEntries
	if s.cacheEntries == 0 {
		s.cacheEntries = DefaultCacheEntries
	}
	return s, nil
}
