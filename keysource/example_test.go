package keysource_test

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/entragate/entragate/httpclient"
	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/keysource"
)

// A gateway-style set-up: one Source per authority, refreshed in the
// background, shared by every route that validates tokens of that authority.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src, err := keysource.New(keysource.Config{
		MetadataURL: "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration",
		Doer:        httpclient.New(httpclient.Options{Timeout: 15 * time.Second}),
		Logger:      slog.Default(),
	})
	if err != nil {
		panic(err)
	}
	go src.Run(ctx)

	// Per request (validate.Validator does this with the token's kid):
	_, err = src.Key(ctx, "some-kid", "")
	var kerr *keysource.Error
	switch {
	case errors.Is(err, jwk.ErrKeySetUnavailable) && errors.As(err, &kerr):
		_ = kerr.RetryAfter // answer 503 with Retry-After
	case errors.Is(err, jwk.ErrKeyNotFound):
		// answer 401 invalid_token
	}
	_ = src.Status().Loaded // readiness
}
