package config

import (
	"strings"
	"time"

	"github.com/entragate/entragate/authority"
	"github.com/entragate/entragate/keysource"
)

// Defaults (documented in docs/configuration.md).
const (
	DefaultInstance          = "https://login.microsoftonline.com/"
	DefaultListen            = "127.0.0.1:8080"
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultShutdownTimeout   = 15 * time.Second
	DefaultMaxConcurrent     = 1024
	DefaultMetricsPath       = "/metrics"
	// The key-source defaults are keysource's own (one place to change them).
	DefaultRefreshInterval    = keysource.DefaultRefreshInterval
	DefaultUnknownKidInterval = keysource.DefaultUnknownKidInterval
	DefaultNegativeTTL        = keysource.DefaultNegativeTTL
	DefaultMaxStale           = keysource.DefaultMaxStale
	DefaultFetchTimeout       = keysource.DefaultFetchTimeout
	DefaultKeysMaxBytes       = keysource.DefaultMaxBytes
	DefaultStartupTimeout     = 30 * time.Second
	DefaultKeysRetryAfter     = 5 * time.Second
	DefaultCacheEntries       = 10000
	DefaultCacheBytes         = 64 << 20
	DefaultMargin             = 5 * time.Minute
	DefaultOBOTimeout         = 10 * time.Second
	DefaultRedisTimeout       = 75 * time.Millisecond
	DefaultRedisPrefix        = "entragate:obo:v1:"
	DefaultClockSkew          = 5 * time.Minute
	DefaultMaxTokenSize       = 16384
	DefaultDownstreamTimeout  = 10 * time.Second
	DefaultDownstreamMaxBody  = 1 << 20
	DefaultGraphBaseURL       = "https://graph.microsoft.com/v1.0"
	DefaultGraphRelativePath  = "me"
	DefaultLogLevel           = "info"
	DefaultLogFormat          = "json"
)

// PersonalTenantID is the tenant of personal Microsoft accounts (MSA); it
// is authority.PersonalTenantID.
const PersonalTenantID = authority.PersonalTenantID

// GraphAPIName is the DownstreamApis entry behind GET /graph/me.
const GraphAPIName = "MicrosoftGraph"

// SetDefaults fills every unset (zero) setting with its default and
// normalises the Instance to end with "/". Idempotent.
func (c *Config) SetDefaults() {
	a := &c.AzureAd
	if a.Instance == "" {
		a.Instance = DefaultInstance
	}
	if !strings.HasSuffix(a.Instance, "/") {
		a.Instance += "/"
	}
	for name, d := range c.DownstreamApis {
		if d.BaseUrl == "" && name == GraphAPIName {
			d.BaseUrl = DefaultGraphBaseURL
		}
		d.BaseUrl = strings.TrimRight(d.BaseUrl, "/")
		if d.RelativePath == "" && name == GraphAPIName {
			d.RelativePath = DefaultGraphRelativePath
		}
		setDur(&d.Timeout, DefaultDownstreamTimeout)
		setInt64(&d.MaxBodyBytes, DefaultDownstreamMaxBody)
		c.DownstreamApis[name] = d
	}
	s := &c.Server
	if s.Listen == "" {
		s.Listen = DefaultListen
	}
	setDur(&s.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDur(&s.ReadTimeout, DefaultReadTimeout)
	setDur(&s.WriteTimeout, DefaultWriteTimeout)
	setDur(&s.IdleTimeout, DefaultIdleTimeout)
	setDur(&s.ShutdownTimeout, DefaultShutdownTimeout)
	setInt(&s.MaxHeaderBytes, DefaultMaxHeaderBytes)
	setInt(&s.MaxConcurrent, DefaultMaxConcurrent)
	if s.MetricsPath == "" {
		s.MetricsPath = DefaultMetricsPath
	}
	k := &c.Keys
	setDur(&k.RefreshInterval, DefaultRefreshInterval)
	setDur(&k.UnknownKidInterval, DefaultUnknownKidInterval)
	setDur(&k.NegativeTTL, DefaultNegativeTTL)
	setDur(&k.MaxStale, DefaultMaxStale)
	setDur(&k.FetchTimeout, DefaultFetchTimeout)
	setInt64(&k.MaxBytes, DefaultKeysMaxBytes)
	setDur(&k.StartupTimeout, DefaultStartupTimeout)
	setDur(&k.RetryAfter, DefaultKeysRetryAfter)
	t := &c.TokenCache
	setInt(&t.MaxEntries, DefaultCacheEntries)
	setInt64(&t.MaxBytes, DefaultCacheBytes)
	setDur(&t.Margin, DefaultMargin)
	setDur(&t.Timeout, DefaultOBOTimeout)
	if r := t.Redis; r != nil {
		setDur(&r.Timeout, DefaultRedisTimeout)
		if r.KeyPrefix == "" {
			r.KeyPrefix = DefaultRedisPrefix
		}
	}
	v := &c.Validation
	setDur(&v.ClockSkew, DefaultClockSkew)
	setInt(&v.MaxTokenSize, DefaultMaxTokenSize)
	if len(v.Algorithms) == 0 {
		v.Algorithms = []string{"RS256"}
	}
	if len(v.Types) == 0 {
		v.Types = []string{"JWT"}
	}
	l := &c.Logging
	if l.Level == "" {
		l.Level = DefaultLogLevel
	}
	if l.Format == "" {
		l.Format = DefaultLogFormat
	}
}

// Graph returns the MicrosoftGraph downstream API, if configured.
func (c *Config) Graph() (DownstreamApi, bool) {
	d, ok := c.DownstreamApis[GraphAPIName]
	return d, ok
}

func setDur(p *time.Duration, d time.Duration) {
	if *p == 0 {
		*p = d
	}
}

func setInt(p *int, d int) {
	if *p == 0 {
		*p = d
	}
}

func setInt64(p *int64, d int64) {
	if *p == 0 {
		*p = d
	}
}
