package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// signingKey is one RSA key with its self-signed certificate.
type signingKey struct {
	priv     *rsa.PrivateKey
	kid      string // = x5t, as Entra does
	x5t      string
	certDER  []byte
	retireAt time.Time // zero: published indefinitely
}

// keyRing holds the current signing key (last) and older published ones.
type keyRing struct {
	mu   sync.RWMutex
	keys []*signingKey
}

func newKeyRing(now time.Time) (*keyRing, error) {
	k, err := newSigningKey(now)
	if err != nil {
		return nil, err
	}
	return &keyRing{keys: []*signingKey{k}}, nil
}

func newSigningKey(now time.Time) (*signingKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial.Add(serial, big.NewInt(1)),
		Subject:      pkix.Name{CommonName: "accounts.entragate-emulator.invalid"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(der)
	x5t := base64.RawURLEncoding.EncodeToString(sum[:])
	return &signingKey{priv: priv, kid: x5t, x5t: x5t, certDER: der}, nil
}

// current is the signing key.
func (r *keyRing) current() *signingKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[len(r.keys)-1]
}

// published lists the keys still in the key set at now, newest first.
func (r *keyRing) published(now time.Time) []*signingKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*signingKey, 0, len(r.keys))
	for i := len(r.keys) - 1; i >= 0; i-- {
		k := r.keys[i]
		if k.retireAt.IsZero() || now.Before(k.retireAt) {
			out = append(out, k)
		}
	}
	return out
}

// lookup finds a published key by kid (or x5t when kid is empty).
func (r *keyRing) lookup(now time.Time, kid, x5t string) *signingKey {
	for _, k := range r.published(now) {
		if (kid != "" && k.kid == kid) || (kid == "" && x5t != "" && k.x5t == x5t) {
			return k
		}
	}
	return nil
}

// rotate makes a new key current; older keys retire after grace (or now).
func (r *keyRing) rotate(now time.Time, grace time.Duration, retireNow bool) (*signingKey, error) {
	nk, err := newSigningKey(now)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.keys[:0:0]
	for _, k := range r.keys {
		if retireNow {
			continue
		}
		if k.retireAt.IsZero() {
			k.retireAt = now.Add(grace)
		}
		if now.Before(k.retireAt) {
			kept = append(kept, k)
		}
	}
	r.keys = append(kept, nk)
	return nk, nil
}

// RotateKeys generates a new signing key and publishes it. The previous keys
// stay published for the grace period unless retireNow.
func (e *Emulator) RotateKeys(retireNow bool) {
	if _, err := e.rotateKeys(retireNow); err != nil {
		e.log.Error("emulator: key rotation failed", "err", err)
	}
}

func (e *Emulator) rotateKeys(retireNow bool) (string, error) {
	nk, err := e.keys.rotate(e.now(), e.keyGrace, retireNow)
	if err != nil {
		return "", err
	}
	e.metrics.rotations.Inc()
	e.log.Info("emulator: signing key rotated", "kid", nk.kid, "retire_now", retireNow)
	return nk.kid, nil
}

// SigningKeyID is the kid of the current signing key.
func (e *Emulator) SigningKeyID() string { return e.keys.current().kid }

// jwkJSON is one key as Entra publishes it (member order as Entra's).
type jwkJSON struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	Kid    string   `json:"kid"`
	X5t    string   `json:"x5t"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X5c    []string `json:"x5c"`
	Issuer string   `json:"issuer,omitempty"`
}

// KeySetJSON is the key-set document; v2 sets carry the issuer template.
func (e *Emulator) KeySetJSON(v2 bool) []byte {
	keys := e.keys.published(e.now())
	doc := struct {
		Keys []jwkJSON `json:"keys"`
	}{Keys: make([]jwkJSON, 0, len(keys))}
	for _, k := range keys {
		j := jwkJSON{
			Kty: "RSA", Use: "sig", Kid: k.kid, X5t: k.x5t,
			N:   base64.RawURLEncoding.EncodeToString(k.priv.N.Bytes()),
			E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.priv.E)).Bytes()),
			X5c: []string{base64.StdEncoding.EncodeToString(k.certDER)},
		}
		if v2 {
			j.Issuer = e.BaseURL() + "/{tenantid}/v2.0"
		}
		doc.Keys = append(doc.Keys, j)
	}
	b, _ := json.Marshal(doc)
	return b
}

func (e *Emulator) handleKeys(ver int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !e.knownTenantSegment(r.PathValue("tenant")) {
			e.writeTenantNotFound(w, r, r.PathValue("tenant"))
			return
		}
		w.Header().Set("Cache-Control", "max-age=86400, private")
		writeJSONBytes(w, http.StatusOK, e.KeySetJSON(ver == 2))
	}
}
