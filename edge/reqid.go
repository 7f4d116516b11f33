package edge

import (
	"context"
	"errors"
)

// ErrNoRequest: an outbound operation was attempted with a context that does
// not belong to a Worker request. At the edge every fetch must be owned by the
// request that caused it, so this fails closed.
var ErrNoRequest = errors.New("edge: context carries no worker request id")

type requestIDKey struct{}

// WithRequestID returns ctx tagged with the Worker request id that owns every
// outbound operation made with it.
func WithRequestID(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the Worker request id carried by ctx.
func RequestID(ctx context.Context) (int64, bool) {
	id, ok := ctx.Value(requestIDKey{}).(int64)
	return id, ok && id > 0
}
