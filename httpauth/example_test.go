package httpauth_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/entragate/entragate/authority"
	"github.com/entragate/entragate/httpauth"
	"github.com/entragate/entragate/httpclient"
	"github.com/entragate/entragate/keysource"
	"github.com/entragate/entragate/validate"
)

// Example protects an API with Entra ID tokens: keys from the tenant's
// metadata, Microsoft.Identity.Web's validation rules, a required scope.
// (The README shows this code.)
func Example() {
	ctx := context.Background()
	tenantID, clientID := "72f988bf-86f1-41af-91ab-2d7cd011db47", "11111111-2222-3333-4444-555555555555"
	keys, err := keysource.New(keysource.Config{
		MetadataURL: authority.MetadataURL("https://login.microsoftonline.com/", tenantID, true),
		Doer:        httpclient.New(httpclient.Options{}),
	})
	if err != nil {
		panic(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go keys.Run(runCtx) // background refresh; unknown kids refresh at once, rate-limited
	v, err := validate.New(validate.Config{TenantID: tenantID, ClientID: clientID, Keys: keys})
	if err != nil {
		panic(err)
	}
	auth, err := httpauth.New(httpauth.Options{Validator: v, Require: validate.Requirement{AnyScopes: []string{"access_as_user"}}})
	if err != nil {
		panic(err)
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := httpauth.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s", claims.ObjectID)
	})
	mux := http.NewServeMux()
	mux.Handle("/api/", auth.Wrap(api))
	_ = mux
}
