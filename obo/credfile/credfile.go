// Package credfile loads OBO client credentials from files (native builds):
// certificates with their private key from PEM or PKCS#12, client secrets
// from mounted files, and federated tokens (Kubernetes workload identity,
// AZURE_FEDERATED_TOKEN_FILE) re-read at each use. The resulting
// credentials are the pure obo types, so the edge build never needs this
// package.
package credfile

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/entragate/entragate/obo"
)

// Errors (all also wrap obo.ErrConfig where they come from configuration).
var (
	// ErrNoKey: the file holds no usable private key.
	ErrNoKey = errors.New("credfile: no usable RSA private key")
	// ErrNoCertificate: no certificate matches the private key.
	ErrNoCertificate = errors.New("credfile: no certificate matching the key")
	// ErrFile: the file cannot be read or is too large.
	ErrFile = errors.New("credfile: cannot read credential file")
	// ErrNoFederatedFile: no path and AZURE_FEDERATED_TOKEN_FILE unset.
	ErrNoFederatedFile = errors.New("credfile: no federated token file (AZURE_FEDERATED_TOKEN_FILE)")
)

// EnvFederatedTokenFile is the workload identity convention's variable.
const EnvFederatedTokenFile = "AZURE_FEDERATED_TOKEN_FILE"

// Size bounds.
const (
	MaxCertificateFile = 1 << 20
	MaxTokenFile       = 16 << 10
	MaxSecretFile      = 4 << 10
)

// readFile reads at most n bytes; a longer file is an error. Errors never
// include the contents.
func readFile(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFile, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, n+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFile, path, err)
	}
	if int64(len(b)) > n {
		return nil, fmt.Errorf("%w: %s larger than %d bytes", ErrFile, path, n)
	}
	return b, nil
}

// LoadCertificate reads a certificate and its RSA private key from one file:
// PEM (CERTIFICATE blocks plus a PRIVATE KEY / RSA PRIVATE KEY block) or
// PKCS#12 (.pfx/.p12, with password). The certificate matching the key is
// returned first, followed by the rest of the chain.
func LoadCertificate(path, password string) ([]*x509.Certificate, crypto.Signer, error) {
	b, err := readFile(path, MaxCertificateFile)
	if err != nil {
		return nil, nil, err
	}
	if bytes.Contains(b, []byte("-----BEGIN")) {
		return ParsePEM(b)
	}
	return ParsePKCS12(b, password)
}

// LoadCertificatePair reads the certificate chain and the key from two PEM files.
func LoadCertificatePair(certPath, keyPath string) ([]*x509.Certificate, crypto.Signer, error) {
	cb, err := readFile(certPath, MaxCertificateFile)
	if err != nil {
		return nil, nil, err
	}
	kb, err := readFile(keyPath, MaxCertificateFile)
	if err != nil {
		return nil, nil, err
	}
	return ParsePEM(append(append(cb, '\n'), kb...))
}

// ParsePEM parses certificates and one unencrypted RSA private key (PKCS#8
// or PKCS#1) from PEM data.
func ParsePEM(data []byte) ([]*x509.Certificate, crypto.Signer, error) {
	var certs []*x509.Certificate
	var key crypto.Signer
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		switch block.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: certificate: %w", obo.ErrConfig, err)
			}
			certs = append(certs, c)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: %w: PKCS#8 does not parse", obo.ErrConfig, ErrNoKey)
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, nil, fmt.Errorf("%w: %w: key is not RSA", obo.ErrConfig, ErrNoKey)
			}
			key = rk
		case "RSA PRIVATE KEY":
			if _, enc := block.Headers["DEK-Info"]; enc {
				return nil, nil, fmt.Errorf("%w: %w: encrypted PEM keys are not supported (use PKCS#12)", obo.ErrConfig, ErrNoKey)
			}
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: %w: PKCS#1 does not parse", obo.ErrConfig, ErrNoKey)
			}
			key = k
		case "ENCRYPTED PRIVATE KEY":
			return nil, nil, fmt.Errorf("%w: %w: encrypted PKCS#8 is not supported (use PKCS#12)", obo.ErrConfig, ErrNoKey)
		}
	}
	return order(certs, key)
}

// ParsePKCS12 decodes a PKCS#12 bundle with its password.
func ParsePKCS12(data []byte, password string) ([]*x509.Certificate, crypto.Signer, error) {
	k, leaf, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		// The library's message does not contain the password.
		return nil, nil, fmt.Errorf("%w: PKCS#12: %w", obo.ErrConfig, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("%w: %w: key is not RSA", obo.ErrConfig, ErrNoKey)
	}
	return order(append([]*x509.Certificate{leaf}, chain...), rk)
}

// order puts the certificate matching key first.
func order(certs []*x509.Certificate, key crypto.Signer) ([]*x509.Certificate, crypto.Signer, error) {
	if key == nil {
		return nil, nil, fmt.Errorf("%w: %w", obo.ErrConfig, ErrNoKey)
	}
	pub, _ := key.Public().(*rsa.PublicKey)
	for i, c := range certs {
		if cp, ok := c.PublicKey.(*rsa.PublicKey); ok && pub != nil && cp.Equal(pub) {
			out := append([]*x509.Certificate{c}, certs[:i]...)
			return append(out, certs[i+1:]...), key, nil
		}
	}
	return nil, nil, fmt.Errorf("%w: %w", obo.ErrConfig, ErrNoCertificate)
}

// NewCertificateCredential loads path (PEM or PKCS#12) into an
// obo.CertificateCredential.
func NewCertificateCredential(path, password string, opts obo.CertificateOptions) (*obo.CertificateCredential, error) {
	certs, key, err := LoadCertificate(path, password)
	if err != nil {
		return nil, err
	}
	return obo.NewCertificateCredential(certs, key, opts)
}

// NewClientSecretFromFile reads a client secret from a file (e.g. a
// mounted Kubernetes secret); surrounding whitespace is trimmed.
func NewClientSecretFromFile(path string) (*obo.SecretCredential, error) {
	b, err := readFile(path, MaxSecretFile)
	if err != nil {
		return nil, err
	}
	return obo.NewClientSecret(strings.TrimSpace(string(b)))
}

// FederatedTokenFile returns an obo.AssertionFunc that reads path at each
// use (the kubelet rotates the projected token in place).
func FederatedTokenFile(path string) obo.AssertionFunc {
	return func(ctx context.Context) (string, error) {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		b, err := readFile(path, MaxTokenFile)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
}

// NewFederatedCredential returns a federated credential reading path at
// each use; an empty path means $AZURE_FEDERATED_TOKEN_FILE. The file must
// be readable now (fail fast at startup).
func NewFederatedCredential(path string) (*obo.AssertionCredential, error) {
	if path == "" {
		path = os.Getenv(EnvFederatedTokenFile)
	}
	if path == "" {
		return nil, fmt.Errorf("%w: %w", obo.ErrConfig, ErrNoFederatedFile)
	}
	if _, err := readFile(path, MaxTokenFile); err != nil {
		return nil, fmt.Errorf("%w: %w", obo.ErrConfig, err)
	}
	return obo.NewAssertionCredential(FederatedTokenFile(path))
}
