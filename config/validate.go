package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ErrInvalid is wrapped by *ValidationError.
var ErrInvalid = errors.New("config: invalid")

// ValidationError lists every problem found by Validate, one sentence
// each, prefixed with the setting's path (e.g. "AzureAd.ClientId").
type ValidationError struct{ Problems []string }

func (e *ValidationError) Error() string {
	return "config: " + strings.Join(e.Problems, "; ")
}

// Unwrap lets errors.Is(err, ErrInvalid) work.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

type checker struct{ problems []string }

func (c *checker) addf(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

// Validate checks the (defaulted) configuration and reports every problem
// at once as a *ValidationError. Call SetDefaults first.
func (c *Config) Validate() error {
	var ck checker
	c.validateAzureAd(&ck)
	c.validateAuthorization(&ck)
	c.validateDownstream(&ck)
	c.validateServer(&ck)
	c.validateKeys(&ck)
	c.validateCache(&ck)
	c.validateValidation(&ck)
	switch strings.ToLower(c.Logging.Level) {
	case "debug", "info", "warn", "error":
	default:
		ck.addf("Logging.Level", "must be debug, info, warn or error, not %q", c.Logging.Level)
	}
	switch strings.ToLower(c.Logging.Format) {
	case "json", "text":
	default:
		ck.addf("Logging.Format", "must be json or text, not %q", c.Logging.Format)
	}
	if len(ck.problems) > 0 {
		return &ValidationError{Problems: ck.problems}
	}
	return nil
}

func (c *Config) validateAzureAd(ck *checker) {
	a := &c.AzureAd
	checkURL(ck, "AzureAd.Instance", a.Instance, c.Keys.AllowInsecureHTTP, true)
	switch {
	case a.TenantId == "":
		ck.addf("AzureAd.TenantId", "is required (a tenant GUID, a domain, organizations, common or consumers)")
	case !IsGUID(a.TenantId) && !isMultiTenant(a.TenantId) && !isDomain(a.TenantId) && a.TenantId != "consumers":
		ck.addf("AzureAd.TenantId", "%q is not a GUID, a domain name, organizations, common or consumers", a.TenantId)
	}
	if isMultiTenant(a.TenantId) && len(a.AllowedTenants) == 0 && !a.AllowAnyTenant && len(a.Issuers) == 0 {
		ck.addf("AzureAd.AllowedTenants", "TenantId %q accepts tokens from other tenants: list them in AllowedTenants, or set AllowAnyTenant: true", a.TenantId)
	}
	if strings.EqualFold(a.TenantId, PersonalTenantID) {
		ck.addf("AzureAd.TenantId", "%s is the tenant of personal Microsoft accounts: set TenantId to consumers (personal accounts only) or common", a.TenantId)
	}
	if !isMultiTenant(a.TenantId) && (len(a.AllowedTenants) > 0 || a.AllowAnyTenant) {
		ck.addf("AzureAd.AllowedTenants", "only applies when TenantId is organizations or common")
	}
	if len(a.AllowedTenants) > 0 && a.AllowAnyTenant {
		ck.addf("AzureAd.AllowAnyTenant", "contradicts AllowedTenants; set one of them")
	}
	for i, t := range a.AllowedTenants {
		if !IsGUID(t) {
			ck.addf(fmt.Sprintf("AzureAd.AllowedTenants[%d]", i), "%q is not a tenant GUID", t)
		} else if a.TenantId == "organizations" && strings.EqualFold(t, PersonalTenantID) {
			ck.addf(fmt.Sprintf("AzureAd.AllowedTenants[%d]", i),
				"%s is the personal-account tenant, which TenantId organizations never accepts (work and school accounts only): use TenantId common or remove it", t)
		}
	}
	if a.ClientId == "" {
		ck.addf("AzureAd.ClientId", "is required (the API's application (client) id)")
	} else if !IsGUID(a.ClientId) {
		ck.addf("AzureAd.ClientId", "%q is not a GUID", a.ClientId)
	}
	if a.Audience != "" && len(a.Audiences) > 0 {
		ck.addf("AzureAd.Audience", "set Audience or Audiences, not both")
	}
	for i, aud := range a.AllAudiences() {
		if strings.TrimSpace(aud) != aud || aud == "" {
			ck.addf(fmt.Sprintf("AzureAd.Audiences[%d]", i), "is empty or has surrounding spaces")
		}
	}
	for i, is := range a.Issuers {
		checkURL(ck, fmt.Sprintf("AzureAd.Issuers[%d]", i), strings.ReplaceAll(is, "{tenantid}", "t"), c.Keys.AllowInsecureHTTP, false)
	}
	if a.AcceptV1 != nil && a.AcceptV2 != nil && !*a.AcceptV1 && !*a.AcceptV2 {
		ck.addf("AzureAd.AcceptV1", "AcceptV1 and AcceptV2 are both false: no token could be accepted")
	}
	n := 0
	for _, s := range []string{a.MetadataUrl, a.JwksUrl, a.JwksFile} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		ck.addf("AzureAd.JwksUrl", "set at most one of MetadataUrl, JwksUrl and JwksFile")
	}
	if a.MetadataUrl != "" {
		checkURL(ck, "AzureAd.MetadataUrl", a.MetadataUrl, c.Keys.AllowInsecureHTTP, false)
	}
	if a.JwksUrl != "" {
		checkURL(ck, "AzureAd.JwksUrl", a.JwksUrl, c.Keys.AllowInsecureHTTP, false)
	}
	if a.TokenEndpoint != "" {
		checkURL(ck, "AzureAd.TokenEndpoint", strings.ReplaceAll(a.TokenEndpoint, "{tenant}", "t"), c.Keys.AllowInsecureHTTP, false)
	}
	for i, cr := range a.ClientCredentials {
		cr.validate(ck, fmt.Sprintf("AzureAd.ClientCredentials[%d]", i))
	}
	if len(c.DownstreamApis) > 0 && len(a.ClientCredentials) == 0 {
		ck.addf("AzureAd.ClientCredentials", "DownstreamApis need a client credential for the On-Behalf-Of exchange")
	}
	checkNames(ck, "AzureAd.RequiredScopes", a.RequiredScopes)
	checkNames(ck, "AzureAd.RequiredRoles", a.RequiredRoles)
}

