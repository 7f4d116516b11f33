// Package keysource supplies Entra ID signing keys to the validator: it
// fetches the JSON Web Key Set named by the configured OpenID Connect
// metadata document (or an explicitly configured key-set URL or file), keeps
// it fresh, and survives key rotation, outages and floods of unknown key ids.
//
// Keys come only from the configured location, never from anything a token
// names (iss, jku, x5u). One *Source serves one authority; it is safe for
// concurrent use and meant to be shared by every route and tenant using it.
//
// Behaviour in brief (see docs/keys.md for the full story and defaults):
//
//   - Run(ctx) refreshes in the background every RefreshInterval (±10 %
//     jitter). Without a Run loop (the WebAssembly edge), Key refreshes
//     lazily when the set is older than RefreshInterval.
//   - An unknown kid triggers an immediate refresh inside the same request,
//     merged with any fetch in flight (one fetch at a time per Source) and
//     rate limited to one per UnknownKidInterval. A kid still unknown after
//     a refresh is refused from a short, bounded negative cache.
//   - A failed fetch keeps the last-known-good set for up to MaxStale and is
//     retried with bounded exponential backoff and jitter.
//   - Every decision about time uses Config.Now, so tests use a fake clock.
//
// The package builds for GOOS=js GOARCH=wasm: it does its HTTP through the
// Doer interface and never uses http.Client itself (see package httpclient
// for the hardened native client).
package keysource
