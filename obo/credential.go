package obo

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// ClientAssertionType is the client_assertion_type for JWT client assertions
// (certificate and federated credentials).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// maxAssertionLen bounds client assertions read from outside (federated files).
const maxAssertionLen = 16 << 10

// CredentialParams is what a credential may need to authenticate one request.
type CredentialParams struct {
	ClientID      string
	TokenEndpoint string // the audience of client assertions
	Now           time.Time
}

// Credential adds the client-authentication fields to a token request form.
// Implementations must never log or format their secret material.
type Credential interface {
	Apply(ctx context.Context, p CredentialParams, form url.Values) error
}

// redacted is what credentials print.
const redacted = "[REDACTED]"

// SecretCredential authenticates with a client secret (client_secret_post).
type SecretCredential struct{ secret string }

// NewClientSecret returns a client-secret credential.
func NewClientSecret(secret string) (*SecretCredential, error) {
	if secret == "" || len(secret) > 1024 || strings.ContainsAny(secret, "\r\n") {
		return nil, fmt.Errorf("%w: client secret empty, too long or multi-line", ErrConfig)
	}
	return &SecretCredential{secret: secret}, nil
}

// Apply implements Credential.
func (c *SecretCredential) Apply(_ context.Context, _ CredentialParams, form url.Values) error {
	form.Set("client_secret", c.secret)
	return nil
}

// String never shows the secret.
func (c *SecretCredential) String() string { return "client_secret(" + redacted + ")" }

// GoString never shows the secret.
func (c *SecretCredential) GoString() string { return c.String() }

// LogValue never shows the secret.
func (c *SecretCredential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// AssertionFunc returns a client assertion JWT, e.g. by reading the
// Kubernetes workload identity token file at each use.
type AssertionFunc func(ctx context.Context) (string, error)

// AssertionCredential sends a client assertion obtained from a function at
// each use: federated credentials (workload identity, managed identity
// tokens). See package obo/credfile for the file-reading function.
type AssertionCredential struct{ fn AssertionFunc }

// NewAssertionCredential returns a federated client-assertion credential.
func NewAssertionCredential(fn AssertionFunc) (*AssertionCredential, error) {
	if fn == nil {
		return nil, fmt.Errorf("%w: nil assertion function", ErrConfig)
	}
	return &AssertionCredential{fn: fn}, nil
}

// Apply implements Credential.
func (c *AssertionCredential) Apply(ctx context.Context, _ CredentialParams, form url.Values) error {
	a, err := c.fn(ctx)
	if err != nil {
		return fmt.Errorf("%w: federated assertion: %w", ErrCredential, err)
	}
	a = strings.TrimSpace(a)
	if !compactJWT(a, maxAssertionLen) {
		return fmt.Errorf("%w: federated assertion empty, too large or not a JWT", ErrCredential)
	}
	form.Set("client_assertion_type", ClientAssertionType)
	form.Set("client_assertion", a)
	return nil
}

// String never shows the assertion.
func (c *AssertionCredential) String() string { return "client_assertion(federated)" }

// GoString never shows the assertion.
func (c *AssertionCredential) GoString() string { return c.String() }