// Protected routes: those Authorization.Routes may name (the gateway's
// gateway.RouteMe and gateway.RouteGraphMe).
const (
	RouteMe      = "/me"
	RouteGraphMe = "/graph/me"
)

var protectedRoutes = []string{RouteMe, RouteGraphMe}

// ProtectedRoutes lists the routes that take an authorization requirement.
func ProtectedRoutes() []string { return append([]string(nil), protectedRoutes...) }

func (c *Config) validateAuthorization(ck *checker) {
	az := &c.Authorization
	if !az.Default.IsZero() && (len(c.AzureAd.RequiredScopes) > 0 || len(c.AzureAd.RequiredRoles) > 0) {
		ck.addf("Authorization.Default", "set Authorization.Default or AzureAd.RequiredScopes/RequiredRoles, not both (RequiredScopes is Default.AnyScopes, RequiredRoles is Default.AnyRoles)")
	}
	az.Default.check(ck, "Authorization.Default")
	routes := make([]string, 0, len(az.Routes))
	for r := range az.Routes {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		p := fmt.Sprintf("Authorization.Routes[%q]", r)
		if !slices.Contains(protectedRoutes, r) {
			ck.addf(p, "is not a route the gateway protects (%s)", strings.Join(protectedRoutes, ", "))
			continue
		}
		rq := az.Routes[r]
		if rq.IsZero() {
			ck.addf(p, "sets no AnyScopes, AllScopes, AnyRoles or AllRoles (remove the entry to use the default)")
			continue
		}
		rq.check(ck, p)
	}
}

// check refuses empty entries and entries holding whitespace or quotes.
func (r Requirement) check(ck *checker, path string) {
	checkNames(ck, path+".AnyScopes", r.AnyScopes)
	checkNames(ck, path+".AllScopes", r.AllScopes)
	checkNames(ck, path+".AnyRoles", r.AnyRoles)
	checkNames(ck, path+".AllRoles", r.AllRoles)
}

// checkNames: scope and role names are single tokens; an empty one, or one
// holding whitespace, quotes or backslashes, could never match a scp or
// roles value and would break the challenge's scope="...".
func checkNames(ck *checker, path string, names []string) {
	for i, s := range names {
		if s == "" || strings.IndexFunc(s, badNameRune) >= 0 {
			ck.addf(fmt.Sprintf("%s[%d]", path, i), "%q is empty or holds spaces or quotes", s)
		}
	}
}

func badNameRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || r == '"' || r == '\\' || r == '\''
}

func (cr ClientCredential) validate(ck *checker, path string) {
	switch cr.SourceType {
	case SourceClientSecret:
		if cr.ClientSecretEnv == "" {
			ck.addf(path+".ClientSecretEnv", "is required for SourceType ClientSecret (the secret itself is never put in the file)")
		}
	case SourceCertificate, SourcePath:
		if cr.CertificateDiskPath == "" {
			ck.addf(path+".CertificateDiskPath", "is required for SourceType %s", cr.SourceType)
		}
	case SourceSignedAssertionFilePath:
		if cr.SignedAssertionFileDiskPath == "" {
			ck.addf(path+".SignedAssertionFileDiskPath", "is required for SourceType SignedAssertionFilePath")
		}
	case "":
		ck.addf(path+".SourceType", "is required (ClientSecret, Certificate or SignedAssertionFilePath)")
	default:
		ck.addf(path+".SourceType", "%q is not ClientSecret, Certificate, Path or SignedAssertionFilePath", cr.SourceType)
	}
}

