package jwt

import "errors"

// Sentinel errors. Parse wraps them with %w and some context; use errors.Is.
var (
	// ErrTooLarge: the token exceeds the configured size cap.
	ErrTooLarge = errors.New("jwt: token too large")
	// ErrSegments: the token does not have exactly three segments.
	ErrSegments = errors.New("jwt: token must have exactly three segments")
	// ErrBase64: a segment is not strict, canonical, unpadded base64url.
	ErrBase64 = errors.New("jwt: invalid base64url")
	// ErrJSON: header or payload is not valid JSON.
	ErrJSON = errors.New("jwt: invalid JSON")
	// ErrNotObject: header or payload is valid JSON but not an object.
	ErrNotObject = errors.New("jwt: header and payload must be JSON objects")
	// ErrDuplicate: a JSON object repeats a member name.
	ErrDuplicate = errors.New("jwt: duplicate JSON member name")
	// ErrDepth: JSON nesting exceeds MaxDepth.
	ErrDepth = errors.New("jwt: JSON nested too deeply")
	// ErrHeader: a JOSE header member has the wrong type (alg not a string, ...).
	ErrHeader = errors.New("jwt: invalid JOSE header")
	// ErrClaimType: a claim has the wrong JSON type for the accessor used.
	ErrClaimType = errors.New("jwt: claim has the wrong type")
	// ErrUnsupportedAlg: Verify was asked for an algorithm it does not implement.
	ErrUnsupportedAlg = errors.New("jwt: unsupported algorithm")
	// ErrSignature: the signature does not verify.
	ErrSignature = errors.New("jwt: signature verification failed")
)
