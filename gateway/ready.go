package gateway

import "github.com/entragate/entragate/keysource"

// KeyReadiness maps a key source's state onto /readyz: ready once keys are
// loaded, degraded while serving last-known-good keys, not ready before the
// first load or once the set is older than Keys.MaxStale. The native server
// and the edge build both use it.
func KeyReadiness(st keysource.Status) ReadyStatus {
	rs := ReadyStatus{Ready: st.Loaded, Degraded: st.Stale, KeySetAge: st.Age, Keys: st.Keys}
	switch {
	case st.Expired:
		rs.Detail = "The signing-key set is older than Keys.MaxStale and is no longer used."
	case !st.Loaded:
		rs.Detail = "Signing keys are not loaded yet."
	case st.Stale:
		rs.Detail = "Serving the last-known-good signing keys; refreshes are failing."
	}
	return rs
}