func (c *Config) validateDownstream(ck *checker) {
	for name, d := range c.DownstreamApis {
		p := "DownstreamApis." + name
		if d.BaseUrl == "" {
			ck.addf(p+".BaseUrl", "is required")
		} else {
			checkURL(ck, p+".BaseUrl", d.BaseUrl, d.AllowInsecureHTTP, false)
		}
		if strings.Contains(d.RelativePath, "..") || strings.ContainsAny(d.RelativePath, "?# \\") {
			ck.addf(p+".RelativePath", "%q must be a plain path", d.RelativePath)
		}
		if len(d.Scopes) == 0 {
			ck.addf(p+".Scopes", "at least one scope is required, e.g. https://graph.microsoft.com/User.Read")
		}
		for i, s := range d.Scopes {
			if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
				ck.addf(fmt.Sprintf("%s.Scopes[%d]", p, i), "%q is empty or holds spaces or quotes", s)
			}
		}
		positive(ck, p+".Timeout", d.Timeout)
		if d.MaxBodyBytes < 0 {
			ck.addf(p+".MaxBodyBytes", "must be positive")
		}
	}
}

func (c *Config) validateServer(ck *checker) {
	s := &c.Server
	if host, port, err := net.SplitHostPort(s.Listen); err != nil {
		ck.addf("Server.Listen", "%q is not host:port", s.Listen)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		ck.addf("Server.Listen", "port %q is not a number from 0 to 65535", port)
	} else if host != "" && net.ParseIP(host) == nil && !isDomain(host) && host != "localhost" {
		ck.addf("Server.Listen", "host %q is not an IP address or host name", host)
	}
	positive(ck, "Server.ReadHeaderTimeout", s.ReadHeaderTimeout)
	positive(ck, "Server.ReadTimeout", s.ReadTimeout)
	positive(ck, "Server.WriteTimeout", s.WriteTimeout)
	positive(ck, "Server.IdleTimeout", s.IdleTimeout)
	positive(ck, "Server.ShutdownTimeout", s.ShutdownTimeout)
	if s.MaxHeaderBytes < 4096 || s.MaxHeaderBytes > 1<<20 {
		ck.addf("Server.MaxHeaderBytes", "must be between 4096 and 1048576, not %d", s.MaxHeaderBytes)
	} else if s.MaxHeaderBytes < c.Validation.MaxTokenSize+1024 {
		ck.addf("Server.MaxHeaderBytes", "%d is too small for Validation.MaxTokenSize %d (needs 1024 bytes more)", s.MaxHeaderBytes, c.Validation.MaxTokenSize)
	}
	if s.MaxConcurrent < 1 {
		ck.addf("Server.MaxConcurrent", "must be at least 1")
	}
	if err := CheckMetricsPath(s.MetricsPath); err != nil {
		ck.addf("Server.MetricsPath", "%v", err)
	}
}

// gatewayPaths are the routes the gateway serves itself; /graph/ is its
// namespace as a whole (further downstream routes will live there).
var gatewayPaths = []string{"/me", "/graph", "/healthz", "/readyz"}

// CheckMetricsPath reports why p cannot be the metrics path: it must be a
// clean absolute path of unreserved URL characters (letters, digits,
// "-", ".", "_", "~" and "/"), not "/", and must not equal or overlap the
// gateway's own routes (/me, /graph/me and everything under /graph/,
// /healthz, /readyz). Such a path is also a valid literal http.ServeMux
// pattern (no method, host or wildcard).
func CheckMetricsPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%q must be an absolute path starting with / (no method or host), such as /metrics", p)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/", c) >= 0) {
			return fmt.Errorf("%q may hold only letters, digits and - . _ ~ / (no spaces, wildcards {…}, queries or escapes)", p)
		}
	}
	clean := path.Clean(p)
	for _, g := range gatewayPaths {
		if clean == g || strings.HasPrefix(clean, g+"/") {
			return fmt.Errorf("%q overlaps the gateway's own routes (/me, /graph/..., /healthz, /readyz)", p)
		}
	}
	if clean == "/" {
		return fmt.Errorf("%q would capture every route; use a path such as /metrics", p)
	}
	if clean != p {
		return fmt.Errorf("%q is not a clean path (no trailing /, // or . and .. segments); use %q", p, clean)
	}
	return nil
}

