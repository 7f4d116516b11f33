package keysource

import "time"

// Status describes the source for readiness probes, /readyz bodies and
// logs. It holds no secrets: URLs are redacted and errors carry no bodies.
type Status struct {
	Source  string // configured location (redacted URL or file path)
	JWKSURI string // key-set URL in use (redacted); empty for files

	// Loaded: a key set is held and younger than MaxStale, so Key can answer.
	Loaded bool
	// Stale: the last refresh failed and the source serves its
	// last-known-good set (degraded but working).
	Stale bool
	// Expired: a set is held but older than MaxStale; it is not served.
	Expired bool

	Keys      int      // number of usable keys
	Kids      []string // their ids
	FetchedAt time.Time
	Age       time.Duration // Now - FetchedAt; 0 when nothing was ever loaded

	NextRefresh         time.Time // next scheduled (or backoff) attempt
	ConsecutiveFailures int
	LastError           string // last refresh error (no bodies, no secrets); "" after success
	LastErrorAt         time.Time
	// MetadataError: the discovery document failed on the last refresh but
	// the previous jwks_uri still worked.
	MetadataError string
	// NegativeEntries is the current size of the unknown-kid negative cache.
	NegativeEntries int
}

// Status returns a snapshot.
func (s *Source) Status() Status {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{
		Source:              s.desc,
		Loaded:              s.usableLocked(now),
		Keys:                s.set.Len(),
		Kids:                s.set.Kids(),
		FetchedAt:           s.fetchedAt,
		NextRefresh:         s.nextRefresh,
		ConsecutiveFailures: s.failures,
		LastErrorAt:         s.lastErrAt,
		NegativeEntries:     s.neg.len(),
	}
	if s.jwksURI != "" {
		st.JWKSURI = redactRaw(s.jwksURI)
	}
	if s.set != nil {
		st.Age = now.Sub(s.fetchedAt)
		st.Expired = !st.Loaded
		st.Stale = st.Loaded && s.lastErr != nil
	}
	if s.lastErr != nil {
		st.LastError = s.lastErr.Error()
	}
	if s.metaErr != nil {
		st.MetadataError = s.metaErr.Error()
	}
	return st
}
