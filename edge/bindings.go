package edge

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/entragate/entragate/config"
	"github.com/entragate/entragate/tokencache"
)

// Worker binding names. Text vars and secrets map onto config.Config with
// the meaning of the native YAML settings named in the comments.
const (
	BindInstance       = "AZUREAD_INSTANCE"       // AzureAd.Instance
	BindTenantID       = "AZUREAD_TENANTID"       // AzureAd.TenantId
	BindClientID       = "AZUREAD_CLIENTID"       // AzureAd.ClientId
	BindAudiences      = "AZUREAD_AUDIENCES"      // AzureAd.Audiences (comma or space separated)
	BindAllowedTenants = "AZUREAD_ALLOWEDTENANTS" // AzureAd.AllowedTenants
	BindAllowAnyTenant = "AZUREAD_ALLOWANYTENANT" // AzureAd.AllowAnyTenant (true/false)
	BindIssuers        = "AZUREAD_ISSUERS"        // AzureAd.Issuers
	BindAcceptV1       = "AZUREAD_ACCEPTV1"       // AzureAd.AcceptV1
	BindAcceptV2       = "AZUREAD_ACCEPTV2"       // AzureAd.AcceptV2
	BindMetadataURL    = "AZUREAD_METADATAURL"    // AzureAd.MetadataUrl
	BindJWKSURL        = "AZUREAD_JWKSURL"        // AzureAd.JwksUrl
	BindTokenEndpoint  = "AZUREAD_TOKENENDPOINT"  // AzureAd.TokenEndpoint
	// AzureAd.RequiredScopes / RequiredRoles (any-of): the older form of
	// Authorization.Default, as natively.
	BindRequiredScopes = "AZUREAD_REQUIREDSCOPES" // AzureAd.RequiredScopes
	BindRequiredRoles  = "AZUREAD_REQUIREDROLES"  // AzureAd.RequiredRoles
	// BindAuthzDefault is Authorization.Default as a JSON object, e.g.
	// {"AllScopes":["access_as_user","Profile.Read"]}.
	BindAuthzDefault = "AUTHORIZATION_DEFAULT"
	// BindAuthzRoutes is Authorization.Routes as a JSON object, route →
	// requirement, e.g. {"/graph/me":{"AnyScopes":["x"]},"/me":{"AnyRoles":["y"]}}.
	// Field names are config.Requirement's (AnyScopes, AllScopes, AnyRoles,
	// AllRoles); unknown fields are refused, as the native YAML does.
	BindAuthzRoutes = "AUTHORIZATION_ROUTES"
	// BindClientSecret is a secret: AzureAd.ClientCredentials[0] becomes
	// {SourceType: ClientSecret, ClientSecretEnv: AZUREAD_CLIENTSECRET}.
	BindClientSecret = "AZUREAD_CLIENTSECRET"

	BindGraphBaseURL = "GRAPH_BASEURL" // DownstreamApis.MicrosoftGraph.BaseUrl
	BindGraphScopes  = "GRAPH_SCOPES"  // DownstreamApis.MicrosoftGraph.Scopes
	BindGraphTimeout = "GRAPH_TIMEOUT" // DownstreamApis.MicrosoftGraph.Timeout (Go duration)

	BindKeysRefreshInterval    = "KEYS_REFRESHINTERVAL"    // Keys.RefreshInterval
	BindKeysUnknownKidInterval = "KEYS_UNKNOWNKIDINTERVAL" // Keys.UnknownKidInterval
	BindKeysAllowInsecureHTTP  = "KEYS_ALLOWINSECUREHTTP"  // Keys.AllowInsecureHTTP (development only)

	BindClockSkew    = "VALIDATION_CLOCKSKEW"    // Validation.ClockSkew
	BindMaxTokenSize = "VALIDATION_MAXTOKENSIZE" // Validation.MaxTokenSize

	BindCacheMargin  = "TOKENCACHE_MARGIN"     // TokenCache.Margin
	BindCacheTimeout = "TOKENCACHE_TIMEOUT"    // TokenCache.Timeout
	BindCacheEntries = "TOKENCACHE_MAXENTRIES" // TokenCache.MaxEntries (the isolate's L1)
	BindCacheBytes   = "TOKENCACHE_MAXBYTES"   // TokenCache.MaxBytes (the isolate's L1)
	// BindVerifiedTokens is Validation.CacheEntries (verified-token cache).
	BindVerifiedTokens = "VALIDATION_CACHEENTRIES"

	// BindCacheKind selects the shared L2 of OBO tokens: "none" (isolate
	// memory only, the default), "cache" (Workers Cache API, per data
	// centre) or "kv" (a KV namespace, global, eventually consistent).
	BindCacheKind = "TOKENCACHE_L2"
	// BindCacheKV names the KV namespace binding (default "TOKEN_CACHE").
	BindCacheKV = "TOKENCACHE_KV_BINDING"
	// DefaultKVBinding is the KV binding name when BindCacheKV is unset.
	DefaultKVBinding = "TOKEN_CACHE"
	// BindCacheName names the Cache API cache (default "" = caches.default).
	BindCacheName = "TOKENCACHE_CACHE_NAME"
	// BindCacheL2Timeout bounds one KV / Cache API operation (Go duration,
	// default DefaultL2Timeout); past it the OBO client goes on without L2.
	BindCacheL2Timeout = "TOKENCACHE_L2_TIMEOUT"
	// BindCacheKeys is a secret: "id1:base64key1,id2:base64key2" (32-byte
	// AES-256-GCM keys, the first is current), as the native
	// TokenCache.Redis.EncryptionKeysEnv variable. Required for an L2.
	BindCacheKeys = "TOKENCACHE_ENCRYPTION_KEYS"

	BindLogLevel = "LOGGING_LEVEL" // Logging.Level
	// BindRequestTimeout (whole milliseconds, 1 to 30000) is the request
	// budget, after which Go's context is cancelled and 504 sent. The JS
	// shim reads it with the same rules; FromWorker refuses other values.
	BindRequestTimeout = "EDGE_REQUEST_TIMEOUT_MS"
	// BindDebugStats (a boolean as strconv.ParseBool reads it: true, TRUE,
	// 1, false, ...) makes the shim answer GET /_edge/stats with goroutine
	// and request counts (tests; off by default).
	BindDebugStats = "EDGE_DEBUG_STATS"
)

