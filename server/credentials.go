package server

import (
	"errors"
	"fmt"
	"strings"

	"github.com/entragate/entragate/config"
	"github.com/entragate/entragate/obo"
	"github.com/entragate/entragate/obo/credfile"
)

// ErrCredential is wrapped when no client credential can be built.
var ErrCredential = errors.New("server: client credential unusable")

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
		c, err := credfile.NewCertificateCredential(cc.CertificateDiskPath, password, obo.CertificateOptions{SendX5C: cc.SendX5C})
		if err != nil {
			return nil, fmt.Errorf("certificate %s: %w", cc.CertificateDiskPath, err)
		}
		return c, nil
	case config.SourceSignedAssertionFilePath:
		c, err := credfile.NewFederatedCredential(cc.SignedAssertionFileDiskPath)
		if err != nil {
			return nil, fmt.Errorf("signed assertion file %s: %w", cc.SignedAssertionFileDiskPath, err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("unknown SourceType %q", cc.SourceType)
}
