package keysource

import "time"

// Fetch results reported to Observer.Fetch (a closed set, usable as a
// metric label).
const (
	ResultOK          = "ok"
	ResultTimeout     = "timeout"      // FetchTimeout expired
	ResultNetwork     = "network"      // transport error, file unreadable
	ResultHTTPStatus  = "http_status"  // non-200 answer
	ResultTooLarge    = "too_large"    // body over MaxBytes
	ResultContentType = "content_type" // not declared as JSON
	ResultInvalid     = "invalid"      // malformed JSON / metadata / key set
	ResultEmpty       = "empty"        // key set without a usable key
	ResultInsecure    = "insecure_url" // jwks_uri breaks the scheme rule
	ResultCanceled    = "canceled"
)

// What is being fetched (Observer.Fetch's first argument).
const (
	WhatMetadata = "metadata"
	WhatKeys     = "keys"
)

// Outcomes of an unknown kid (Observer.UnknownKid).
const (
	UnknownKidFetched     = "fetched"      // started a refresh
	UnknownKidMerged      = "merged"       // joined a refresh in flight
	UnknownKidRateLimited = "rate_limited" // refused without a fetch
)

// Observer receives metrics events. Implementations must be cheap and safe
// for concurrent use; metrics/ binds it to Prometheus. A nil Observer in
// Config is allowed. For a key-set age gauge, read Status().Age at scrape
// time or export the fetchedAt passed to KeySet as a timestamp.
type Observer interface {
	// Fetch reports one fetch of what (WhatMetadata, WhatKeys) with a
	// Result* value and its duration.
	Fetch(what, result string, d time.Duration)
	// KeySet reports the size of the set after each successful refresh and
	// when it was fetched.
	KeySet(keys int, fetchedAt time.Time)
	// UnknownKid reports what an unknown kid led to (UnknownKid* values).
	UnknownKid(outcome string)
	// NegativeCacheHit reports a kid refused from the negative cache.
	NegativeCacheHit()
}

type nopObserver struct{}

func (nopObserver) Fetch(string, string, time.Duration) {}
func (nopObserver) KeySet(int, time.Time)               {}
func (nopObserver) UnknownKid(string)                   {}
func (nopObserver) NegativeCacheHit()                   {}
