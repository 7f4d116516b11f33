package obo

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // legacy x5t header, optional, not a security decision
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// CertificateOptions tunes the client assertions of a CertificateCredential.
type CertificateOptions struct {
	// PS256 signs with RSA-PSS instead of RS256 (PKCS#1 v1.5).
	PS256 bool
	// Lifetime of each assertion; default 5 minutes, at most 10 minutes.
	Lifetime time.Duration
	// SendX5C adds the certificate chain (x5c) for subject-name/issuer
	// authentication.
	SendX5C bool
	// LegacyX5T also adds the SHA-1 thumbprint header x5t (older tenants).
	LegacyX5T bool
}

// CertificateCredential authenticates with a client assertion JWT signed by
// the certificate's private key (RSA, at least 2048 bits).
type CertificateCredential struct {
	key     crypto.Signer
	alg     string
	header  string // base64url of the JSON header, precomputed
	life    time.Duration
	x5tS256 string
}

// NewCertificateCredential builds a certificate credential; certs[0] is the
// certificate registered on the app, key its private key.
func NewCertificateCredential(certs []*x509.Certificate, key crypto.Signer, opts CertificateOptions) (*CertificateCredential, error) {
	if len(certs) == 0 || certs[0] == nil || key == nil {
		return nil, fmt.Errorf("%w: certificate credential needs a certificate and its key", ErrConfig)
	}
	pub, ok := key.Public().(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: certificate key must be RSA", ErrConfig)
	}
	if pub.N.BitLen() < 2048 {
		return nil, fmt.Errorf("%w: RSA key shorter than 2048 bits", ErrConfig)
	}
	cpub, ok := certs[0].PublicKey.(*rsa.PublicKey)
	if !ok || !cpub.Equal(pub) {
		return nil, fmt.Errorf("%w: private key does not match the certificate", ErrConfig)
	}
	life := opts.Lifetime
	if life <= 0 {
		life = 5 * time.Minute
	}
	if life > 10*time.Minute {
		return nil, fmt.Errorf("%w: assertion lifetime above 10 minutes", ErrConfig)
	}
	alg := "RS256"
	if opts.PS256 {
		alg = "PS256"
	}
	s256 := sha256.Sum256(certs[0].Raw)
	h := map[string]any{"alg": alg, "typ": "JWT", "x5t#S256": base64.RawURLEncoding.EncodeToString(s256[:])}
	if opts.LegacyX5T {
		s1 := sha1.Sum(certs[0].Raw) //nolint:gosec
		h["x5t"] = base64.RawURLEncoding.EncodeToString(s1[:])
	}
	if opts.SendX5C {
		chain := make([]string, 0, len(certs))
		for _, c := range certs {
			chain = append(chain, base64.StdEncoding.EncodeToString(c.Raw))
		}
		h["x5c"] = chain
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return &CertificateCredential{key: key, alg: alg, header: base64.RawURLEncoding.EncodeToString(hj),
		life: life, x5tS256: h["x5t#S256"].(string)}, nil
}

// Thumbprint returns the certificate's x5t#S256 (safe to log).
func (c *CertificateCredential) Thumbprint() string { return c.x5tS256 }

// String shows only the thumbprint.
func (c *CertificateCredential) String() string { return "certificate(x5t#S256=" + c.x5tS256 + ")" }

// Assertion returns a fresh signed client assertion for the given parameters.
func (c *CertificateCredential) Assertion(p CredentialParams) (string, error) {
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("%w: %w", ErrCredential, err)
	}
	now := p.Now.Unix()
	claims := struct {
		Aud string `json:"aud"`
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Jti string `json:"jti"`
		Nbf int64  `json:"nbf"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
	}{p.TokenEndpoint, p.ClientID, p.ClientID, hex.EncodeToString(jti[:]), now, now, now + int64(c.life/time.Second)}
	cj, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrCredential, err)
	}
	signing := c.header + "." + base64.RawURLEncoding.EncodeToString(cj)
	digest := sha256.Sum256([]byte(signing))
	var opts crypto.SignerOpts = crypto.SHA256
	if c.alg == "PS256" {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	}
	sig, err := c.key.Sign(rand.Reader, digest[:], opts)
	if err != nil {
		return "", fmt.Errorf("%w: signing the client assertion: %w", ErrCredential, err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// Apply implements Credential.
func (c *CertificateCredential) Apply(_ context.Context, p CredentialParams, form url.Values) error {
	a, err := c.Assertion(p)
	if err != nil {
		return err
	}
	form.Set("client_assertion_type", ClientAssertionType)
	form.Set("client_assertion", a)
	return nil
}

// GoString never shows the key.
func (c *CertificateCredential) GoString() string { return c.String() }
