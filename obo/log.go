package obo

import (
	"context"
	"log/slog"
)

// errorAttrs describes a failed request for the log: kind, Entra's error,
// codes and trace/correlation ids, and a short prefix of the cache key (a
// hash; never the assertion, a token or a secret).
func errorAttrs(err error, key string) []slog.Attr {
	attrs := []slog.Attr{slog.String("kind", KindOf(err).String()), slog.String("error", err.Error()), slog.String("cache_key", key[:12])}
	if te, ok := err.(*TokenError); ok {
		attrs = append(attrs, slog.Int("status", te.StatusCode), slog.Any("error_codes", te.ErrorCodes),
			slog.String("trace_id", te.TraceID), slog.String("correlation_id", te.CorrelationID), slog.String("retry_after", te.RetryAfter.String()))
	}
	return attrs
}

// levelFor logs expected user-side refusals at Info, the rest at Warn.
func levelFor(err error) slog.Level {
	switch KindOf(err) {
	case KindClaimsChallenge, KindInteractionRequired, KindInvalidAssertion, KindCanceled:
		return slog.LevelInfo
	}
	return slog.LevelWarn
}

// l2Failed counts an L2 failure and logs it at most once per l2LogInterval.
func (c *Client) l2Failed(op string, err error) {
	c.obs.L2Error(op)
	if ok, suppressed := c.l2log.allow(c.now(), l2LogInterval); ok {
		c.log.LogAttrs(context.Background(), slog.LevelWarn, "obo L2 cache unavailable; serving from L1 and the token endpoint",
			slog.String("op", op), slog.String("error", err.Error()), slog.Int("suppressed", suppressed))
	}
}
