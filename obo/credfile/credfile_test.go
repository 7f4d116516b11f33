package credfile

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/entragate/entragate/obo"
)

func genCert(t *testing.T, cn string, signerKey *rsa.PrivateKey, parent *x509.Certificate) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: parent == nil, BasicConstraintsValid: true}
	if parent == nil {
		parent, signerKey = tpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key
}

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pemOf(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }

func TestLoadCertificate(t *testing.T) {
	ca, caKey := genCert(t, "ca", nil, nil)
	leaf, key := genCert(t, "leaf", caKey, ca)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	pkcs1 := x509.MarshalPKCS1PrivateKey(key)
	pfx, err := pkcs12.Modern.Encode(key, leaf, []*x509.Certificate{ca}, "pfx-pass")
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	_, otherKey := genCert(t, "other", nil, nil)
	otherDER, _ := x509.MarshalPKCS8PrivateKey(otherKey)
	bundle := func(parts ...[]byte) []byte {
		return []byte(strings.Join(func() []string {
			s := []string{}
			for _, p := range parts {
				s = append(s, string(p))
			}
			return s
		}(), ""))
	}

	tests := []struct {
		name     string
		data     []byte
		password string
		wantErr  error
	}{
		{"pem pkcs8, chain out of order", bundle(pemOf("CERTIFICATE", ca.Raw), pemOf("PRIVATE KEY", pkcs8), pemOf("CERTIFICATE", leaf.Raw)), "", nil},
		{"pem pkcs1", bundle(pemOf("RSA PRIVATE KEY", pkcs1), pemOf("CERTIFICATE", leaf.Raw)), "", nil},
		{"pkcs12", pfx, "pfx-pass", nil},
		{"pkcs12 wrong password", pfx, "nope", obo.ErrConfig},
		{"no key", pemOf("CERTIFICATE", leaf.Raw), "", ErrNoKey},
		{"ec key", bundle(pemOf("PRIVATE KEY", ecDER), pemOf("CERTIFICATE", leaf.Raw)), "", ErrNoKey},
		{"key of another cert", bundle(pemOf("PRIVATE KEY", otherDER), pemOf("CERTIFICATE", leaf.Raw)), "", ErrNoCertificate},
		{"encrypted", bundle(pemOf("ENCRYPTED PRIVATE KEY", []byte{1}), pemOf("CERTIFICATE", leaf.Raw)), "", ErrNoKey},
		{"garbage", []byte("not a cert"), "", obo.ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certs, k, err := LoadCertificate(write(t, "c", tt.data), tt.password)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v", err)
				}
				if strings.Contains(err.Error(), "pfx-pass") {
					t.Fatal("password in error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !certs[0].Equal(leaf) || !k.Public().(*rsa.PublicKey).Equal(&key.PublicKey) {
				t.Fatal("leaf not first or wrong key")
			}
		})
	}
	if _, _, err := LoadCertificatePair(write(t, "cert.pem", pemOf("CERTIFICATE", leaf.Raw)), write(t, "key.pem", pemOf("PRIVATE KEY", pkcs8))); err != nil {
		t.Fatal(err)
	}
	cred, err := NewCertificateCredential(write(t, "c.pfx", pfx), "pfx-pass", obo.CertificateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	if err := cred.Apply(context.Background(), obo.CredentialParams{ClientID: "c", TokenEndpoint: "https://x/t", Now: time.Now()}, form); err != nil || form.Get("client_assertion") == "" {
		t.Fatal(err)
	}
	big := write(t, "big", make([]byte, MaxCertificateFile+1))
	if _, _, err := LoadCertificate(big, ""); !errors.Is(err, ErrFile) {
		t.Fatal(err)
	}
}

func TestFederated(t *testing.T) {
	p := write(t, "token", []byte("h.first.s\n"))
	t.Setenv(EnvFederatedTokenFile, p)
	cred, err := NewFederatedCredential("")
	if err != nil {
		t.Fatal(err)
	}
	get := func() (string, error) {
		form := url.Values{}
		err := cred.Apply(context.Background(), obo.CredentialParams{}, form)
		return form.Get("client_assertion"), err
	}
	if a, err := get(); err != nil || a != "h.first.s" {
		t.Fatal(a, err)
	}
	// Rotated in place: the next use reads the new token.
	if err := os.WriteFile(p, []byte("h.second.s"), 0o600); err != nil {
		t.Fatal(err)
	}
	if a, _ := get(); a != "h.second.s" {
		t.Fatal("not re-read:", a)
	}
	_ = os.Remove(p)
	if _, err := get(); !errors.Is(err, obo.ErrCredential) {
		t.Fatal(err)
	}
	t.Setenv(EnvFederatedTokenFile, "")
	if _, err := NewFederatedCredential(""); !errors.Is(err, ErrNoFederatedFile) || !errors.Is(err, obo.ErrConfig) {
		t.Fatal(err)
	}
	if _, err := NewFederatedCredential(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, obo.ErrConfig) {
		t.Fatal(err)
	}
}

func TestSecretFile(t *testing.T) {
	cred, err := NewClientSecretFromFile(write(t, "s", []byte("  sekrit\n")))
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	_ = cred.Apply(context.Background(), obo.CredentialParams{}, form)
	if form.Get("client_secret") != "sekrit" {
		t.Fatal(form)
	}
	if _, err := NewClientSecretFromFile(write(t, "e", []byte("\n"))); !errors.Is(err, obo.ErrConfig) {
		t.Fatal(err)
	}
}
