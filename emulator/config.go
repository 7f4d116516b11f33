package emulator

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// maxConfigBytes bounds a YAML configuration file.
const maxConfigBytes = 1 << 20

// ParseConfig reads a YAML configuration (see docs/emulator.md). Unknown
// keys are errors. Durations use Go syntax ("90s", "1h"), times RFC 3339.
func ParseConfig(data []byte) (Config, error) {
	var cfg Config
	if len(data) > maxConfigBytes {
		return cfg, fmt.Errorf("%w: configuration larger than %d bytes", ErrInvalidConfig, maxConfigBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && err != io.EOF {
		return Config{}, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	return cfg, nil
}

// LoadConfigFile reads and parses a YAML configuration file.
func LoadConfigFile(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(data)
}
