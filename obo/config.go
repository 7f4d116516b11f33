package obo

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/entragate/entragate/tokencache"
)

// Defaults.
const (
	DefaultInstance = "https://login.microsoftonline.com/"
	// DefaultMargin: a cached token is served only while it has more than
	// min(Margin, lifetime/4) of life left.
	DefaultMargin = 5 * time.Minute
	// DefaultTimeout bounds one token endpoint request (including the L2
	// lookup before it).
	DefaultTimeout = 10 * time.Second
	// DefaultL1Entries and DefaultL1Bytes size the default in-memory L1.
	DefaultL1Entries = 10000
	DefaultL1Bytes   = 64 << 20
	// DefaultL2Timeout bounds one L2 operation.
	DefaultL2Timeout = 100 * time.Millisecond

	maxThrottleEntries = 4096
	l2LogInterval      = 30 * time.Second
)

// Cache stores encoded tokens by cache key. tokencache.Memory (L1) and
// rediscache.Cache (L2) implement it. Values are opaque; expiresAt is the
// token's expiry (a store must not return a value past it).
type Cache interface {
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	Set(ctx context.Context, key string, value []byte, expiresAt time.Time) error
}

// CacheDeleter is optionally implemented by a Cache that can drop one
// entry (rediscache.Cache); Client.Invalidate uses it. tokencache.Memory's
// Delete (no error result) is used too. A Cache without Delete keeps the
// entry until a forced refresh overwrites it or it expires.
type CacheDeleter interface {
	Delete(ctx context.Context, key string) error
}

// Observer receives metrics events. All methods must be cheap and safe for
// concurrent use. A nil Observer is allowed.
type Observer interface {
	// TokenRequest: one token endpoint round trip (or a local throttle
	// refusal, latency 0), result "success" or a Kind name, or
	// "throttled_local".
	TokenRequest(result string, latency time.Duration)
	// CacheLookup: where a Token call was served from: "l1", "l2", "miss".
	CacheLookup(level string)
	// SingleFlightMerge: a caller waited on an identical request in flight.
	SingleFlightMerge()
	// L2Error: an L2 operation ("get", "set", "decode", "delete") failed; the request
	// went on without it.
	L2Error(op string)
}

// Config configures a Client. Instance, TenantID, ClientID and Credential
// are required (Instance defaults to the public cloud).
type Config struct {
	Instance string // default DefaultInstance
	TenantID string // the API's tenant; Request.TenantID may override per call
	ClientID string // this API's (the middle tier's) application id
	// TokenEndpoint overrides {Instance}{tenant}/oauth2/v2.0/token; it may
	// hold "{tenant}". Must be https (http only for loopback hosts).
	TokenEndpoint string
	Credential    Credential
	// Doer sends the token request. It should not follow redirects (the
	// form carries the assertion and the credential); an answer that came
	// from another URL is refused anyway.
	Doer     Doer
	Now      func() time.Time
	Logger   *slog.Logger
	Observer Observer
	Margin   time.Duration // default DefaultMargin; see DefaultMargin
	Timeout  time.Duration // default DefaultTimeout
	L1       Cache         // default tokencache.NewMemory(DefaultL1Entries, DefaultL1Bytes, Now)
	L2       Cache         // optional shared cache (Redis, KV)
	// L2Timeout bounds each L2 operation; default DefaultL2Timeout. A slow
	// or failing L2 is skipped (counted by Observer.L2Error, logged at most
	// every 30 s); the request still succeeds.
	L2Timeout time.Duration
	// ClientCapabilities (e.g. ["cp1"] for Continuous Access Evaluation) are
	// sent in every claims request as access_token.xms_cc, like
	// Microsoft.Identity.Web's ClientCapabilities. Part of the cache key.
	ClientCapabilities []string
}

// Client performs OBO exchanges with a two-level cache and single flight.
// Safe for concurrent use; starts no goroutines.
type Client struct {
	instance, tenant, clientID, endpoint string
	cred                                 Credential
	doer                                 Doer
	now                                  func() time.Time
	log                                  *slog.Logger
	obs                                  Observer
	margin, timeout, l2Timeout           time.Duration
	l1, l2                               Cache
	caps                                 []string
	flight                               flight
	throttle                             throttle
	l2log                                rateLog
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	c := &Client{
		instance: normalizeInstance(cfg.Instance), tenant: cfg.TenantID, clientID: cfg.ClientID,
		cred: cfg.Credential, doer: cfg.Doer, now: cfg.Now, log: cfg.Logger, obs: cfg.Observer,
		margin: cfg.Margin, timeout: cfg.Timeout, l2Timeout: cfg.L2Timeout, l1: cfg.L1, l2: cfg.L2,
	}
	if c.doer == nil || c.cred == nil {
		return nil, fmt.Errorf("%w: Doer and Credential are required", ErrConfig)
	}
	if !validSegment(c.tenant) {
		return nil, fmt.Errorf("%w: TenantID missing or not a tenant id/domain", ErrConfig)
	}
	if !validSegment(c.clientID) {
		return nil, fmt.Errorf("%w: ClientID missing or invalid", ErrConfig)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.obs == nil {
		c.obs = nopObserver{}
	}
	if c.margin == 0 {
		c.margin = DefaultMargin
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.l2Timeout == 0 {
		c.l2Timeout = DefaultL2Timeout
	}
	if c.margin < 0 || c.timeout < 0 || c.l2Timeout < 0 {
		return nil, fmt.Errorf("%w: negative Margin or Timeout", ErrConfig)
	}
	if c.l1 == nil {
		c.l1 = tokencache.NewMemory(DefaultL1Entries, DefaultL1Bytes, c.now)
	}
	for _, cp := range cfg.ClientCapabilities {
		if !validSegment(cp) {
			return nil, fmt.Errorf("%w: client capability %q", ErrConfig, cp)
		}
	}
	c.caps = append([]string(nil), cfg.ClientCapabilities...)
	c.endpoint = cfg.TokenEndpoint
	if c.endpoint == "" {
		c.endpoint = c.instance + "{tenant}/oauth2/v2.0/token"
	}
	if err := checkEndpoint(strings.ReplaceAll(c.endpoint, "{tenant}", c.tenant)); err != nil {
		return nil, err
	}
	c.throttle.m = make(map[string]time.Time)
	c.flight.m = make(map[string]*call)
	return c, nil
}

// TokenEndpoint returns the token endpoint used for tenant.
func (c *Client) TokenEndpoint(tenant string) string {
	return strings.ReplaceAll(c.endpoint, "{tenant}", tenant)
}

func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%w: token endpoint is not an absolute URL", ErrConfig)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("%w: token endpoint must be https (http only on loopback)", ErrConfig)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validSegment accepts a tenant id / domain / client id usable as one URL
// path segment.
func validSegment(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.' || ch == '_') {
			return false
		}
	}
	return s != "." && s != ".."
}

type nopObserver struct{}

func (nopObserver) TokenRequest(string, time.Duration) {}
func (nopObserver) CacheLookup(string)                 {}
func (nopObserver) SingleFlightMerge()                 {}
func (nopObserver) L2Error(string)                     {}
