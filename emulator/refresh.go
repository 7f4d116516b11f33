package emulator

import (
	"crypto/sha256"
	"sync"
	"time"
)

const refreshLifetime = 90 * 24 * time.Hour

// refreshEntry is what a refresh token stands for. The token itself is
// never stored: only its SHA-256.
type refreshEntry struct {
	tenantID, clientID, userOID, scope string
	amr                                []string
	expires                            time.Time
}

// refreshStore is a bounded FIFO map of refresh tokens.
type refreshStore struct {
	mu    sync.Mutex
	max   int
	m     map[[32]byte]refreshEntry
	order [][32]byte
}

func newRefreshStore(max int) *refreshStore {
	return &refreshStore{max: max, m: map[[32]byte]refreshEntry{}}
}

func (s *refreshStore) issue(now time.Time, ent refreshEntry) string {
	tok := "1.A" + randB64(96)
	ent.expires = now.Add(refreshLifetime)
	h := sha256.Sum256([]byte(tok))
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.order) >= s.max {
		delete(s.m, s.order[0])
		s.order = s.order[1:]
	}
	s.m[h] = ent
	s.order = append(s.order, h)
	return tok
}

func (s *refreshStore) get(tok string) (refreshEntry, bool) {
	h := sha256.Sum256([]byte(tok))
	s.mu.Lock()
	defer s.mu.Unlock()
	ent, ok := s.m[h]
	return ent, ok
}

func (e *Emulator) refreshGrant(tc *tokenCtx) (*tokenAnswer, *aadError) {
	rt := tc.form.Get("refresh_token")
	if rt == "" {
		return nil, errMissingParam("refresh_token")
	}
	ent, ok := e.refresh.get(rt)
	e.mu.RLock()
	t, app, aerr := e.resolve(tc, "")
	if aerr != nil {
		e.mu.RUnlock()
		return nil, aerr
	}
	tenant, client := *t, *app
	var user User
	u := findUser(t, ent.userOID)
	if u != nil {
		user = *u
	}
	scope := tc.form.Get("scope")
	if scope == "" {
		scope = ent.scope
	}
	sr, serr := parseScopes(t, scope)
	e.mu.RUnlock()
	acr, aerr := e.authenticateClient(&client, tc.creds, tc.tokenURL, false)
	if aerr != nil {
		return nil, aerr
	}
	if !ok {
		return nil, errInvalidGrant(9002313, "Invalid request. Request is malformed or invalid.")
	}
	if !e.now().Before(ent.expires) {
		return nil, errInvalidGrant(700082, "The refresh token has expired due to inactivity. The token was issued on %s and was inactive for 90.00:00:00.", ent.expires.Add(-refreshLifetime).UTC().Format(time.RFC3339))
	}
	if !equalFold(ent.clientID, client.ClientID) || !equalFold(ent.tenantID, tenant.ID) {
		return nil, errInvalidGrant(70000, "Provided grant is invalid or malformed. The refresh token was issued to a different client or tenant.")
	}
	if u == nil {
		return nil, errInvalidGrant(50034, "The user account {EmailHidden} does not exist in the %s directory.", tenant.ID)
	}
	if serr != nil {
		return nil, serr
	}
	if client.RefuseConsent {
		return nil, errConsent(&client)
	}
	return e.issueDelegated(&tenant, client, acr, &user, sr, ent.amr, scope)
}
