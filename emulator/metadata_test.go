package emulator

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func sortStrings(s []string) { slices.Sort(s) }

func TestMetadataShapeMatchesEntra(t *testing.T) {
	env := newEnv(t, Config{})
	base := env.srv.URL
	tests := []struct {
		name, path, real, wantIssuer, wantJWKS string
	}{
		{"v2 tenant", "/" + DemoTenantID + "/v2.0/.well-known/openid-configuration",
			"entra-v2-tenant-72f988bf.azure-sdk-js-recording-2021-06-18.json",
			base + "/" + DemoTenantID + "/v2.0", base + "/" + DemoTenantID + "/discovery/v2.0/keys"},
		{"v2 domain", "/" + DemoTenantDomain + "/v2.0/.well-known/openid-configuration",
			"entra-v2-tenant-72f988bf.azure-sdk-js-recording-2021-06-18.json",
			base + "/" + DemoTenantID + "/v2.0", base + "/" + DemoTenantID + "/discovery/v2.0/keys"},
		{"v2 common", "/common/v2.0/.well-known/openid-configuration",
			"entra-v2-common.identitymodel-2024-07-22.json",
			base + "/{tenantid}/v2.0", base + "/common/discovery/v2.0/keys"},
		{"v2 organizations", "/organizations/v2.0/.well-known/openid-configuration",
			"entra-v2-organizations.panva-wellknown.json",
			base + "/{tenantid}/v2.0", base + "/organizations/discovery/v2.0/keys"},
		{"v1 common", "/common/.well-known/openid-configuration",
			"entra-v1-common.identitymodel-2024-07-22.json",
			base + "/{tenantid}/", base + "/common/discovery/keys"},
		{"v1 tenant", "/" + DemoTenantID + "/.well-known/openid-configuration",
			"entra-v1-common.identitymodel-2024-07-22.json",
			base + "/" + DemoTenantID + "/", base + "/" + DemoTenantID + "/discovery/keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var real map[string]any
			if err := json.Unmarshal(readShared(t, "entra", "metadata", tc.real), &real); err != nil {
				t.Fatal(err)
			}
			st, got := getJSON(t, base+tc.path, nil)
			if st != 200 {
				t.Fatalf("status %d", st)
			}
			if !slices.Equal(sortedKeys(got), sortedKeys(real)) {
				t.Errorf("members differ:\n got %v\nreal %v", sortedKeys(got), sortedKeys(real))
			}
			if got["issuer"] != tc.wantIssuer || got["jwks_uri"] != tc.wantJWKS {
				t.Errorf("issuer %v jwks_uri %v", got["issuer"], got["jwks_uri"])
			}
			for k, v := range got {
				if s, ok := v.(string); ok && strings.Contains(s, "microsoftonline") {
					t.Errorf("%s still points at Microsoft: %s", k, s)
				}
			}
		})
	}
}

func TestMetadataUnknownTenant(t *testing.T) {
	env := newEnv(t, Config{})
	st, body := getJSON(t, env.srv.URL+"/11111111-2222-4333-8444-555555555555/v2.0/.well-known/openid-configuration", nil)
	if st != 400 || body["error"] != "invalid_request" || !strings.HasPrefix(body["error_description"].(string), "AADSTS90002: ") {
		t.Fatalf("got %d %v", st, body)
	}
}

func TestKeySetShapeMatchesEntra(t *testing.T) {
	env := newEnv(t, Config{})
	tests := []struct {
		name, path, real string
		issuer           bool
	}{
		{"v2 tenant", "/" + DemoTenantID + "/discovery/v2.0/keys", "entra-v2-common-keys.panva-wellknown.json", true},
		{"v2 common", "/common/discovery/v2.0/keys", "entra-v2-common-keys.panva-wellknown.json", true},
		{"v1 tenant", "/" + DemoTenantID + "/discovery/keys", "entra-v1-common-keys.identitymodel-2024-07-22.json", false},
		{"v1 common", "/common/discovery/keys", "entra-v1-common-keys.identitymodel-2024-07-22.json", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var real struct{ Keys []map[string]any }
			if err := json.Unmarshal(readShared(t, "entra", "jwks", tc.real), &real); err != nil {
				t.Fatal(err)
			}
			// The real key members (without the optional cloud_instance_name).
			want := []string{}
			for k := range real.Keys[0] {
				if k != "cloud_instance_name" {
					want = append(want, k)
				}
			}
			slices.Sort(want)
			st, got := getJSON(t, env.srv.URL+tc.path, nil)
			if st != 200 {
				t.Fatalf("status %d", st)
			}
			keys := got["keys"].([]any)
			if len(keys) != 1 {
				t.Fatalf("want 1 key, got %d", len(keys))
			}
			k := keys[0].(map[string]any)
			if !slices.Equal(sortedKeys(k), want) {
				t.Errorf("members differ:\n got %v\nreal %v", sortedKeys(k), want)
			}
			if tc.issuer && k["issuer"] != env.srv.URL+"/{tenantid}/v2.0" {
				t.Errorf("issuer %v", k["issuer"])
			}
			checkX5C(t, k)
			if k["kid"] != env.e.SigningKeyID() || k["x5t"] != k["kid"] || k["kty"] != "RSA" || k["use"] != "sig" || k["e"] != "AQAB" {
				t.Errorf("key %v", k)
			}
		})
	}
}

// checkX5C: the certificate in x5c holds the key (n, e) and hashes to x5t.
func checkX5C(t *testing.T, k map[string]any) {
	t.Helper()
	der, err := base64.StdEncoding.DecodeString(k["x5c"].([]any)[0].(string))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pub := cert.PublicKey.(*rsa.PublicKey)
	if b64.EncodeToString(pub.N.Bytes()) != k["n"] || pub.N.BitLen() != 2048 {
		t.Fatal("x5c certificate does not hold n")
	}
	sum := sha1.Sum(der)
	if b64.EncodeToString(sum[:]) != k["x5t"] {
		t.Fatal("x5t is not the certificate thumbprint")
	}
}
