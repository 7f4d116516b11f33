package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// Test controls under /_emulator/ (JSON in, JSON out).

type controlAnswer struct {
	OK      bool     `json:"ok"`
	Error   string   `json:"error,omitempty"`
	Kid     string   `json:"kid,omitempty"`
	Kids    []string `json:"published_kids,omitempty"`
	Message string   `json:"message,omitempty"`
}

func controlErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, controlAnswer{Error: msg})
}

// decodeControl reads a small JSON body; an empty body leaves v unchanged.
func decodeControl(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 4096))
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (e *Emulator) publishedKids() []string {
	var kids []string
	for _, k := range e.keys.published(e.now()) {
		kids = append(kids, k.kid)
	}
	return kids
}

// POST /_emulator/rotate-keys[?retire=now]
func (e *Emulator) handleRotate(w http.ResponseWriter, r *http.Request) {
	kid, err := e.rotateKeys(r.URL.Query().Get("retire") == "now")
	if err != nil {
		controlErr(w, http.StatusInternalServerError, "key rotation failed")
		return
	}
	writeJSON(w, http.StatusOK, controlAnswer{OK: true, Kid: kid, Kids: e.publishedKids()})
}

// POST /_emulator/users/{user}/mfa  {"required": true}
func (e *Emulator) handleMFA(w http.ResponseWriter, r *http.Request) {
	body := struct {
		Required *bool `json:"required"`
	}{}
	if err := decodeControl(r, &body); err != nil || body.Required == nil {
		controlErr(w, http.StatusBadRequest, `body must be {"required": true|false}`)
		return
	}
	if err := e.SetRequireMFA(r.PathValue("user"), *body.Required); err != nil {
		controlErr(w, statusFor(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, controlAnswer{OK: true})
}

// POST /_emulator/apps/{client}/consent  {"refuse": true}
func (e *Emulator) handleConsent(w http.ResponseWriter, r *http.Request) {
	body := struct {
		Refuse *bool `json:"refuse"`
	}{}
	if err := decodeControl(r, &body); err != nil || body.Refuse == nil {
		controlErr(w, http.StatusBadRequest, `body must be {"refuse": true|false}`)
		return
	}
	if err := e.SetRefuseConsent(r.PathValue("client"), *body.Refuse); err != nil {
		controlErr(w, statusFor(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, controlAnswer{OK: true})
}

// POST /_emulator/throttle {"count":N,"window_seconds":S,"retry_after_seconds":R,"grant_type":"..."}
// DELETE /_emulator/throttle clears it.
func (e *Emulator) handleThrottle(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodDelete {
		e.ClearThrottle()
		writeJSON(w, http.StatusOK, controlAnswer{OK: true})
		return
	}
	body := struct {
		Count      int    `json:"count"`
		Window     int    `json:"window_seconds"`
		RetryAfter int    `json:"retry_after_seconds"`
		GrantType  string `json:"grant_type"`
	}{}
	if err := decodeControl(r, &body); err != nil || body.Count < 0 || body.Window < 0 || body.RetryAfter < 0 ||
		body.Count > 1_000_000 || body.Window > 86400 || body.RetryAfter > 86400 {
		controlErr(w, http.StatusBadRequest, `body must be {"count":N,"window_seconds":S,"retry_after_seconds":R,"grant_type":"..."}`)
		return
	}
	e.SetThrottle(Throttle{Count: body.Count, Window: time.Duration(body.Window) * time.Second,
		RetryAfter: time.Duration(body.RetryAfter) * time.Second, GrantType: body.GrantType})
	writeJSON(w, http.StatusOK, controlAnswer{OK: true})
}

// GET /_emulator/state: base URL, tenants, apps, users (no secrets), keys.
func (e *Emulator) handleState(w http.ResponseWriter, r *http.Request) {
	type appInfo struct {
		ClientID, DisplayName, AppIDURI string
		AccessTokenVersion              int
		PublicClient, RefuseConsent     bool
		TokenLifetimeSeconds            int64
	}
	type userInfo struct {
		Name, ObjectID, UserPrincipalName string
		RequireMFA                        bool
	}
	type tenantInfo struct {
		ID, Domain string
		Apps       []appInfo
		Users      []userInfo
	}
	out := struct {
		BaseURL       string
		Tenants       []tenantInfo
		PublishedKids []string
	}{BaseURL: e.BaseURL(), PublishedKids: e.publishedKids()}
	e.mu.RLock()
	for _, t := range e.order {
		ti := tenantInfo{ID: t.ID, Domain: t.Domain}
		for _, a := range t.Apps {
			ti.Apps = append(ti.Apps, appInfo{a.ClientID, a.DisplayName, a.AppIDURI, a.tokenVersion(), a.PublicClient, a.RefuseConsent, int64(a.lifetime() / time.Second)})
		}
		for _, u := range t.Users {
			ti.Users = append(ti.Users, userInfo{u.Name, u.ObjectID, u.UserPrincipalName, u.RequireMFA})
		}
		out.Tenants = append(out.Tenants, ti)
	}
	e.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

func statusFor(err error) int {
	if errors.Is(err, ErrUnknownUser) || errors.Is(err, ErrUnknownApp) || errors.Is(err, ErrUnknownTenant) {
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

// POST /_emulator/delay {"token_ms":N,"graph_ms":M}
func (e *Emulator) handleDelay(w http.ResponseWriter, r *http.Request) {
	body := struct {
		TokenMS int `json:"token_ms"`
		GraphMS int `json:"graph_ms"`
	}{}
	if err := decodeControl(r, &body); err != nil || body.TokenMS < 0 || body.GraphMS < 0 ||
		body.TokenMS > int(MaxDelay/time.Millisecond) || body.GraphMS > int(MaxDelay/time.Millisecond) {
		controlErr(w, http.StatusBadRequest, `body must be {"token_ms":N,"graph_ms":M} (at most 60000)`)
		return
	}
	e.SetDelay(time.Duration(body.TokenMS)*time.Millisecond, time.Duration(body.GraphMS)*time.Millisecond)
	writeJSON(w, http.StatusOK, controlAnswer{OK: true})
}

// POST /_emulator/graph-fault {"count":N,"status":503,"retry_after_seconds":R}; DELETE clears.
func (e *Emulator) handleGraphFault(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodDelete {
		e.SetGraphFault(GraphFault{})
		writeJSON(w, http.StatusOK, controlAnswer{OK: true})
		return
	}
	body := struct {
		Count      int `json:"count"`
		Status     int `json:"status"`
		RetryAfter int `json:"retry_after_seconds"`
	}{}
	if err := decodeControl(r, &body); err != nil || body.Count < 0 || body.Count > 1_000_000 ||
		(body.Status != 0 && (body.Status < 400 || body.Status > 599)) || body.RetryAfter < 0 || body.RetryAfter > 86400 {
		controlErr(w, http.StatusBadRequest, `body must be {"count":N,"status":4xx|5xx,"retry_after_seconds":R}`)
		return
	}
	e.SetGraphFault(GraphFault{Count: body.Count, Status: body.Status, RetryAfter: time.Duration(body.RetryAfter) * time.Second})
	writeJSON(w, http.StatusOK, controlAnswer{OK: true})
}
