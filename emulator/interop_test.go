package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/entragate/entragate/authority"
	"github.com/entragate/entragate/emulator"
	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/validate"
)

// setKeys adapts a jwk.Set to validate.Keys.
type setKeys struct{ set *jwk.Set }

func (s setKeys) Key(_ context.Context, kid, x5t string) (*jwk.Key, error) {
	if k, ok := s.set.Lookup(kid, x5t); ok {
		return k, nil
	}
	return nil, jwk.ErrKeyNotFound
}

func get(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func TestInteropWithCore(t *testing.T) {
	e, err := emulator.New(emulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	e.SetBaseURL(srv.URL)
	md, err := authority.ParseMetadata(get(t, srv.URL+"/"+emulator.DemoTenantID+"/v2.0/.well-known/openid-configuration"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwk.Parse(get(t, md.JWKSURI))
	if err != nil || set.Len() != 1 {
		t.Fatalf("jwk.Parse: %v", err)
	}
	for _, tc := range []struct {
		scope, client string
		v1            bool
	}{
		{emulator.DemoAPIScope, emulator.DemoAPIClientID, false},
		{emulator.DemoV1APIAppIDURI + "/" + emulator.DemoScope, emulator.DemoV1APIClientID, true},
	} {
		resp, err := http.PostForm(srv.URL+"/"+emulator.DemoTenantID+"/oauth2/v2.0/token", url.Values{"grant_type": {"password"},
			"client_id": {emulator.DemoClientAppID}, "username": {"alice"}, "password": {emulator.DemoPassword}, "scope": {tc.scope}})
		if err != nil {
			t.Fatal(err)
		}
		var ans struct {
			AccessToken string `json:"access_token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		v, err := validate.New(validate.Config{Instance: e.Instance(), TenantID: emulator.DemoTenantID, ClientID: tc.client, Keys: setKeys{set}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := v.Validate(context.Background(), ans.AccessToken)
		if err != nil {
			t.Fatalf("validate (v1=%v): %v", tc.v1, err)
		}
		if want := map[bool]string{false: "2.0", true: "1.0"}[tc.v1]; res.Version != want || res.ObjectID != emulator.DemoAliceObjectID {
			t.Fatalf("result %+v", res)
		}
	}
	// A Graph token (nonce header) must not verify for third parties.
	resp, err := http.PostForm(srv.URL+"/"+emulator.DemoTenantID+"/oauth2/v2.0/token", url.Values{"grant_type": {"password"},
		"client_id": {emulator.DemoClientAppID}, "username": {"alice"}, "password": {emulator.DemoPassword}, "scope": {"User.Read"}})
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	v, err := validate.New(validate.Config{Instance: e.Instance(), TenantID: emulator.DemoTenantID, ClientID: emulator.DemoAPIClientID,
		Audiences: []string{emulator.GraphResource}, Keys: setKeys{set}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(context.Background(), ans.AccessToken); err == nil {
		t.Fatal("a third party verified a Graph token")
	}
}
