package server

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/entragate/entragate/config"
	"github.com/entragate/entragate/tokencache"
	"github.com/entragate/entragate/tokencache/rediscache"
)

// newRedisL2 builds the shared L2 cache from TokenCache.Redis: the URL
// from the file or an environment variable, the sealing keys from an
// environment variable ("id:base64key[,id:base64key...]", first = current).
func newRedisL2(r *config.Redis, lookup func(string) (string, bool), now func() time.Time, log *slog.Logger) (*rediscache.Cache, error) {
	u := r.URL
	if r.URLEnv != "" {
		v, ok := lookup(r.URLEnv)
		if !ok || v == "" {
			return nil, fmt.Errorf("TokenCache.Redis: environment variable %s is not set", r.URLEnv)
		}
		u = v
	}
	raw, ok := lookup(r.EncryptionKeysEnv)
	if !ok || raw == "" {
		return nil, fmt.Errorf("TokenCache.Redis: environment variable %s is not set", r.EncryptionKeysEnv)
	}
	keys, current, err := ParseSealingKeys(raw)
	if err != nil {
		return nil, fmt.Errorf("TokenCache.Redis: %s: %w", r.EncryptionKeysEnv, err)
	}
	sealer, err := tokencache.NewSealer(keys, current)
	if err != nil {
		return nil, fmt.Errorf("TokenCache.Redis: %s: %w", r.EncryptionKeysEnv, err)
	}
	c, err := rediscache.New(rediscache.Options{URL: u, Sealer: sealer, Prefix: r.KeyPrefix, OpTimeout: r.Timeout, Now: now, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("TokenCache.Redis: %w", err) // rediscache never echoes the URL's password
	}
	return c, nil
}

// ParseSealingKeys parses "id1:base64key1,id2:base64key2" (standard or
// URL-safe base64, padded or not); the first id is the current key.
// Errors never contain key material.
func ParseSealingKeys(raw string) (map[string][]byte, string, error) {
	keys := map[string][]byte{}
	current := ""
	for i, part := range strings.Split(raw, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" || b64 == "" {
			return nil, "", fmt.Errorf("entry %d is not id:base64key", i)
		}
		var key []byte
		var err error
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if key, err = enc.DecodeString(b64); err == nil {
				break
			}
		}
		if err != nil {
			return nil, "", fmt.Errorf("entry %d (%s): key is not base64", i, id)
		}
		if _, dup := keys[id]; dup {
			return nil, "", fmt.Errorf("entry %d: duplicate key id %s", i, id)
		}
		keys[id] = key
		if current == "" {
			current = id
		}
	}
	return keys, current, nil
}