// knownBindings are every name FromBindings and the shim read.
var knownBindings = map[string]bool{
	BindInstance: true, BindTenantID: true, BindClientID: true, BindAudiences: true, BindAllowedTenants: true,
	BindAllowAnyTenant: true, BindIssuers: true, BindAcceptV1: true, BindAcceptV2: true, BindMetadataURL: true,
	BindJWKSURL: true, BindTokenEndpoint: true, BindRequiredScopes: true, BindRequiredRoles: true, BindClientSecret: true,
	BindAuthzDefault: true, BindAuthzRoutes: true,
	BindGraphBaseURL: true, BindGraphScopes: true, BindGraphTimeout: true,
	BindKeysRefreshInterval: true, BindKeysUnknownKidInterval: true, BindKeysAllowInsecureHTTP: true,
	BindClockSkew: true, BindMaxTokenSize: true, BindVerifiedTokens: true,
	BindCacheMargin: true, BindCacheTimeout: true, BindCacheEntries: true, BindCacheBytes: true,
	BindCacheKind: true, BindCacheKV: true, BindCacheName: true, BindCacheL2Timeout: true, BindCacheKeys: true,
	BindLogLevel: true, BindRequestTimeout: true, BindDebugStats: true,
}

// ownPrefixes mark bindings that must be known: as the native YAML refuses
// unknown keys, a misspelt setting is an error, not silently ignored.
var ownPrefixes = []string{"AZUREAD_", "AUTHORIZATION_", "GRAPH_", "KEYS_", "VALIDATION_", "TOKENCACHE_", "LOGGING_", "EDGE_"}

// L2 kinds.
const (
	L2None  = "none"
	L2Cache = "cache"
	L2KV    = "kv"
)

// Edge defaults that differ from the native ones: an isolate has 128 MB
// of memory in all, so the in-isolate caches are smaller.
const (
	EdgeDefaultCacheEntries    = 2000
	EdgeDefaultCacheBytes      = 8 << 20
	EdgeDefaultVerifiedEntries = 2000
)

// DefaultL2Timeout bounds one KV or Cache API operation. KV reads of a
// key not yet in the local data centre take tens of milliseconds, so this
// is more generous than the native Redis default.
const DefaultL2Timeout = time.Second

// DefaultRequestTimeout and MaxRequestTimeout bound BindRequestTimeout
// (the shim's default and the bridge's cap).
const (
	DefaultRequestTimeout = 15 * time.Second
	MaxRequestTimeout     = 30 * time.Second
)

// ErrBindings wraps every configuration problem found in the bindings.
var ErrBindings = errors.New("edge: invalid bindings")

