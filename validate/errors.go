package validate

import (
	"errors"

	"github.com/entragate/entragate/jwt"
)

func refuse(r Reason, msg, hint string, err error) *Error {
	return &Error{Reason: r, Msg: msg, Hint: hint, Err: err}
}

func errExpired() error {
	return refuse(ReasonExpired, "the token has expired",
		"Acquire a new access token (MSAL refreshes it automatically before expiry).", nil)
}

func errNotYetValid() error {
	return refuse(ReasonNotYetValid, "the token is not valid yet",
		"Check the clocks of the client and this server; the token's nbf is in the future.", nil)
}

func malformed(msg string, err error) *Error {
	return refuse(ReasonMalformed, msg,
		"Send the access token exactly as Microsoft Entra ID issued it, in an Authorization: Bearer header.", err)
}

func parseError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTooLarge):
		return refuse(ReasonTooLarge, "the token is larger than this API accepts",
			"Send only the access token; if it is genuinely this large, raise MaxTokenSize.", err)
	case errors.Is(err, jwt.ErrSegments):
		return malformed("the token is not a compact JWS with three non-empty dot-separated segments", err)
	case errors.Is(err, jwt.ErrBase64):
		return malformed("a token segment is not strict unpadded base64url", err)
	case errors.Is(err, jwt.ErrDuplicate):
		return malformed("the token repeats a JSON member name", err)
	case errors.Is(err, jwt.ErrDepth):
		return malformed("the token's JSON is nested too deeply", err)
	case errors.Is(err, jwt.ErrHeader):
		return malformed("the token's JOSE header is invalid", err)
	}
	return malformed("the token's header or payload is not a valid JSON object", err)
}
