package httpauth

import (
	"context"

	"github.com/entragate/entragate/validate"
)

type ctxKey struct{}

type authInfo struct {
	res *validate.Result
	raw string
}

// NewContext returns ctx carrying a validated result and its raw token.
// The middleware calls it; tests and other adapters (edge) may too.
func NewContext(ctx context.Context, res *validate.Result, raw string) context.Context {
	return context.WithValue(ctx, ctxKey{}, authInfo{res: res, raw: raw})
}

// FromContext returns the validated token stored by the middleware.
func FromContext(ctx context.Context) (*validate.Result, bool) {
	ai, ok := ctx.Value(ctxKey{}).(authInfo)
	return ai.res, ok && ai.res != nil
}

// TokenFromContext returns the raw validated bearer token (the OBO
// assertion). Never log it.
func TokenFromContext(ctx context.Context) (string, bool) {
	ai, ok := ctx.Value(ctxKey{}).(authInfo)
	return ai.raw, ok && ai.raw != ""
}