// Settings is the edge configuration: the shared config.Config (defaulted
// and validated) plus what only the Worker has.
type Settings struct {
	Config *config.Config
	// ClientSecret is the value of AZUREAD_CLIENTSECRET (never logged).
	ClientSecret string
	L2           string // L2None, L2Cache or L2KV
	KVBinding    string
	L2Timeout    time.Duration
	CacheName    string
	// RequestTimeout and DebugStats are EDGE_REQUEST_TIMEOUT_MS and
	// EDGE_DEBUG_STATS, validated here, applied by the shim.
	RequestTimeout time.Duration
	DebugStats     bool
	// SealerKeys and SealerCurrent come from TOKENCACHE_ENCRYPTION_KEYS.
	SealerKeys    map[string][]byte
	SealerCurrent string
}

// Runtime is what the Worker has bound besides text: the shim reports it
// so that a missing store is a configuration problem, not a silently
// disabled L2.
type Runtime struct {
	KV    []string // binding names of the bound KV namespaces
	Cache bool     // the Cache API (caches) is available
}

// FromBindings maps the Worker's text bindings onto config.Config, applies
// the native defaults and validation, and reports every problem at once.
// Error messages name bindings, never their secret values. The stores an
// L2 needs are not checked (see FromWorker).
func FromBindings(env map[string]string) (*Settings, error) { return FromWorker(env, nil) }

