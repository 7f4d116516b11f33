// Package jwt is a strict parser for compact JWS tokens (RFC 7515/7519) as
// Microsoft Entra ID issues them. It is pure: no I/O, no goroutines.
//
// Parse enforces, in this order: a size cap checked before any decoding,
// exactly three dot-separated segments, strict base64url (RFC 4648 §5 without
// padding, no '+', '/', '=', whitespace, and canonical trailing bits), header
// and payload being JSON objects, no duplicate member names at any depth, a
// bounded nesting depth, and valid UTF-8 / RFC 8259 syntax. Claim names are
// case-sensitive ("Exp" is not "exp").
//
// The header members jwk, jku, x5u and x5c are recorded (HasJWK, ...) but
// never used to find keys: the caller supplies keys from a trusted source.
package jwt
