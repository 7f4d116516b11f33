package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// metadataV2 mirrors Entra's v2 discovery document member for member.
type metadataV2 struct {
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	Issuer                            string   `json:"issuer"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	HTTPLogoutSupported               bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported       bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ClaimsSupported                   []string `json:"claims_supported"`
	KerberosEndpoint                  string   `json:"kerberos_endpoint"`
	TenantRegionScope                 *string  `json:"tenant_region_scope"`
	CloudInstanceName                 string   `json:"cloud_instance_name"`
	CloudGraphHostName                string   `json:"cloud_graph_host_name"`
	MSGraphHost                       string   `json:"msgraph_host"`
	RBACURL                           string   `json:"rbac_url"`
}

// metadataV1 mirrors Entra's v1 discovery document member for member.
type metadataV1 struct {
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	Issuer                            string   `json:"issuer"`
	MicrosoftMultiRefreshToken        bool     `json:"microsoft_multi_refresh_token"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	HTTPLogoutSupported               bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported       bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ClaimsSupported                   []string `json:"claims_supported"`
	CheckSessionIframe                string   `json:"check_session_iframe"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	KerberosEndpoint                  string   `json:"kerberos_endpoint"`
	TenantRegionScope                 *string  `json:"tenant_region_scope"`
	CloudInstanceName                 string   `json:"cloud_instance_name"`
	CloudGraphHostName                string   `json:"cloud_graph_host_name"`
	MSGraphHost                       string   `json:"msgraph_host"`
	RBACURL                           string   `json:"rbac_url"`
}

var authMethods = []string{"client_secret_post", "private_key_jwt", "client_secret_basic"}

// MetadataJSON is the discovery document for a tenant path segment (GUID,
// domain, "common" or "organizations"); v2 or v1.
func (e *Emulator) MetadataJSON(tenantSeg string, v2 bool) ([]byte, bool) {
	base := e.BaseURL()
	seg := strings.ToLower(tenantSeg)
	issuerTID := "{tenantid}"
	var region *string
	if !isMultiTenant(seg) {
		e.mu.RLock()
		t := e.lookupTenant(seg)
		e.mu.RUnlock()
		if t == nil {
			return nil, false
		}
		seg, issuerTID = t.ID, t.ID
		ww := "WW"
		region = &ww
	}
	graphHost := "graph.microsoft.com"
	if u, err := url.Parse(base); err == nil {
		graphHost = u.Host
	}
	p := base + "/" + seg
	if v2 {
		m := metadataV2{
			TokenEndpoint:                     p + "/oauth2/v2.0/token",
			TokenEndpointAuthMethodsSupported: authMethods,
			JWKSURI:                           p + "/discovery/v2.0/keys",
			ResponseModesSupported:            []string{"query", "fragment", "form_post"},
			SubjectTypesSupported:             []string{"pairwise"},
			IDTokenSigningAlgValuesSupported:  []string{"RS256"},
			ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "id_token token"},
			ScopesSupported:                   []string{"openid", "profile", "email", "offline_access"},
			Issuer:                            base + "/" + issuerTID + "/v2.0",
			UserinfoEndpoint:                  base + "/oidc/userinfo",
			AuthorizationEndpoint:             p + "/oauth2/v2.0/authorize",
			DeviceAuthorizationEndpoint:       p + "/oauth2/v2.0/devicecode",
			HTTPLogoutSupported:               true,
			FrontchannelLogoutSupported:       true,
			EndSessionEndpoint:                p + "/oauth2/v2.0/logout",
			ClaimsSupported: []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
				"cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce",
				"preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
			KerberosEndpoint:   p + "/kerberos",
			TenantRegionScope:  region,
			CloudInstanceName:  "entragate-emulator",
			CloudGraphHostName: graphHost,
			MSGraphHost:        graphHost,
			RBACURL:            base + "/rbac",
		}
		b, _ := json.Marshal(m)
		return b, true
	}
	m := metadataV1{
		TokenEndpoint:                     p + "/oauth2/token",
		TokenEndpointAuthMethodsSupported: authMethods,
		JWKSURI:                           p + "/discovery/keys",
		ResponseModesSupported:            []string{"query", "fragment", "form_post"},
		SubjectTypesSupported:             []string{"pairwise"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "token id_token", "token"},
		ScopesSupported:                   []string{"openid"},
		Issuer:                            base + "/" + issuerTID + "/",
		MicrosoftMultiRefreshToken:        true,
		AuthorizationEndpoint:             p + "/oauth2/authorize",
		DeviceAuthorizationEndpoint:       p + "/oauth2/devicecode",
		HTTPLogoutSupported:               true,
		FrontchannelLogoutSupported:       true,
		EndSessionEndpoint:                p + "/oauth2/logout",
		ClaimsSupported: []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
			"cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "amr",
			"nonce", "email", "given_name", "family_name", "nickname"},
		CheckSessionIframe: p + "/oauth2/checksession",
		UserinfoEndpoint:   p + "/openid/userinfo",
		KerberosEndpoint:   p + "/kerberos",
		TenantRegionScope:  region,
		CloudInstanceName:  "entragate-emulator",
		CloudGraphHostName: graphHost,
		MSGraphHost:        graphHost,
		RBACURL:            base + "/rbac",
	}
	b, _ := json.Marshal(m)
	return b, true
}

func (e *Emulator) handleMetadata(ver int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		seg := r.PathValue("tenant")
		b, ok := e.MetadataJSON(seg, ver == 2)
		if !ok {
			e.writeTenantNotFound(w, r, seg)
			return
		}
		w.Header().Set("Cache-Control", "max-age=86400, private")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		writeJSONBytes(w, http.StatusOK, b)
	}
}

// knownTenantSegment: a known tenant GUID/domain, or common/organizations.
func (e *Emulator) knownTenantSegment(seg string) bool {
	if isMultiTenant(seg) {
		return true
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.lookupTenant(seg) != nil
}

func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeJSONBytes(w, status, b)
}
