package edge

import (
	"strings"
	"testing"
)

// FuzzFromBindings: binding values are operator input; mapping them must
// never panic, and a success must hold a validated configuration.
func FuzzFromBindings(f *testing.F) {
	f.Add(testTenant, testClient, "", "", "", "")
	f.Add("organizations", testClient, "api://x,y", "https://graph.microsoft.com/User.Read", "kv", "5m")
	f.Add("common", "not-a-guid", " , ", "", "cache", "-1s")
	f.Add(testTenant, testClient, "", "", "none", "99999999999999h")
	f.Fuzz(func(t *testing.T, tenant, client, audiences, scopes, l2, skew string) {
		env := map[string]string{
			BindTenantID: tenant, BindClientID: client, BindAudiences: audiences,
			BindGraphScopes: scopes, BindCacheKind: l2, BindClockSkew: skew,
			BindClientSecret: "fuzz-secret-value", BindCacheKeys: "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		}
		s, err := FromBindings(env)
		if err != nil {
			if strings.Contains(err.Error(), "fuzz-secret-value") {
				t.Fatal("error echoes the client secret")
			}
			return
		}
		if s.Config == nil || s.Config.Validate() != nil {
			t.Fatal("success with an invalid configuration")
		}
	})
}
