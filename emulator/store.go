package emulator

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"regexp"
	"strings"
)

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isGUID(s string) bool { return guidRE.MatchString(s) }

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// AddTenant adds a tenant, or replaces the one with the same id.
func (e *Emulator) AddTenant(t Tenant) error {
	if !isGUID(t.ID) {
		return fmt.Errorf("%w: tenant id %q is not a GUID", ErrInvalidConfig, t.ID)
	}
	t.ID = strings.ToLower(t.ID)
	nt := &Tenant{ID: t.ID, Domain: strings.ToLower(t.Domain), DisplayName: t.DisplayName}
	if nt.Domain == "" {
		nt.Domain = t.ID[:8] + ".onmicrosoft.com"
	}
	for _, a := range t.Apps {
		a, err := normalizeApp(a)
		if err != nil {
			return err
		}
		nt.Apps = upsertApp(nt.Apps, a)
	}
	for _, u := range t.Users {
		u, err := normalizeUser(u, nt.Domain)
		if err != nil {
			return err
		}
		nt.Users = upsertUser(nt.Users, u)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.tenants[nt.ID]; ok {
		delete(e.tenants, old.Domain)
		for i, x := range e.order {
			if x == old {
				e.order = append(e.order[:i], e.order[i+1:]...)
				break
			}
		}
	}
	e.tenants[nt.ID] = nt
	e.tenants[nt.Domain] = nt
	e.order = append(e.order, nt)
	return nil
}

func normalizeApp(a App) (App, error) {
	if !isGUID(a.ClientID) {
		return a, fmt.Errorf("%w: app client id %q is not a GUID", ErrInvalidConfig, a.ClientID)
	}
	a.ClientID = strings.ToLower(a.ClientID)
	if a.AccessTokenVersion != 0 && a.AccessTokenVersion != 1 && a.AccessTokenVersion != 2 {
		return a, fmt.Errorf("%w: app %s: accessTokenVersion must be 1 or 2", ErrInvalidConfig, a.ClientID)
	}
	for _, c := range a.Certificates {
		k, err := parsePublicKeyPEM(c)
		if err != nil {
			return a, fmt.Errorf("%w: app %s: %v", ErrInvalidConfig, a.ClientID, err)
		}
		a.PublicKeys = append(a.PublicKeys, k)
	}
	a.Certificates = nil
	fcs := make([]FederatedCredential, 0, len(a.Federated))
	for _, fc := range a.Federated {
		if fc.Issuer == "" || fc.Subject == "" {
			return a, fmt.Errorf("%w: app %s: federated credential needs issuer and subject", ErrInvalidConfig, a.ClientID)
		}
		fc.PublicKeys = append([]*rsa.PublicKey(nil), fc.PublicKeys...)
		for _, c := range fc.Certificates {
			k, err := parsePublicKeyPEM(c)
			if err != nil {
				return a, fmt.Errorf("%w: app %s: federated credential: %v", ErrInvalidConfig, a.ClientID, err)
			}
			fc.PublicKeys = append(fc.PublicKeys, k)
		}
		fc.Certificates = nil
		fcs = append(fcs, fc)
	}
	a.Federated = fcs
	return a, nil
}

func normalizeUser(u User, domain string) (User, error) {
	if u.Name == "" || !isGUID(u.ObjectID) {
		return u, fmt.Errorf("%w: user %q needs a name and a GUID objectId", ErrInvalidConfig, u.Name)
	}
	u.ObjectID = strings.ToLower(u.ObjectID)
	if u.UserPrincipalName == "" {
		u.UserPrincipalName = u.Name + "@" + domain
	}
	if u.DisplayName == "" {
		u.DisplayName = u.Name
	}
	if u.BusinessPhones == nil {
		u.BusinessPhones = []string{}
	}
	return u, nil
}

func upsertApp(list []App, a App) []App {
	for i := range list {
		if list[i].ClientID == a.ClientID {
			list[i] = a
			return list
		}
	}
	return append(list, a)
}

func upsertUser(list []User, u User) []User {
	for i := range list {
		if equalFold(list[i].Name, u.Name) {
			list[i] = u
			return list
		}
	}
	return append(list, u)
}

// AddApp adds an app registration to a tenant (or replaces the one with the
// same client id).
func (e *Emulator) AddApp(tenantID string, a App) error {
	a, err := normalizeApp(a)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tenants[strings.ToLower(tenantID)]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownTenant, tenantID)
	}
	t.Apps = upsertApp(t.Apps, a)
	return nil
}

