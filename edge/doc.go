// Package edge adapts entragate's core (validate, keysource, obo, tokencache,
// gateway) to a Cloudflare Worker: the Go program is built for js/wasm and
// driven by the JS shim in edge/shim.
//
// The pieces that touch syscall/js (the request bridge, the fetch-based Doer,
// the KV and Cache API stores) build only with GOOS=js GOARCH=wasm; the rest
// (configuration from Worker bindings, the bounded response recorder, request
// ids in contexts) is plain Go, tested natively.
//
// Concurrency model: Go never performs I/O itself. A goroutine that needs a
// fetch or a cache call queues an operation on the Worker request that owns
// it (its id travels in the request's context, see WithRequestID); that
// request's JS pump runs the operation in its own context and hands the
// result back. See docs/edge.md.
package edge
