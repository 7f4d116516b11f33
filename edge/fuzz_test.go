package edge

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParseSealerKeys: the encryption-key secret is operator input; the
// parser must never panic, never accept a key that is not 32 bytes, and
// never echo key material in its errors.
func FuzzParseSealerKeys(f *testing.F) {
	f.Add("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	f.Add("a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8,b:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	f.Add("")
	f.Add(":,:")
	f.Add("x:!!!")
	f.Fuzz(func(t *testing.T, s string) {
		keys, current, err := ParseSealerKeys(s)
		if err != nil {
			if len(keys) != 0 || current != "" {
				t.Fatal("keys returned with an error")
			}
			// Ids may be named in errors; key text never (unless an id holds it).
			var ids []string
			for _, part := range strings.Split(s, ",") {
				id, _, _ := strings.Cut(part, ":")
				ids = append(ids, id)
			}
			for _, part := range strings.Split(s, ",") {
				_, b64, ok := strings.Cut(part, ":")
				if !ok || len(b64) < 16 || !strings.Contains(err.Error(), b64) {
					continue
				}
				named := false
				for _, id := range ids {
					named = named || strings.Contains(fmt.Sprintf("%q", id), b64)
				}
				if !named {
					t.Fatalf("error echoes key material: %v", err)
				}
			}
			return
		}
		if _, ok := keys[current]; !ok {
			t.Fatalf("current %q not among the keys", current)
		}
		for id, k := range keys {
			if len(k) != 32 || id == "" {
				t.Fatalf("key %q has %d bytes", id, len(k))
			}
		}
	})
}

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
