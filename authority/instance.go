package authority

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Instances (authority hosts) of the Microsoft clouds, normalised with a
// trailing slash.
const (
	PublicCloud     = "https://login.microsoftonline.com/"
	USGovernment    = "https://login.microsoftonline.us/"
	China           = "https://login.chinacloudapi.cn/"
	ChinaPartner    = "https://login.partner.microsoftonline.cn/"
	DefaultInstance = PublicCloud
)

// ErrBadInstance: the instance is not an absolute https URL (http only on loopback).
var ErrBadInstance = errors.New("authority: invalid instance URL")

// NormalizeInstance validates an instance URL and returns it as
// "scheme://host[:port]/[path/]" with a lower-case host and a trailing
// slash. https is required except for loopback hosts (the emulator).
func NormalizeInstance(instance string) (string, error) {
	if instance == "" {
		return DefaultInstance, nil
	}
	u, err := url.Parse(instance)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadInstance, err)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("%w: %q must be scheme://host/ without query, fragment or user info", ErrBadInstance, instance)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return "", fmt.Errorf("%w: http is only allowed for loopback hosts", ErrBadInstance)
		}
	default:
		return "", fmt.Errorf("%w: scheme must be https", ErrBadInstance)
	}
	p := u.EscapedPath()
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return u.Scheme + "://" + strings.ToLower(u.Host) + p, nil
}

// IsLoopback reports whether host is localhost or a loopback IP literal.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func withSlash(instance string) string {
	if strings.HasSuffix(instance, "/") {
		return instance
	}
	return instance + "/"
}

// MetadataURL is the OpenID Connect discovery URL of a tenant:
// {instance}{tenant}/v2.0/.well-known/openid-configuration (v2) or
// {instance}{tenant}/.well-known/openid-configuration (v1).
func MetadataURL(instance, tenant string, v2 bool) string {
	if v2 {
		return withSlash(instance) + tenant + "/v2.0/.well-known/openid-configuration"
	}
	return withSlash(instance) + tenant + "/.well-known/openid-configuration"
}

// KeysURL is the key-set URL of a tenant: {instance}{tenant}/discovery/v2.0/keys
// (v2) or {instance}{tenant}/discovery/keys (v1).
func KeysURL(instance, tenant string, v2 bool) string {
	if v2 {
		return withSlash(instance) + tenant + "/discovery/v2.0/keys"
	}
	return withSlash(instance) + tenant + "/discovery/keys"
}

// TokenEndpoint is {instance}{tenant}/oauth2/v2.0/token.
func TokenEndpoint(instance, tenant string) string {
	return withSlash(instance) + tenant + "/oauth2/v2.0/token"
}

// Issuers holds the issuer templates of an instance; "{tenantid}" stands for
// the token's tid. An empty template means that version is not issued there.
type Issuers struct {
	V1 string
	V2 string
}

// TenantPlaceholder is the template placeholder replaced by the token's tid.
const TenantPlaceholder = "{tenantid}"

// IssuerTemplates returns the issuer templates of a normalised instance:
//   - public cloud (also its aliases login.windows.net and login.microsoft.com):
//     v2 https://login.microsoftonline.com/{tenantid}/v2.0,
//     v1 https://sts.windows.net/{tenantid}/
//   - US Government: v2 https://login.microsoftonline.us/{tenantid}/v2.0,
//     v1 https://sts.windows.net/{tenantid}/
//   - China (login.chinacloudapi.cn or login.partner.microsoftonline.cn):
//     v2 https://login.partner.microsoftonline.cn/{tenantid}/v2.0,
//     v1 https://sts.chinacloudapi.cn/{tenantid}/
//   - B2C (*.b2clogin.com): v2 {instance}{tenantid}/v2.0/ (trailing slash), no v1
//   - External ID (*.ciamlogin.com): v2 https://{tenantid}.ciamlogin.com/{tenantid}/v2.0, no v1
//   - any other instance (emulator, custom hosts): v2 {instance}{tenantid}/v2.0,
//     v1 {instance}{tenantid}/
func IssuerTemplates(instance string) Issuers {
	instance = withSlash(instance)
	const t = TenantPlaceholder
	switch instance {
	case PublicCloud, "https://login.windows.net/", "https://login.microsoft.com/":
		return Issuers{V1: "https://sts.windows.net/" + t + "/", V2: PublicCloud + t + "/v2.0"}
	case USGovernment:
		return Issuers{V1: "https://sts.windows.net/" + t + "/", V2: USGovernment + t + "/v2.0"}
	case China, ChinaPartner:
		return Issuers{V1: "https://sts.chinacloudapi.cn/" + t + "/", V2: ChinaPartner + t + "/v2.0"}
	}
	if u, err := url.Parse(instance); err == nil {
		h := strings.ToLower(u.Hostname())
		switch {
		case strings.HasSuffix(h, ".b2clogin.com"):
			return Issuers{V2: instance + t + "/v2.0/"}
		case strings.HasSuffix(h, ".ciamlogin.com"):
			return Issuers{V2: "https://" + t + ".ciamlogin.com/" + t + "/v2.0"}
		}
	}
	return Issuers{V1: instance + t + "/", V2: instance + t + "/v2.0"}
}

// FillTenant replaces every "{tenantid}" in template with tid.
func FillTenant(template, tid string) string {
	if !strings.Contains(template, TenantPlaceholder) {
		return template
	}
	return strings.ReplaceAll(template, TenantPlaceholder, tid)
}