func (c *Config) validateKeys(ck *checker) {
	k := &c.Keys
	positive(ck, "Keys.RefreshInterval", k.RefreshInterval)
	positive(ck, "Keys.UnknownKidInterval", k.UnknownKidInterval)
	positive(ck, "Keys.NegativeTTL", k.NegativeTTL)
	positive(ck, "Keys.MaxStale", k.MaxStale)
	positive(ck, "Keys.FetchTimeout", k.FetchTimeout)
	positive(ck, "Keys.StartupTimeout", k.StartupTimeout)
	positive(ck, "Keys.RetryAfter", k.RetryAfter)
	if k.MaxBytes < 1024 || k.MaxBytes > 16<<20 {
		ck.addf("Keys.MaxBytes", "must be between 1024 and 16777216")
	}
}

func (c *Config) validateCache(ck *checker) {
	t := &c.TokenCache
	if t.MaxEntries < 1 {
		ck.addf("TokenCache.MaxEntries", "must be at least 1")
	}
	if t.MaxBytes < 1024 {
		ck.addf("TokenCache.MaxBytes", "must be at least 1024")
	}
	positive(ck, "TokenCache.Margin", t.Margin)
	positive(ck, "TokenCache.Timeout", t.Timeout)
	if r := t.Redis; r != nil {
		if (r.URL == "") == (r.URLEnv == "") {
			ck.addf("TokenCache.Redis", "set exactly one of URL and URLEnv")
		}
		if r.URL != "" {
			if u, err := url.Parse(r.URL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
				ck.addf("TokenCache.Redis.URL", "must be a redis:// or rediss:// URL")
			} else if _, hasPw := u.User.Password(); hasPw {
				ck.addf("TokenCache.Redis.URL", "holds a password: put the URL in an environment variable and name it in URLEnv")
			}
		}
		if r.EncryptionKeysEnv == "" {
			ck.addf("TokenCache.Redis.EncryptionKeysEnv", "is required: tokens are stored in Redis only encrypted")
		}
		positive(ck, "TokenCache.Redis.Timeout", r.Timeout)
	}
}

// allowedAlg: the RSA algorithms validate supports.
func allowedAlg(a string) bool {
	switch a {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return true
	}
	return false
}

func (c *Config) validateValidation(ck *checker) {
	v := &c.Validation
	positive(ck, "Validation.ClockSkew", v.ClockSkew)
	if v.ClockSkew > 10*time.Minute {
		ck.addf("Validation.ClockSkew", "%s is more than 10m", v.ClockSkew)
	}
	if v.MaxTokenSize < 1024 || v.MaxTokenSize > 65536 {
		ck.addf("Validation.MaxTokenSize", "must be between 1024 and 65536, not %d", v.MaxTokenSize)
	}
	for i, a := range v.Algorithms {
		if !allowedAlg(a) {
			ck.addf(fmt.Sprintf("Validation.Algorithms[%d]", i), "%q is not an RSA algorithm (RS256, RS384, RS512, PS256, PS384, PS512)", a)
		}
	}
	for i, t := range v.Types {
		if t == "" {
			ck.addf(fmt.Sprintf("Validation.Types[%d]", i), "is empty")
		}
	}
}

// AllAudiences merges Audience and Audiences (empty: validate's default).
func (a *AzureAd) AllAudiences() []string {
	if a.Audience != "" {
		return []string{a.Audience}
	}
	return a.Audiences
}

func positive(ck *checker, path string, d time.Duration) {
	if d <= 0 {
		ck.addf(path, "must be a positive duration such as 30s, not %s", d)
	}
}

// checkURL requires an absolute https URL without credentials or fragment;
// http is allowed for loopback hosts, or anywhere when allowHTTP.
func checkURL(ck *checker, path, raw string, allowHTTP, trailingSlash bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		ck.addf(path, "%q is not an absolute http(s) URL", raw)
		return
	}
	if u.User != nil || u.Fragment != "" || u.RawQuery != "" {
		ck.addf(path, "must not hold credentials, a query or a fragment")
	}
	if u.Scheme == "http" && !allowHTTP && !IsLoopback(u.Hostname()) {
		ck.addf(path, "%q uses http on a non-loopback host (set Keys.AllowInsecureHTTP / AllowInsecureHTTP for development only)", raw)
	}
	if trailingSlash && !strings.HasSuffix(u.Path, "/") {
		ck.addf(path, "must end with /")
	}
}

// IsLoopback reports whether host is localhost or a loopback IP.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsGUID reports whether s is a canonical 8-4-4-4-12 hex GUID.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

func isMultiTenant(t string) bool { return t == "organizations" || t == "common" }

// isDomain accepts a DNS name with at least one dot (contoso.onmicrosoft.com).
func isDomain(s string) bool {
	if len(s) == 0 || len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