// FromWorker is FromBindings that also checks, when rt is not nil, that
// the store TOKENCACHE_L2 selects is bound: the KV namespace named by
// TOKENCACHE_KV_BINDING, or the Cache API.
func FromWorker(env map[string]string, rt *Runtime) (*Settings, error) {
	var problems []string
	bad := func(name, format string, args ...any) {
		problems = append(problems, name+": "+fmt.Sprintf(format, args...))
	}
	get := func(name string) string { return strings.TrimSpace(env[name]) }
	dur := func(name string, p *time.Duration) {
		if s := get(name); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil {
				bad(name, "%q is not a duration such as 30s", s)
				return
			}
			*p = d
		}
	}
	boolean := func(name string) *bool {
		s := get(name)
		if s == "" {
			return nil
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			bad(name, "%q is not true or false", s)
			return nil
		}
		return &b
	}
	integer := func(name string, p *int) {
		if s := get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				bad(name, "%q is not a number", s)
				return
			}
			*p = n
		}
	}

	names := make([]string, 0, len(env))
	for name := range env {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if knownBindings[name] {
			continue
		}
		for _, p := range ownPrefixes {
			if strings.HasPrefix(name, p) {
				bad(name, "unknown binding (misspelt?)")
				break
			}
		}
	}

	c := &config.Config{}
	a := &c.AzureAd
	a.Instance = get(BindInstance)
	a.TenantId = get(BindTenantID)
	a.ClientId = get(BindClientID)
	a.Audiences = list(get(BindAudiences))
	a.AllowedTenants = list(get(BindAllowedTenants))
	if b := boolean(BindAllowAnyTenant); b != nil {
		a.AllowAnyTenant = *b
	}
	a.Issuers = list(get(BindIssuers))
	a.AcceptV1 = boolean(BindAcceptV1)
	a.AcceptV2 = boolean(BindAcceptV2)
	a.MetadataUrl = get(BindMetadataURL)
	a.JwksUrl = get(BindJWKSURL)
	a.TokenEndpoint = get(BindTokenEndpoint)
	a.RequiredScopes = list(get(BindRequiredScopes))
	a.RequiredRoles = list(get(BindRequiredRoles))
	s := &Settings{Config: c, ClientSecret: env[BindClientSecret]}
	if s.ClientSecret != "" {
		a.ClientCredentials = []config.ClientCredential{{SourceType: config.SourceClientSecret, ClientSecretEnv: BindClientSecret}}
	}

	jsonValue := func(name string, p any) {
		v := get(name)
		if v == "" {
			return
		}
		dec := json.NewDecoder(strings.NewReader(v))
		dec.DisallowUnknownFields()
		if err := dec.Decode(p); err != nil {
			bad(name, "not a JSON object of AnyScopes/AllScopes/AnyRoles/AllRoles lists: %v", err)
			return
		}
		if dec.More() {
			bad(name, "trailing data after the JSON object")
		}
	}
	jsonValue(BindAuthzDefault, &c.Authorization.Default)
	jsonValue(BindAuthzRoutes, &c.Authorization.Routes)

	if base, scopes := get(BindGraphBaseURL), get(BindGraphScopes); base != "" || scopes != "" || s.ClientSecret != "" {
		g := config.DownstreamApi{BaseUrl: base, Scopes: list(scopes)}
		if len(g.Scopes) == 0 {
			g.Scopes = []string{"https://graph.microsoft.com/User.Read"}
		}
		dur(BindGraphTimeout, &g.Timeout)
		c.DownstreamApis = map[string]config.DownstreamApi{config.GraphAPIName: g}
	}
	dur(BindKeysRefreshInterval, &c.Keys.RefreshInterval)
	dur(BindKeysUnknownKidInterval, &c.Keys.UnknownKidInterval)
	if b := boolean(BindKeysAllowInsecureHTTP); b != nil {
		c.Keys.AllowInsecureHTTP = *b
	}
	dur(BindClockSkew, &c.Validation.ClockSkew)
	integer(BindMaxTokenSize, &c.Validation.MaxTokenSize)
	dur(BindCacheMargin, &c.TokenCache.Margin)
	dur(BindCacheTimeout, &c.TokenCache.Timeout)
	c.TokenCache.MaxEntries, c.TokenCache.MaxBytes = EdgeDefaultCacheEntries, EdgeDefaultCacheBytes
	c.Validation.CacheEntries = EdgeDefaultVerifiedEntries
	integer(BindCacheEntries, &c.TokenCache.MaxEntries)
	integer(BindVerifiedTokens, &c.Validation.CacheEntries)
	if v := get(BindCacheBytes); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			bad(BindCacheBytes, "%q is not a number", v)
		}
		c.TokenCache.MaxBytes = n
	}
	c.Logging.Level = get(BindLogLevel)
	c.Logging.Format = "json"

	s.L2 = strings.ToLower(get(BindCacheKind))
	switch s.L2 {
	case "", L2None:
		s.L2 = L2None
	case L2Cache, L2KV:
		keys, current, err := tokencache.ParseKeys(env[BindCacheKeys])
		if err != nil {
			bad(BindCacheKeys, "%v (required with %s=%s: tokens are stored only encrypted)", err, BindCacheKind, s.L2)
		}
		s.SealerKeys, s.SealerCurrent = keys, current
	default:
		bad(BindCacheKind, "%q is not none, cache or kv", s.L2)
	}
	s.KVBinding = get(BindCacheKV)
	if s.KVBinding == "" {
		s.KVBinding = DefaultKVBinding
	}
	s.CacheName = get(BindCacheName)
	if rt != nil {
		switch s.L2 {
		case L2KV:
			if !slices.Contains(rt.KV, s.KVBinding) {
				bad(BindCacheKV, "%s=kv but the Worker has no KV namespace bound as %q (bound: %s); check %s and kv_namespaces in wrangler.toml",
					BindCacheKind, s.KVBinding, kvList(rt.KV), BindCacheKV)
			}
		case L2Cache:
			if !rt.Cache {
				bad(BindCacheKind, "cache but the Cache API is not available to the Worker")
			}
		}
	}
	s.L2Timeout = DefaultL2Timeout
	dur(BindCacheL2Timeout, &s.L2Timeout)
	if s.L2Timeout <= 0 || s.L2Timeout > time.Minute {
		bad(BindCacheL2Timeout, "must be between 1ms and 1m")
	}

	s.RequestTimeout = DefaultRequestTimeout
	if v := get(BindRequestTimeout); v != "" {
		ms, err := strconv.ParseUint(v, 10, 32)
		if err != nil || ms < 1 || time.Duration(ms)*time.Millisecond > MaxRequestTimeout {
			bad(BindRequestTimeout, "%q is not a whole number of milliseconds from 1 to %d", v, MaxRequestTimeout.Milliseconds())
		} else {
			s.RequestTimeout = time.Duration(ms) * time.Millisecond
		}
	}
	if b := boolean(BindDebugStats); b != nil {
		s.DebugStats = *b
	}

	c.SetDefaults()
	if err := c.Validate(); err != nil {
		var ve *config.ValidationError
		if errors.As(err, &ve) {
			problems = append(problems, ve.Problems...)
		} else {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrBindings, strings.Join(problems, "; "))
	}
	return s, nil
}

func kvList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	sort.Strings(q)
	return strings.Join(q, ", ")
}

// list splits a binding on commas and whitespace.
func list(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	if len(f) == 0 {
		return nil
	}
	return f
}
