package obo

import (
	"context"
	"log/slog"
)

func stringAttr(k, v string) slog.Attr { return slog.String(k, v) }

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
