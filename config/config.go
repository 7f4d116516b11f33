// Package config loads entragate's YAML configuration. Names follow
// Microsoft.Identity.Web's appsettings (AzureAd, DownstreamApis, ...).
// Lifecycle: Load/Parse (strict decoding: unknown keys are errors with
// their line) → SetDefaults → Validate (every problem reported at once).
// Secrets are never read from the file: only the names of environment
// variables holding them. Builds for js/wasm (the edge maps Worker
// bindings onto the same struct).
package config

import "time"

// Config is the whole configuration file.
type Config struct {
	AzureAd        AzureAd                  `yaml:"AzureAd"`
	Authorization  Authorization            `yaml:"Authorization"`
	DownstreamApis map[string]DownstreamApi `yaml:"DownstreamApis"`
	Server         Server                   `yaml:"Server"`
	Keys           Keys                     `yaml:"Keys"`
	TokenCache     TokenCache               `yaml:"TokenCache"`
	Validation     Validation               `yaml:"Validation"`
	Logging        Logging                  `yaml:"Logging"`
}

// AzureAd describes this API's registration and whom it trusts.
type AzureAd struct {
	Instance          string             `yaml:"Instance"` // default DefaultInstance
	TenantId          string             `yaml:"TenantId"` // GUID, domain, organizations, common, consumers
	ClientId          string             `yaml:"ClientId"` // application (client) id, GUID
	Audience          string             `yaml:"Audience"`
	Audiences         []string           `yaml:"Audiences"`
	AllowedTenants    []string           `yaml:"AllowedTenants"`
	AllowAnyTenant    bool               `yaml:"AllowAnyTenant"`
	Issuers           []string           `yaml:"Issuers"`
	AcceptV1          *bool              `yaml:"AcceptV1"`
	AcceptV2          *bool              `yaml:"AcceptV2"`
	MetadataUrl       string             `yaml:"MetadataUrl"` // override of the discovery document URL
	JwksUrl           string             `yaml:"JwksUrl"`     // explicit key-set URL (skips metadata)
	JwksFile          string             `yaml:"JwksFile"`    // explicit key-set file
	TokenEndpoint     string             `yaml:"TokenEndpoint"`
	ClientCredentials []ClientCredential `yaml:"ClientCredentials"`
	// RequiredScopes: /me and /graph/me need at least one of these in scp.
	// The older form of Authorization.Default.AnyScopes (set one or the other).
	RequiredScopes []string `yaml:"RequiredScopes"`
	// RequiredRoles: app-only tokens need at least one of these in roles.
	// The older form of Authorization.Default.AnyRoles.
	RequiredRoles []string `yaml:"RequiredRoles"`
}

// Authorization says which scopes or roles each protected route requires
// of a valid token.
type Authorization struct {
	// Default applies to every protected route without an entry in Routes.
	// Unset: AzureAd.RequiredScopes / RequiredRoles (any-of), else none.
	Default Requirement `yaml:"Default"`
	// Routes replaces Default on a route; keys are routes the gateway
	// serves (Routes lists them).
	Routes map[string]Requirement `yaml:"Routes"`
}

// Requirement is one route's rule (validate.Requirement): the token passes
// by its scopes (delegated tokens: at least one of AnyScopes, when set, and
// every one of AllScopes) or by its roles (likewise with AnyRoles and
// AllRoles). App-only tokens pass only by roles. Empty: any valid token.
type Requirement struct {
	AnyScopes []string `yaml:"AnyScopes"`
	AllScopes []string `yaml:"AllScopes"`
	AnyRoles  []string `yaml:"AnyRoles"`
	AllRoles  []string `yaml:"AllRoles"`
}

// IsZero reports whether r requires nothing.
func (r Requirement) IsZero() bool {
	return len(r.AnyScopes) == 0 && len(r.AllScopes) == 0 && len(r.AnyRoles) == 0 && len(r.AllRoles) == 0
}

// Credential source types.
const (
	SourceClientSecret            = "ClientSecret"
	SourceCertificate             = "Certificate"
	SourcePath                    = "Path" // Microsoft.Identity.Web's name for a certificate file
	SourceSignedAssertionFilePath = "SignedAssertionFilePath"
)

