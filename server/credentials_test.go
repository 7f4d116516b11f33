package server

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/entragate/entragate/config"
)

func selfSigned(t *testing.T) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "entragate test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return key, cert
}

func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	key, cert := selfSigned(t)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	pemData := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})...)
	pemPath := filepath.Join(dir, "c.pem")
	os.WriteFile(pemPath, pemData, 0o600)
	pkcs1Path := filepath.Join(dir, "c1.pem")
	os.WriteFile(pkcs1Path, append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...), 0o600)
	pfx, err := pkcs12.Modern.Encode(key, cert, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	pfxPath := filepath.Join(dir, "c.pfx")
	os.WriteFile(pfxPath, pfx, 0o600)
	certOnly := filepath.Join(dir, "only.pem")
	os.WriteFile(certOnly, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)
	assertion := filepath.Join(dir, "token")
	os.WriteFile(assertion, []byte("eyJ.fed.token\n"), 0o600)

	lookup := env(map[string]string{"SECRET": "s3cr3t-value", "PW": "pw", "BADPW": "nope"})
	tests := []struct {
		name  string
		creds []config.ClientCredential
		want  string // substring of the error; "" = success
	}{
		{"secret", []config.ClientCredential{{SourceType: "ClientSecret", ClientSecretEnv: "SECRET"}}, ""},
		{"secret missing then pem", []config.ClientCredential{{SourceType: "ClientSecret", ClientSecretEnv: "NOPE"},
			{SourceType: "Certificate", CertificateDiskPath: pemPath}}, ""},
		{"pkcs1 pem", []config.ClientCredential{{SourceType: "Path", CertificateDiskPath: pkcs1Path, SendX5C: true}}, ""},
		{"pfx", []config.ClientCredential{{SourceType: "Certificate", CertificateDiskPath: pfxPath, CertificatePasswordEnv: "PW"}}, ""},
		{"pfx bad password", []config.ClientCredential{{SourceType: "Certificate", CertificateDiskPath: pfxPath, CertificatePasswordEnv: "BADPW"}}, "PKCS#12"},
		{"pfx password env unset", []config.ClientCredential{{SourceType: "Certificate", CertificateDiskPath: pfxPath, CertificatePasswordEnv: "UNSET"}}, "UNSET is not set"},
		{"cert without key", []config.ClientCredential{{SourceType: "Certificate", CertificateDiskPath: certOnly}}, "certificate"},
		{"missing file", []config.ClientCredential{{SourceType: "Certificate", CertificateDiskPath: filepath.Join(dir, "x")}}, "no such file"},
		{"assertion", []config.ClientCredential{{SourceType: "SignedAssertionFilePath", SignedAssertionFileDiskPath: assertion}}, ""},
		{"assertion missing", []config.ClientCredential{{SourceType: "SignedAssertionFilePath", SignedAssertionFileDiskPath: filepath.Join(dir, "none")}}, "signed assertion file"},
		{"none", nil, "none configured"},
		{"secret unset", []config.ClientCredential{{SourceType: "ClientSecret", ClientSecretEnv: "NOPE"}}, "NOPE is not set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Credential(tc.creds, lookup)
			if tc.want == "" {
				if err != nil || c == nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrCredential) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "nope") {
				t.Fatal("secret in error")
			}
		})
	}
}
