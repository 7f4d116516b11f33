package emulator

import (
	"net/http"
	"time"
)

// Throttle makes the token endpoint answer 429 (with Retry-After and an
// AADSTS body) to the next Count requests, or until Window has passed,
// whichever applies (both zero clears throttling).
type Throttle struct {
	Count      int           // next N requests
	Window     time.Duration // or for this long
	RetryAfter time.Duration // Retry-After (default 5s, rounded up to seconds)
	GrantType  string        // only this grant ("password", "on_behalf_of", ...); "" = all
}

type throttleState struct {
	remaining  int
	until      time.Time
	retryAfter int
	grant      string
}

// SetThrottle installs a throttle (replacing any previous one).
func (e *Emulator) SetThrottle(t Throttle) {
	ra := int((t.RetryAfter + time.Second - 1) / time.Second)
	if ra <= 0 {
		ra = 5
	}
	st := throttleState{remaining: t.Count, retryAfter: ra, grant: grantLabelOrEmpty(t.GrantType)}
	if t.Window > 0 {
		st.until = e.now().Add(t.Window)
	}
	e.mu.Lock()
	e.throttle = st
	e.mu.Unlock()
}

// ClearThrottle removes any throttle.
func (e *Emulator) ClearThrottle() { e.SetThrottle(Throttle{}) }

func grantLabelOrEmpty(g string) string {
	if g == "" {
		return ""
	}
	return grantLabel(g)
}

// checkThrottle consumes one throttled request if a throttle applies.
func (e *Emulator) checkThrottle(grant string) *aadError {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := &e.throttle
	if st.grant != "" && st.grant != grant {
		return nil
	}
	active := false
	if st.remaining > 0 {
		st.remaining--
		active = true
	} else if !st.until.IsZero() && e.now().Before(st.until) {
		active = true
	}
	if !active {
		return nil
	}
	ae := newErr(http.StatusTooManyRequests, "temporarily_unavailable", 90055,
		"TenantThrottlingError: There are too many incoming requests. Retry after %d seconds.", st.retryAfter)
	ae.retryAfter = st.retryAfter
	return ae
}
