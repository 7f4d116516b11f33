package emulator

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"
)

// mintReq describes one access token to issue.
type mintReq struct {
	tenant     *Tenant // copy-safe fields only (ID)
	client     App
	clientAuth string // "0" public, "1" secret, "2" certificate
	user       *User  // nil for app-only
	sr         *scopeReq
	amr        []string
	roles      []string
}

// minted is an issued access token.
type minted struct {
	token   string
	expires time.Time
	life    time.Duration
	granted []string // scp (delegated) or roles (app-only) for the answer
}

func (e *Emulator) mint(m mintReq) (*minted, error) {
	now := e.now().Truncate(time.Second)
	life := time.Hour
	res := m.sr.res
	ver := 1
	aud := GraphResource
	audAppID := GraphAppID
	if !res.graph {
		life = res.app.lifetime()
		ver = res.app.tokenVersion()
		audAppID = res.app.ClientID
		aud = res.app.ClientID
		if ver == 1 {
			aud = res.app.AppIDURI
			if aud == "" {
				aud = res.app.ClientID
			}
		}
	}
	tid := m.tenant.ID
	c := map[string]any{
		"aud": aud,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(life).Unix(),
		"aio": randB64(48),
		"rh":  "0.A" + randB64(60) + ".",
		"tid": tid,
		"uti": randB64(16),
		"ver": fmt.Sprintf("%d.0", ver),
	}
	if ver == 2 {
		c["iss"] = e.IssuerV2(tid)
		c["azp"] = m.client.ClientID
		c["azpacr"] = m.clientAuth
	} else {
		c["iss"] = e.IssuerV1(tid)
		c["appid"] = m.client.ClientID
		c["appidacr"] = m.clientAuth
	}
	var granted []string
	if m.user == nil {
		oid := derivedGUID("sp", tid, m.client.ClientID)
		c["oid"] = oid
		c["sub"] = oid
		c["idtyp"] = "app"
		if len(m.roles) > 0 {
			c["roles"] = m.roles
		}
		granted = []string{".default"}
	} else {
		u := m.user
		granted = m.sr.delegatedScp()
		c["scp"] = strings.Join(granted, " ")
		c["oid"] = u.ObjectID
		c["sub"] = pairwiseSub(tid, u.ObjectID, audAppID)
		c["name"] = u.DisplayName
		c["amr"] = m.amr
		if len(m.roles) > 0 {
			c["roles"] = m.roles
		}
		if ver == 2 {
			c["preferred_username"] = u.UserPrincipalName
		} else {
			c["acr"] = "1"
			c["upn"] = u.UserPrincipalName
			c["unique_name"] = u.UserPrincipalName
			c["ipaddr"] = "127.0.0.1"
			if u.GivenName != "" {
				c["given_name"] = u.GivenName
			}
			if u.Surname != "" {
				c["family_name"] = u.Surname
			}
		}
		if res.graph {
			c["idtyp"] = "user"
			c["app_displayname"] = m.client.name()
		}
	}
	tok, err := signJWT(e.keys.current(), c, res.graph)
	if err != nil {
		return nil, err
	}
	return &minted{token: tok, expires: now.Add(life), life: life, granted: granted}, nil
}

// pairwiseSub is stable per user and resource app, opaque like Entra's.
func pairwiseSub(tid, oid, appID string) string {
	s := sha256.Sum256([]byte("sub|" + strings.ToLower(tid) + "|" + oid + "|" + strings.ToLower(appID)))
	return b64.EncodeToString(s[:])[:43]
}

// derivedGUID is a stable GUID-shaped id derived from parts.
func derivedGUID(parts ...string) string {
	s := sha256.Sum256([]byte(strings.ToLower(strings.Join(parts, "|"))))
	b := s[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func randB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b64.EncodeToString(b)
}

// mintIDToken issues a v2 id_token for the client (openid scope).
func (e *Emulator) mintIDToken(t *Tenant, client App, u *User, oidc []string) (string, error) {
	now := e.now().Truncate(time.Second)
	c := map[string]any{
		"aud": client.ClientID, "iss": e.IssuerV2(t.ID), "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(), "oid": u.ObjectID, "sub": pairwiseSub(t.ID, u.ObjectID, client.ClientID),
		"tid": t.ID, "uti": randB64(16), "ver": "2.0", "rh": "0.A" + randB64(60) + ".",
		"aio": randB64(48),
	}
	for _, s := range oidc {
		switch s {
		case "profile":
			c["name"] = u.DisplayName
			c["preferred_username"] = u.UserPrincipalName
		case "email":
			if u.Mail != "" {
				c["email"] = u.Mail
			}
		}
	}
	return signJWT(e.keys.current(), c, false)
}
