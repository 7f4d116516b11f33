package validate_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/validate"
	vt "github.com/entragate/entragate/validate/validatetest"
)

func Example() {
	env, _ := sharedEnv()
	set, _ := jwk.Parse(env.JWKS) // in production: a keysource.Source
	v, err := validate.New(validate.Config{
		TenantID: vt.TenantID,
		ClientID: vt.ClientID,
		Keys:     validate.SetKeys{Set: set},
		Now:      func() time.Time { return env.Now },
	})
	if err != nil {
		panic(err)
	}
	res, err := v.Validate(context.Background(), env.GoodToken(env.V2()))
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Version, res.TenantID, res.Scopes)
	if err := (validate.Requirement{AnyScopes: []string{"access_as_user"}}).Check(res); err == nil {
		fmt.Println("allowed")
	}

	graph := env.V2()
	graph["aud"] = "https://graph.microsoft.com"
	_, err = v.Validate(context.Background(), env.GoodToken(graph))
	var ve *validate.Error
	if errors.As(err, &ve) {
		fmt.Println(ve.Reason+":", ve.Msg)
	}
	// Output:
	// 2.0 11111111-2222-4333-8444-555555555555 [access_as_user User.Read]
	// allowed
	// audience_mismatch: this token's audience is Microsoft Graph, not this API
}
