package emulator

import (
	"errors"
	"net/http"
	"strings"
	"time"
)

// graphUser is Microsoft Graph's user resource (default /me projection).
type graphUser struct {
	ODataContext      string   `json:"@odata.context"`
	BusinessPhones    []string `json:"businessPhones"`
	DisplayName       *string  `json:"displayName"`
	GivenName         *string  `json:"givenName"`
	JobTitle          *string  `json:"jobTitle"`
	Mail              *string  `json:"mail"`
	MobilePhone       *string  `json:"mobilePhone"`
	OfficeLocation    *string  `json:"officeLocation"`
	PreferredLanguage *string  `json:"preferredLanguage"`
	Surname           *string  `json:"surname"`
	UserPrincipalName string   `json:"userPrincipalName"`
	ID                string   `json:"id"`
}

type graphError struct {
	Error graphErrorBody `json:"error"`
}

type graphErrorBody struct {
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	InnerError map[string]string `json:"innerError"`
}

var graphUserScopes = []string{"User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All"}

func (e *Emulator) handleGraphMe(w http.ResponseWriter, r *http.Request) {
	if _, d := e.delays(); sleepCtx(r.Context(), d) {
		return
	}
	if f, ok := e.takeGraphFault(); ok {
		e.metrics.countGraph(f.Status)
		e.writeGraphFault(w, r, f)
		return
	}
	status, body := e.graphMe(r)
	e.metrics.countGraph(status)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="`+e.BaseURL()+`/common/oauth2/authorize", client_id="`+GraphAppID+`"`)
	}
	w.Header().Set("request-id", newGUID())
	writeJSON(w, status, body)
}

func (e *Emulator) graphErr(r *http.Request, status int, code, msg string) (int, any) {
	crid := r.Header.Get("client-request-id")
	if !isGUID(crid) {
		crid = newGUID()
	}
	return status, graphError{Error: graphErrorBody{Code: code, Message: msg, InnerError: map[string]string{
		"date": e.now().UTC().Format("2006-01-02T15:04:05"), "request-id": newGUID(), "client-request-id": crid,
	}}}
}

func (e *Emulator) graphMe(r *http.Request) (int, any) {
	authz := r.Header.Get("Authorization")
	scheme, raw, _ := strings.Cut(authz, " ")
	raw = strings.TrimSpace(raw)
	if !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return e.graphErr(r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
	}
	p, err := e.verifyJWT(raw)
	switch {
	case errors.Is(err, errMalformedJWT):
		return e.graphErr(r, http.StatusUnauthorized, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.).")
	case err != nil:
		return e.graphErr(r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
	}
	if p.str("aud") != GraphResource && p.str("aud") != GraphAppID {
		return e.graphErr(r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
	}
	tid := p.str("tid")
	if iss := p.str("iss"); iss != e.IssuerV1(tid) && iss != e.IssuerV2(tid) {
		return e.graphErr(r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid issuer.")
	}
	exp, ok := p.num("exp")
	if !ok || !e.now().Before(time.Unix(exp, 0)) {
		return e.graphErr(r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
	}
	if nbf, ok := p.num("nbf"); ok && e.now().Add(5*time.Minute).Before(time.Unix(nbf, 0)) {
		return e.graphErr(r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is not yet valid.")
	}
	scp := p.str("scp")
	if scp == "" {
		return e.graphErr(r, http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.")
	}
	if !hasAnyFold(strings.Fields(scp), graphUserScopes) {
		return e.graphErr(r, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	}
	e.mu.RLock()
	var user *User
	if t := e.lookupTenant(tid); t != nil {
		if u := findUser(t, p.str("oid")); u != nil {
			cp := *u
			user = &cp
		}
	}
	e.mu.RUnlock()
	if user == nil {
		return e.graphErr(r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. The user does not exist.")
	}
	return http.StatusOK, graphUser{
		ODataContext:      GraphResource + "/v1.0/$metadata#users/$entity",
		BusinessPhones:    user.BusinessPhones,
		DisplayName:       nz(user.DisplayName),
		GivenName:         nz(user.GivenName),
		JobTitle:          nz(user.JobTitle),
		Mail:              nz(user.Mail),
		MobilePhone:       nz(user.MobilePhone),
		OfficeLocation:    nz(user.OfficeLocation),
		PreferredLanguage: nz(user.PreferredLanguage),
		Surname:           nz(user.Surname),
		UserPrincipalName: user.UserPrincipalName,
		ID:                user.ObjectID,
	}
}

func nz(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func hasAnyFold(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.EqualFold(h, w) {
				return true
			}
		}
	}
	return false
}