// ClientCredential is one way this API proves its identity to Entra ID in
// the OBO exchange. The first usable one is used.
type ClientCredential struct {
	SourceType string `yaml:"SourceType"`
	// ClientSecretEnv names the environment variable holding the secret.
	ClientSecretEnv string `yaml:"ClientSecretEnv"`
	// CertificateDiskPath: PEM (certificate chain + private key) or PKCS#12 (.pfx/.p12).
	CertificateDiskPath string `yaml:"CertificateDiskPath"`
	// CertificatePasswordEnv names the environment variable holding the PKCS#12 password.
	CertificatePasswordEnv string `yaml:"CertificatePasswordEnv"`
	// SendX5C sends the certificate chain (x5c) for subject-name/issuer auth.
	SendX5C bool `yaml:"SendX5C"`
	// SignedAssertionFileDiskPath: file holding a federated token (re-read on each use),
	// e.g. AZURE_FEDERATED_TOKEN_FILE of workload identity.
	SignedAssertionFileDiskPath string `yaml:"SignedAssertionFileDiskPath"`
}

// DownstreamApi is an API called on behalf of the user.
type DownstreamApi struct {
	BaseUrl      string        `yaml:"BaseUrl"`
	RelativePath string        `yaml:"RelativePath"`
	Scopes       []string      `yaml:"Scopes"`
	Timeout      time.Duration `yaml:"Timeout"`
	MaxBodyBytes int64         `yaml:"MaxBodyBytes"`
	// AllowInsecureHTTP permits an http BaseUrl on a non-loopback host (development only).
	AllowInsecureHTTP bool `yaml:"AllowInsecureHTTP"`
}

// Server is the native HTTP listener.
type Server struct {
	Listen            string        `yaml:"Listen"`
	ReadHeaderTimeout time.Duration `yaml:"ReadHeaderTimeout"`
	ReadTimeout       time.Duration `yaml:"ReadTimeout"`
	WriteTimeout      time.Duration `yaml:"WriteTimeout"`
	IdleTimeout       time.Duration `yaml:"IdleTimeout"`
	MaxHeaderBytes    int           `yaml:"MaxHeaderBytes"`
	ShutdownTimeout   time.Duration `yaml:"ShutdownTimeout"`
	MaxConcurrent     int           `yaml:"MaxConcurrent"`
	MetricsPath       string        `yaml:"MetricsPath"`
	DisableMetrics    bool          `yaml:"DisableMetrics"`
}

// Keys controls signing-key fetching.
type Keys struct {
	RefreshInterval    time.Duration `yaml:"RefreshInterval"`
	UnknownKidInterval time.Duration `yaml:"UnknownKidInterval"`
	NegativeTTL        time.Duration `yaml:"NegativeTTL"`
	MaxStale           time.Duration `yaml:"MaxStale"`
	FetchTimeout       time.Duration `yaml:"FetchTimeout"`
	MaxBytes           int64         `yaml:"MaxBytes"`
	AllowInsecureHTTP  bool          `yaml:"AllowInsecureHTTP"`
	FailOnStartup      bool          `yaml:"FailOnStartup"`
	StartupTimeout     time.Duration `yaml:"StartupTimeout"`
	RetryAfter         time.Duration `yaml:"RetryAfter"`
}

// TokenCache sizes the OBO token cache.
type TokenCache struct {
	MaxEntries int           `yaml:"MaxEntries"`
	MaxBytes   int64         `yaml:"MaxBytes"`
	Margin     time.Duration `yaml:"Margin"`
	Timeout    time.Duration `yaml:"Timeout"` // one token-endpoint request
	Redis      *Redis        `yaml:"Redis"`
}

// Redis is the optional shared L2 token cache. Values are sealed with
// AES-256-GCM; the keys come from an environment variable.
type Redis struct {
	URL    string `yaml:"URL"`
	URLEnv string `yaml:"URLEnv"`
	// EncryptionKeysEnv names a variable holding "id1:base64key1,id2:base64key2"
	// (32-byte keys); the first is current, the others decrypt only.
	EncryptionKeysEnv string        `yaml:"EncryptionKeysEnv"`
	KeyPrefix         string        `yaml:"KeyPrefix"`
	Timeout           time.Duration `yaml:"Timeout"`
}

// Validation tunes token validation.
type Validation struct {
	ClockSkew    time.Duration `yaml:"ClockSkew"`
	MaxTokenSize int           `yaml:"MaxTokenSize"`
	Algorithms   []string      `yaml:"Algorithms"`
	Types        []string      `yaml:"Types"`
	CacheEntries int           `yaml:"CacheEntries"`
}

// Logging selects the log output.
type Logging struct {
	Level  string `yaml:"Level"`  // debug, info, warn, error
	Format string `yaml:"Format"` // json or text
	// AccessLog logs one line per request (method, path, status, duration;
	// never headers or the query string).
	AccessLog bool `yaml:"AccessLog"`
}
