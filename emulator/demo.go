package emulator

import "time"

// Built-in demo identities. They are fixed so that tests, docs and the CLI
// agree on them. None of them is a secret worth protecting: the emulator is a
// development tool.
const (
	DemoTenantID     = "8f4b2c1e-3a5d-4e6f-9b7a-0c1d2e3f4a5b"
	DemoTenantDomain = "entragatedemo.onmicrosoft.com"

	// DemoAPIClientID is the demo API (the gateway's own app registration).
	DemoAPIClientID     = "5c9e1a7b-2d4f-4b8a-a1c3-6e7f8091a2b3"
	DemoAPIAppIDURI     = "api://" + DemoAPIClientID
	DemoAPIClientSecret = "demo-api-secret-Q8~entragate-emulator"
	// DemoScope is the delegated scope the demo API exposes.
	DemoScope = "access_as_user"
	// DemoAPIScope is the full scope string a client asks for.
	DemoAPIScope = DemoAPIAppIDURI + "/" + DemoScope
	// DemoAPIRole is an app role the demo API defines (granted to the daemon).
	DemoAPIRole = "Data.Read.All"

	// DemoClientAppID is a public client (like a CLI or SPA) allowed to use
	// the password grant for the demo users.
	DemoClientAppID = "0a6d3f2e-7b1c-4e9a-8d5f-3c2b1a0f9e8d"

	// DemoShortLivedClientID is a second API whose tokens live DemoShortLivedLifetime.
	DemoShortLivedClientID     = "b7e2c4d1-9f3a-4a6b-8c2d-1e0f9a8b7c6d"
	DemoShortLivedAppIDURI     = "api://" + DemoShortLivedClientID
	DemoShortLivedClientSecret = "demo-shortlived-secret-W3~entragate-emulator"
	DemoShortLivedLifetime     = 90 * time.Second

	// DemoV1APIClientID is an API that accepts v1 access tokens.
	DemoV1APIClientID     = "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"
	DemoV1APIAppIDURI     = "api://" + DemoV1APIClientID
	DemoV1APIClientSecret = "demo-v1api-secret-E5~entragate-emulator"

	// DemoDaemonClientID is a confidential client for client_credentials;
	// it holds the DemoAPIRole application permission on the demo API.
	DemoDaemonClientID     = "d9e8f7a6-b5c4-4d3e-9f2a-1b0c9d8e7f6a"
	DemoDaemonClientSecret = "demo-daemon-secret-R7~entragate-emulator"

	// Demo users (same password).
	DemoUser          = "alice"
	DemoUser2         = "bob"
	DemoPassword      = "Passw0rd!demo"
	DemoAliceObjectID = "1e2d3c4b-5a69-4788-97a6-b5c4d3e2f1a0"
	DemoBobObjectID   = "2f3e4d5c-6b7a-4899-a8b7-c6d5e4f3a2b1"

	// DemoMFAPolicyID is the conditional-access policy id carried in MFA
	// claims challenges ("capolids").
	DemoMFAPolicyID = "9ab03e19-ed42-4168-b6b7-7001fb3e933a"

	// GraphResource is Microsoft Graph's resource URI and GraphAppID its app id.
	GraphResource = "https://graph.microsoft.com"
	GraphAppID    = "00000003-0000-0000-c000-000000000000"
)

// demoTenant returns the built-in demo tenant.
func demoTenant() Tenant {
	return Tenant{
		ID:          DemoTenantID,
		Domain:      DemoTenantDomain,
		DisplayName: "entragate demo",
		Apps: []App{
			{
				ClientID: DemoAPIClientID, DisplayName: "entragate demo API", AppIDURI: DemoAPIAppIDURI,
				Secrets: []Secret{{Value: DemoAPIClientSecret}},
				Scopes:  []string{DemoScope}, AppRoles: []string{DemoAPIRole},
				AccessTokenVersion: 2,
			},
			{ClientID: DemoClientAppID, DisplayName: "entragate demo client", PublicClient: true},
			{
				ClientID: DemoShortLivedClientID, DisplayName: "shortlived", AppIDURI: DemoShortLivedAppIDURI,
				Secrets: []Secret{{Value: DemoShortLivedClientSecret}}, Scopes: []string{DemoScope},
				AccessTokenVersion: 2, TokenLifetime: DemoShortLivedLifetime,
			},
			{
				ClientID: DemoV1APIClientID, DisplayName: "entragate demo v1 API", AppIDURI: DemoV1APIAppIDURI,
				Secrets: []Secret{{Value: DemoV1APIClientSecret}}, Scopes: []string{DemoScope},
				AccessTokenVersion: 1,
			},
			{
				ClientID: DemoDaemonClientID, DisplayName: "entragate demo daemon",
				Secrets:    []Secret{{Value: DemoDaemonClientSecret}},
				RoleGrants: map[string][]string{DemoAPIClientID: {DemoAPIRole}},
			},
		},
		Users: []User{
			{
				Name: DemoUser, Password: DemoPassword, ObjectID: DemoAliceObjectID,
				DisplayName: "Alice Example", GivenName: "Alice", Surname: "Example",
				Mail: "alice@" + DemoTenantDomain, JobTitle: "Platform Engineer",
				MobilePhone: "+1 425 555 0101", OfficeLocation: "18/2111", PreferredLanguage: "en-US",
				BusinessPhones: []string{"+1 425 555 0109"},
			},
			{
				Name: DemoUser2, Password: DemoPassword, ObjectID: DemoBobObjectID,
				DisplayName: "Bob Example", GivenName: "Bob", Surname: "Example",
				Mail: "bob@" + DemoTenantDomain, JobTitle: "Retail Manager",
				OfficeLocation: "12/1100", PreferredLanguage: "en-GB",
				BusinessPhones: []string{},
			},
		},
	}
}
