package server

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/entragate/entragate/config"
	"github.com/entragate/entragate/obo"
)

// ErrCredential is wrapped when no client credential can be built.
var ErrCredential = errors.New("server: client credential unusable")

// maxCredentialFile bounds certificate and assertion files.
const maxCredentialFile = 256 << 10

// Credential builds the OBO client credential from the first configured
// ClientCredentials entry that works. Secrets come only from the
// environment (lookup). Messages name variables and files, never values.
func Credential(creds []config.ClientCredential, lookup func(string) (string, bool)) (obo.Credential, error) {
	var problems []string
	for i, cc := range creds {
		c, err := oneCredential(cc, lookup)
		if err == nil {
			return c, nil
		}
		problems = append(problems, fmt.Sprintf("ClientCredentials[%d]: %v", i, err))
	}
	if len(problems) == 0 {
		return nil, fmt.Errorf("%w: none configured", ErrCredential)
	}
	return nil, fmt.Errorf("%w: %s", ErrCredential, strings.Join(problems, "; "))
}

func oneCredential(cc config.ClientCredential, lookup func(string) (string, bool)) (obo.Credential, error) {
	switch cc.SourceType {
	case config.SourceClientSecret:
		v, ok := lookup(cc.ClientSecretEnv)
		if !ok || v == "" {
			return nil, fmt.Errorf("environment variable %s is not set", cc.ClientSecretEnv)
		}
		return obo.NewClientSecret(v)
	case config.SourceCertificate, config.SourcePath:
		password := ""
		if cc.CertificatePasswordEnv != "" {
			v, ok := lookup(cc.CertificatePasswordEnv)
			if !ok {
				return nil, fmt.Errorf("environment variable %s is not set", cc.CertificatePasswordEnv)
			}
			password = v
		}
		certs, key, err := LoadCertificate(cc.CertificateDiskPath, password)
		if err != nil {
			return nil, err
		}
		return obo.NewCertificateCredential(certs, key, obo.CertificateOptions{SendX5C: cc.SendX5C})
	case config.SourceSignedAssertionFilePath:
		path := cc.SignedAssertionFileDiskPath
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("signed assertion file: %w", err)
		}
		return obo.NewAssertionCredential(func(context.Context) (string, error) {
			b, err := readBounded(path)
			if err != nil {
				return "", err
			}
			return strings.TrimSpace(string(b)), nil
		})
	}
	return nil, fmt.Errorf("unknown SourceType %q", cc.SourceType)
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCredentialFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxCredentialFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxCredentialFile)
	}
	return b, nil
}

// LoadCertificate reads a PEM file (certificate chain and a PKCS#8, PKCS#1
// or EC private key) or a PKCS#12 file (.pfx/.p12, with password).
func LoadCertificate(path, password string) ([]*x509.Certificate, crypto.Signer, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate: %w", err)
	}
	if strings.Contains(string(data), "-----BEGIN") {
		return parsePEM(path, data)
	}
	key, cert, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate %s: not PEM, and PKCS#12 decoding failed: %w", path, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("certificate %s: private key cannot sign", path)
	}
	return append([]*x509.Certificate{cert}, chain...), signer, nil
}

func parsePEM(path string, data []byte) ([]*x509.Certificate, crypto.Signer, error) {
	var certs []*x509.Certificate
	var key crypto.Signer
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			break
		}
		switch blk.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("certificate %s: %w", path, err)
			}
			certs = append(certs, c)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			k, err := parseKey(blk)
			if err != nil {
				return nil, nil, fmt.Errorf("certificate %s: private key: %w", path, err)
			}
			key = k
		}
	}
	if len(certs) == 0 || key == nil {
		return nil, nil, fmt.Errorf("certificate %s: needs a CERTIFICATE and a PRIVATE KEY block", path)
	}
	return certs, key, nil
}

func parseKey(blk *pem.Block) (crypto.Signer, error) {
	switch blk.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(blk.Bytes)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("key type cannot sign")
	}
	return s, nil
}
