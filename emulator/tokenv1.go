package emulator

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// tokenAnswerV1 is the v1 endpoint's success answer (numbers as strings).
type tokenAnswerV1 struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    string `json:"expires_in"`
	ExtExpiresIn string `json:"ext_expires_in"`
	ExpiresOn    string `json:"expires_on"`
	NotBefore    string `json:"not_before"`
	Resource     string `json:"resource"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

// v1Scope turns the v1 "resource" parameter into a v2 scope: delegated
// grants get every scope of the resource plus a refresh token.
func v1Scope(f url.Values, grant string) *aadError {
	res := strings.TrimRight(f.Get("resource"), "/")
	if res == "" {
		if grant == grantRefreshToken {
			return nil
		}
		return errMissingParam("resource")
	}
	scope := res + "/.default"
	if grant != grantClientCredentials {
		scope += " offline_access"
	}
	f.Set("scope", scope)
	return nil
}

// handleTokenV1 serves POST /{tenant}/oauth2/token (the v1 endpoint).
func (e *Emulator) handleTokenV1(w http.ResponseWriter, r *http.Request) {
	if d, _ := e.delays(); sleepCtx(r.Context(), d) {
		return
	}
	grant, ans, aerr := e.token(r, true)
	label := grantLabel(grant)
	if aerr != nil {
		e.metrics.countToken(label, aerr.result(), aerr.aadsts)
		e.writeAADError(w, r, aerr)
		return
	}
	e.metrics.countToken(label, "ok", 0)
	now := e.now().Unix()
	var short []string
	for _, s := range strings.Fields(ans.Scope) {
		if s == "offline_access" {
			continue
		}
		if i := strings.LastIndex(s, "/"); i >= 0 {
			s = s[i+1:]
		}
		short = append(short, s)
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenAnswerV1{
		TokenType: ans.TokenType, Scope: strings.Join(short, " "),
		ExpiresIn: strconv.FormatInt(ans.ExpiresIn, 10), ExtExpiresIn: strconv.FormatInt(ans.ExtExpiresIn, 10),
		ExpiresOn: strconv.FormatInt(now+ans.ExpiresIn, 10), NotBefore: strconv.FormatInt(now, 10),
		Resource: r.PostForm.Get("resource"), AccessToken: ans.AccessToken, RefreshToken: ans.RefreshToken, IDToken: ans.IDToken,
	})
}
