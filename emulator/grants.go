package emulator

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Grant types (form values).
const (
	grantPassword          = "password"
	grantClientCredentials = "client_credentials"
	grantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	grantRefreshToken      = "refresh_token"
)

// tokenAnswer is a success answer in Entra's member order.
type tokenAnswer struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int64  `json:"expires_in"`
	ExtExpiresIn int64  `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

// tokenCtx is one token request being processed.
type tokenCtx struct {
	r        *http.Request
	form     url.Values
	seg      string // tenant path segment as sent
	tokenURL string
	creds    clientCreds
}

func (e *Emulator) handleToken(w http.ResponseWriter, r *http.Request) {
	if d, _ := e.delays(); sleepCtx(r.Context(), d) {
		return
	}
	grant, ans, aerr := e.token(r, false)
	label := grantLabel(grant)
	if aerr != nil {
		e.metrics.countToken(label, aerr.result(), aerr.aadsts)
		e.log.Info("emulator: token request refused", "grant_type", label, "error", aerr.code, "aadsts", aerr.aadsts)
		e.writeAADError(w, r, aerr)
		return
	}
	e.metrics.countToken(label, "ok", 0)
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, ans)
}

func (e *Emulator) token(r *http.Request, v1 bool) (string, *tokenAnswer, *aadError) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return "", nil, errInvalidRequest(900144, "The request body must contain the following parameter: 'grant_type'.")
	}
	if err := r.ParseForm(); err != nil {
		return "", nil, errInvalidRequest(900144, "The request body must contain the following parameter: 'grant_type'.")
	}
	f := r.PostForm
	for k, v := range f {
		if len(v) > 1 {
			return f.Get("grant_type"), nil, errInvalidRequest(90015, "Requested query string is too long or contains duplicate parameter '%s'.", truncate(k, 64))
		}
	}
	grant := f.Get("grant_type")
	if grant == "" {
		return "", nil, errMissingParam("grant_type")
	}
	if t := e.checkThrottle(grantLabel(grant)); t != nil {
		return grant, nil, t
	}
	seg := r.PathValue("tenant")
	tc := &tokenCtx{r: r, form: f, seg: seg, tokenURL: e.TokenEndpoint(seg), creds: readClientCreds(r, f)}
	if v1 {
		tc.tokenURL = e.BaseURL() + "/" + seg + "/oauth2/token"
		if aerr := v1Scope(f, grant); aerr != nil {
			return grant, nil, aerr
		}
	}
	if !e.knownTenantSegment(seg) {
		return grant, nil, errInvalidRequest(90002, "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", truncate(seg, 64))
	}
	if tc.creds.id == "" {
		return grant, nil, errMissingParam("client_id")
	}
	var ans *tokenAnswer
	var aerr *aadError
	switch grant {
	case grantPassword:
		ans, aerr = e.passwordGrant(tc)
	case grantClientCredentials:
		ans, aerr = e.clientCredentialsGrant(tc)
	case grantJWTBearer:
		ans, aerr = e.oboGrant(tc)
	case grantRefreshToken:
		ans, aerr = e.refreshGrant(tc)
	default:
		aerr = newErr(http.StatusBadRequest, "unsupported_grant_type", 70003,
			"The app requested an unsupported grant type '%s'.", truncate(grant, 64))
	}
	return grant, ans, aerr
}

// handleTokenGet answers a GET on the token endpoint as Entra does.
func (e *Emulator) handleTokenGet(w http.ResponseWriter, r *http.Request) {
	e.writeAADError(w, r, errInvalidRequest(900561, "The endpoint only accepts POST, OPTIONS requests. Received a GET request."))
}

// grantLabel is the metrics label of a grant_type.
func grantLabel(g string) string {
	switch g {
	case grantPassword, grantClientCredentials, grantRefreshToken:
		return g
	case grantJWTBearer, "on_behalf_of", "obo", "jwt-bearer":
		return "on_behalf_of"
	case "":
		return "none"
	}
	return "other"
}

// resolve finds the tenant and client app of a request. Caller holds e.mu (read).
// hint names a user for common/organizations password requests.
func (e *Emulator) resolve(tc *tokenCtx, hint string) (*Tenant, *App, *aadError) {
	var t *Tenant
	if isMultiTenant(tc.seg) {
		if hint != "" {
			t = e.userTenant(hint)
		}
		if t == nil {
			t = e.appTenant(tc.creds.id)
		}
	} else {
		t = e.lookupTenant(tc.seg)
	}
	if t == nil {
		return nil, nil, unknownApp(tc.creds.id, tc.seg)
	}
	a := findApp(t, tc.creds.id)
	if a == nil || !equalFold(a.ClientID, tc.creds.id) {
		return nil, nil, unknownApp(tc.creds.id, t.ID)
	}
	return t, a, nil
}

func unknownApp(id, tenant string) *aadError {
	return newErr(http.StatusBadRequest, "unauthorized_client", 700016,
		"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
		truncate(id, 64), truncate(tenant, 64))
}

func errConsent(a *App) *aadError {
	return errInvalidGrant(65001, "The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", a.ClientID, a.name())
}

func (e *Emulator) passwordGrant(tc *tokenCtx) (*tokenAnswer, *aadError) {
	username, password := tc.form.Get("username"), tc.form.Get("password")
	if username == "" {
		return nil, errMissingParam("username")
	}
	if password == "" {
		return nil, errMissingParam("password")
	}
	mfa, cerr := claimsSatisfyMFA(tc.form.Get("claims"))
	if cerr != nil {
		return nil, cerr
	}
	e.mu.RLock()
	t, app, aerr := e.resolve(tc, username)
	if aerr != nil {
		e.mu.RUnlock()
		return nil, aerr
	}
	tenant, client := *t, *app
	u := findUser(t, username)
	var user User
	if u != nil {
		user = *u
	}
	sr, serr := parseScopes(t, tc.form.Get("scope"))
	e.mu.RUnlock()
	acr, aerr := e.authenticateClient(&client, tc.creds, tc.tokenURL, false)
	if aerr != nil {
		return nil, aerr
	}
	if u == nil {
		return nil, errInvalidGrant(50034, "The user account {EmailHidden} does not exist in the %s directory. To sign into this application, the account must be added to the directory.", tenant.ID)
	}
	if user.Password == "" || !constantEqual(user.Password, password) {
		return nil, errInvalidGrant(50126, "Error validating credentials due to invalid username or password.")
	}
	if serr != nil {
		return nil, serr
	}
	if client.RefuseConsent {
		return nil, errConsent(&client)
	}
	amr := []string{"pwd"}
	if mfa {
		amr = append(amr, "mfa")
	}
	return e.issueDelegated(&tenant, client, acr, &user, sr, amr, tc.form.Get("scope"))
}

// issueDelegated mints a delegated token (plus a refresh token when
// offline_access was asked for).
func (e *Emulator) issueDelegated(t *Tenant, client App, acr string, u *User, sr *scopeReq, amr []string, rawScope string) (*tokenAnswer, *aadError) {
	var roles []string
	if !sr.res.graph {
		roles = rolesFor(u.Roles, &sr.res.app)
	}
	m, err := e.mint(mintReq{tenant: t, client: client, clientAuth: acr, user: u, sr: sr, amr: amr, roles: roles})
	if err != nil {
		return nil, newErr(http.StatusInternalServerError, "server_error", 90000, "The emulator could not sign the token.")
	}
	ans := answer(m, sr.answerScope(m.granted))
	if slices.Contains(sr.oidc, "openid") {
		if ans.IDToken, err = e.mintIDToken(t, client, u, sr.oidc); err != nil {
			return nil, newErr(http.StatusInternalServerError, "server_error", 90000, "The emulator could not sign the token.")
		}
	}
	if sr.offline {
		ans.RefreshToken = e.refresh.issue(e.now(), refreshEntry{
			tenantID: t.ID, clientID: client.ClientID, userOID: u.ObjectID, scope: rawScope, amr: amr,
		})
	}
	return ans, nil
}

func answer(m *minted, scope string) *tokenAnswer {
	secs := int64(m.life / time.Second)
	return &tokenAnswer{TokenType: "Bearer", Scope: scope, ExpiresIn: secs, ExtExpiresIn: secs, AccessToken: m.token}
}

func (e *Emulator) clientCredentialsGrant(tc *tokenCtx) (*tokenAnswer, *aadError) {
	e.mu.RLock()
	t, app, aerr := e.resolve(tc, "")
	if aerr != nil {
		e.mu.RUnlock()
		return nil, aerr
	}
	tenant, client := *t, *app
	raw := tc.form.Get("scope")
	fields := strings.Fields(raw)
	var sr *scopeReq
	var serr *aadError
	if len(fields) != 1 || !strings.HasSuffix(fields[0], "/.default") {
		serr = newErr(http.StatusBadRequest, "invalid_scope", 1002012,
			"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", truncate(raw, 256))
		if raw == "" {
			serr = errMissingParam("scope")
		}
	} else {
		sr, serr = parseScopes(t, raw)
	}
	e.mu.RUnlock()
	acr, aerr := e.authenticateClient(&client, tc.creds, tc.tokenURL, true)
	if aerr != nil {
		return nil, aerr
	}
	if serr != nil {
		return nil, serr
	}
	var roles []string
	if sr.res.graph {
		for _, k := range []string{GraphResource, GraphAppID} {
			roles = append(roles, client.RoleGrants[k]...)
		}
	} else {
		roles = rolesFor(client.RoleGrants, &sr.res.app)
	}
	m, err := e.mint(mintReq{tenant: &tenant, client: client, clientAuth: acr, sr: sr, roles: roles})
	if err != nil {
		return nil, newErr(http.StatusInternalServerError, "server_error", 90000, "The emulator could not sign the token.")
	}
	return answer(m, sr.res.prefix()+"/.default"), nil
}

// claimsSatisfyMFA reports whether a claims request asks for a step-up
// (any access_token claims request, e.g. the capolids challenge).
func claimsSatisfyMFA(raw string) (bool, *aadError) {
	if raw == "" {
		return false, nil
	}
	var c map[string]json.RawMessage
	if len(raw) > 4096 || json.Unmarshal([]byte(raw), &c) != nil {
		return false, errInvalidRequest(90014, "The claims parameter is not valid JSON.")
	}
	_, ok := c["access_token"]
	return ok, nil
}

func constantEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return v == 0
}