// AddUser adds a user to a tenant (or replaces the one with the same name).
func (e *Emulator) AddUser(tenantID string, u User) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tenants[strings.ToLower(tenantID)]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownTenant, tenantID)
	}
	u, err := normalizeUser(u, t.Domain)
	if err != nil {
		return err
	}
	t.Users = upsertUser(t.Users, u)
	return nil
}

// UpdateApp changes an app registration (any tenant) under the lock.
func (e *Emulator) UpdateApp(clientID string, fn func(*App)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, t := range e.order {
		for i := range t.Apps {
			if equalFold(t.Apps[i].ClientID, clientID) {
				fn(&t.Apps[i])
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %s", ErrUnknownApp, clientID)
}

// UpdateUser changes a user (any tenant; by name, UPN or object id) under the lock.
func (e *Emulator) UpdateUser(name string, fn func(*User)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, t := range e.order {
		if u := findUser(t, name); u != nil {
			fn(u)
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrUnknownUser, name)
}

// AddClientKey registers a public key whose signatures authenticate the
// app by client assertion (certificate credential).
func (e *Emulator) AddClientKey(clientID string, pub *rsa.PublicKey) error {
	if _, err := asRSA(pub); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	return e.UpdateApp(clientID, func(a *App) { a.PublicKeys = append(a.PublicKeys, pub) })
}

// AddFederatedCredential trusts assertions from another issuer for the app.
func (e *Emulator) AddFederatedCredential(clientID string, fc FederatedCredential) error {
	if fc.Issuer == "" || fc.Subject == "" || len(fc.PublicKeys) == 0 {
		return fmt.Errorf("%w: federated credential needs issuer, subject and a public key", ErrInvalidConfig)
	}
	for _, k := range fc.PublicKeys {
		if _, err := asRSA(k); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
		}
	}
	return e.UpdateApp(clientID, func(a *App) { a.Federated = append(a.Federated, fc) })
}

// SetRequireMFA makes On-Behalf-Of exchanges for the user demand MFA.
func (e *Emulator) SetRequireMFA(user string, on bool) error {
	return e.UpdateUser(user, func(u *User) { u.RequireMFA = on })
}

// SetRefuseConsent makes grants for the client fail with AADSTS65001.
func (e *Emulator) SetRefuseConsent(clientID string, on bool) error {
	return e.UpdateApp(clientID, func(a *App) { a.RefuseConsent = on })
}

// findUser matches name, UPN or object id (case-insensitive). Caller holds mu.
func findUser(t *Tenant, name string) *User {
	for i := range t.Users {
		u := &t.Users[i]
		if equalFold(u.Name, name) || equalFold(u.UserPrincipalName, name) || equalFold(u.ObjectID, name) {
			return u
		}
	}
	return nil
}

func findApp(t *Tenant, id string) *App {
	for i := range t.Apps {
		a := &t.Apps[i]
		if equalFold(a.ClientID, id) || (a.AppIDURI != "" && equalFold(a.AppIDURI, id)) {
			return a
		}
	}
	return nil
}

// lookupTenant resolves a tenant path segment (GUID or domain). Caller holds mu.
func (e *Emulator) lookupTenant(seg string) *Tenant {
	return e.tenants[strings.ToLower(seg)]
}

// appTenant finds the tenant holding a client id. Caller holds mu.
func (e *Emulator) appTenant(clientID string) *Tenant {
	for _, t := range e.order {
		if findApp(t, clientID) != nil {
			return t
		}
	}
	return nil
}

// userTenant finds the tenant holding a user. Caller holds mu.
func (e *Emulator) userTenant(name string) *Tenant {
	for _, t := range e.order {
		if findUser(t, name) != nil {
			return t
		}
	}
	return nil
}

func isMultiTenant(seg string) bool {
	switch strings.ToLower(seg) {
	case "common", "organizations":
		return true
	}
	return false
}

func parsePublicKeyPEM(s string) (*rsa.PublicKey, error) {
	for rest := []byte(s); ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, fmt.Errorf("no certificate or public key PEM block")
		}
		switch b.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, err
			}
			return asRSA(c.PublicKey)
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(b.Bytes)
			if err != nil {
				return nil, err
			}
			return asRSA(k)
		}
	}
}

func asRSA(k any) (*rsa.PublicKey, error) {
	rk, ok := k.(*rsa.PublicKey)
	if !ok || rk == nil || rk.N == nil || rk.N.BitLen() < 2048 {
		return nil, fmt.Errorf("client assertion key must be RSA, 2048 bits or more")
	}
	return rk, nil
}
