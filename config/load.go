package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds a configuration file.
const MaxFileSize = 1 << 20

// ErrSyntax wraps YAML decoding failures (bad syntax, unknown keys, wrong
// types); the message carries the line number.
var ErrSyntax = errors.New("config: cannot decode")

// Parse decodes YAML strictly (unknown keys and duplicate keys are errors
// naming their line), applies defaults and validates. The result is ready
// to use, or the error lists every problem.
func Parse(data []byte) (*Config, error) {
	c, err := Decode(data)
	if err != nil {
		return nil, err
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Decode only decodes (strictly); no defaults, no validation.
func Decode(data []byte) (*Config, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: file larger than %d bytes", ErrSyntax, MaxFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the file is empty", ErrSyntax)
		}
		return nil, fmt.Errorf("%w: %s%s", ErrSyntax, strings.TrimPrefix(oneLine(err.Error()), "yaml: "), decodeHint(err.Error()))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one YAML document", ErrSyntax)
	}
	return &c, nil
}

// LoadFile reads, decodes, defaults and validates the file at path.
func LoadFile(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: reading %s: %w", path, err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// oneLine folds yaml's multi-line "unmarshal errors:" into one line.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "unmarshal errors:\n", "")
	fields := strings.Split(s, "\n")
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	return strings.Join(fields, "; ")
}

// decodeHint adds one sentence for the decoding mistakes people make most.
func decodeHint(msg string) string {
	var hints []string
	if strings.Contains(msg, "time.Duration") {
		hints = append(hints, "durations need a unit, such as 30s, 5m or 1h")
	}
	for _, secret := range []string{"field ClientSecret ", "field CertificatePassword ", "field Password "} {
		if strings.Contains(msg, secret) {
			hints = append(hints, "secrets are never written in the file: name an environment variable with the ...Env setting (for example ClientSecretEnv)")
			break
		}
	}
	if len(hints) == 0 {
		return ""
	}
	return " (" + strings.Join(hints, "; ") + ")"
}
