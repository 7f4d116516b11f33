package emulator

import (
	"crypto/rsa"
	"time"
)

// Tenant is one directory (an Entra ID tenant) with its app registrations
// and users.
type Tenant struct {
	ID          string `yaml:"id"`     // GUID
	Domain      string `yaml:"domain"` // e.g. "contoso.onmicrosoft.com"
	DisplayName string `yaml:"displayName"`
	Apps        []App  `yaml:"apps"`
	Users       []User `yaml:"users"`
}

// Secret is one client secret of an app registration.
type Secret struct {
	Value   string    `yaml:"value"`
	Expires time.Time `yaml:"expires"` // zero = never
}

// App is an app registration (and its service principal).
type App struct {
	ClientID    string   `yaml:"clientId"` // GUID
	DisplayName string   `yaml:"displayName"`
	AppIDURI    string   `yaml:"appIdUri"` // e.g. "api://<clientId>"; empty = none
	Secrets     []Secret `yaml:"secrets"`
	// Certificates are PEM certificates (or RSA public keys) whose keys may
	// sign client assertions (private_key_jwt).
	Certificates []string `yaml:"certificates"`
	// PublicKeys are extra client-assertion keys (Go API only).
	PublicKeys []*rsa.PublicKey `yaml:"-"`
	// Federated are federated identity credentials (workload identity).
	Federated []FederatedCredential `yaml:"federatedCredentials"`
	Scopes    []string              `yaml:"scopes"`   // exposed delegated scopes, e.g. access_as_user
	AppRoles  []string              `yaml:"appRoles"` // app roles this API defines
	// RoleGrants: application permissions granted to THIS app on other
	// resources, keyed by the resource's client id or App ID URI
	// (client_credentials puts them in "roles").
	RoleGrants map[string][]string `yaml:"roleGrants"`
	// AccessTokenVersion is the version of access tokens issued FOR this
	// app as a resource: 1 or 2 (0 = 2).
	AccessTokenVersion int           `yaml:"accessTokenVersion"`
	TokenLifetime      time.Duration `yaml:"tokenLifetime"` // 0 = 1h
	PublicClient       bool          `yaml:"publicClient"`
	// RefuseConsent makes every grant that needs user consent for this
	// client fail with AADSTS65001.
	RefuseConsent bool `yaml:"refuseConsent"`
}

// FederatedCredential trusts client assertions issued by another identity
// provider (e.g. a Kubernetes service-account token) for an app.
type FederatedCredential struct {
	Issuer   string `yaml:"issuer"`   // the assertion's iss, exactly
	Subject  string `yaml:"subject"`  // the assertion's sub, exactly
	Audience string `yaml:"audience"` // default "api://AzureADTokenExchange"
	// Certificates are PEM certificates or RSA public keys of the issuer.
	Certificates []string         `yaml:"certificates"`
	PublicKeys   []*rsa.PublicKey `yaml:"-"`
}

// DefaultFederatedAudience is Entra's audience for federated assertions.
const DefaultFederatedAudience = "api://AzureADTokenExchange"

func (f *FederatedCredential) audience() string {
	if f.Audience == "" {
		return DefaultFederatedAudience
	}
	return f.Audience
}

// User is a directory user.
type User struct {
	Name              string   `yaml:"name"` // short sign-in name, e.g. "alice"
	Password          string   `yaml:"password"`
	ObjectID          string   `yaml:"objectId"` // GUID
	DisplayName       string   `yaml:"displayName"`
	GivenName         string   `yaml:"givenName"`
	Surname           string   `yaml:"surname"`
	UserPrincipalName string   `yaml:"userPrincipalName"` // default name@domain
	Mail              string   `yaml:"mail"`
	JobTitle          string   `yaml:"jobTitle"`
	MobilePhone       string   `yaml:"mobilePhone"`
	OfficeLocation    string   `yaml:"officeLocation"`
	PreferredLanguage string   `yaml:"preferredLanguage"`
	BusinessPhones    []string `yaml:"businessPhones"`
	// Roles are app roles assigned to the user, keyed by resource client id
	// or App ID URI; they appear in "roles" of delegated tokens.
	Roles map[string][]string `yaml:"roles"`
	// RequireMFA: On-Behalf-Of exchanges for this user fail with
	// interaction_required (AADSTS50079) and a claims challenge unless the
	// assertion's amr holds "mfa".
	RequireMFA bool `yaml:"requireMfa"`
}

// tokenVersion is the access token version the app accepts as a resource.
func (a *App) tokenVersion() int {
	if a.AccessTokenVersion == 1 {
		return 1
	}
	return 2
}

func (a *App) lifetime() time.Duration {
	if a.TokenLifetime <= 0 {
		return time.Hour
	}
	return a.TokenLifetime
}

func (a *App) hasScope(s string) bool {
	for _, x := range a.Scopes {
		if equalFold(x, s) {
			return true
		}
	}
	return false
}

func (a *App) name() string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.ClientID
}

// rolesFor returns roles granted under either of the resource's identifiers.
func rolesFor(grants map[string][]string, res *App) []string {
	if res == nil || len(grants) == 0 {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for k, v := range grants {
		if equalFold(k, res.ClientID) || (res.AppIDURI != "" && equalFold(k, res.AppIDURI)) {
			for _, r := range v {
				if !seen[r] {
					seen[r] = true
					out = append(out, r)
				}
			}
		}
	}
	return out
}
