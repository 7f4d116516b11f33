package gateway

import (
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"

	"github.com/entragate/entragate/obo"
	"github.com/entragate/entragate/problem"
)

// oboFailure maps an OBO error to an answer (see docs/configuration.md):
// claims challenge → 401 insufficient_claims with claims=base64(JSON);
// interaction/consent → 403; invalid assertion → 401 invalid_token;
// gateway misconfiguration → 502 + an operator log line; throttled →
// 503 + Retry-After; timeout → 504; anything else → 502.
func (h *handler) oboFailure(w http.ResponseWriter, r *http.Request, err error) {
	kind := obo.KindOf(err)
	var te *obo.TokenError
	errors.As(err, &te)
	attrs := []slog.Attr{slog.String("kind", kind.String()), slog.String("error", err.Error())}
	if te != nil {
		attrs = append(attrs, slog.Int("status", te.StatusCode), slog.String("code", te.Code),
			slog.Any("error_codes", te.ErrorCodes), slog.String("trace_id", te.TraceID),
			slog.String("correlation_id", te.CorrelationID))
	}
	hdr := w.Header()
	switch kind {
	case obo.KindClaimsChallenge:
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "OBO claims challenge passed to the client", attrs...)
		ch := problem.Challenge{RealmSet: true, Realm: h.cfg.Realm, Error: problem.CodeInsufficientClaims}
		if te != nil && te.Claims != "" {
			ch.Claims = base64.StdEncoding.EncodeToString([]byte(te.Claims))
		} else {
			ch.ErrorDescription = "Additional claims (for example multi-factor authentication) are required."
		}
		ch.Set(hdr)
		writeProblem(w, http.StatusUnauthorized, problem.CodeInsufficientClaims,
			"Entra ID requires more claims (for example MFA); acquire a new token with the claims in the WWW-Authenticate header.")
	case obo.KindInteractionRequired:
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "OBO needs user interaction or consent", attrs...)
		problem.Challenge{Realm: h.cfg.Realm, Error: "interaction_required",
			ErrorDescription: "The user or an administrator must consent or sign in interactively."}.Set(hdr)
		writeProblem(w, http.StatusForbidden, "interaction_required",
			"Entra ID requires user interaction or consent before this API can call Microsoft Graph on the user's behalf.")
	case obo.KindInvalidAssertion:
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "OBO refused the incoming token", attrs...)
		ch := problem.Challenge{Realm: h.cfg.Realm, Error: problem.CodeInvalidToken,
			ErrorDescription: "obo_assertion_rejected: Entra ID refused the token for the On-Behalf-Of exchange; get a new token."}
		ch.Set(hdr)
		writeProblem(w, http.StatusUnauthorized, problem.CodeInvalidToken, ch.ErrorDescription)
	case obo.KindMisconfigured:
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelError,
			"OBO refused: this gateway's app registration or client credential is misconfigured (operator action needed)", attrs...)
		writeProblem(w, http.StatusBadGateway, "downstream_token_unavailable",
			"The gateway could not obtain a token for Microsoft Graph because of its own configuration.")
	case obo.KindThrottled:
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "OBO throttled by the token endpoint", attrs...)
		ra := obo.RetryAfterOf(err)
		if ra <= 0 {
			ra = h.cfg.RetryAfter
		}
		problem.SetRetryAfter(hdr, ra)
		writeProblem(w, http.StatusServiceUnavailable, "temporarily_unavailable",
			"Entra ID is throttling token requests; retry after the indicated delay.")
	case obo.KindTimeout:
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "OBO timed out", attrs...)
		writeProblem(w, http.StatusGatewayTimeout, "downstream_timeout", "Entra ID's token endpoint did not answer in time.")
	case obo.KindCanceled:
		writeProblem(w, http.StatusServiceUnavailable, "canceled", "The request was canceled.")
	case obo.KindInvalidRequest:
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelError, "OBO request refused before sending", attrs...)
		writeProblem(w, http.StatusInternalServerError, "internal_error", "The gateway built an unusable token request.")
	default: // unavailable, unknown
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "OBO failed", attrs...)
		writeProblem(w, http.StatusBadGateway, "downstream_token_unavailable",
			"The gateway could not obtain a token for Microsoft Graph.")
	}
}
