package server

import (
	"fmt"
	"log/slog"
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
	keys, current, err := tokencache.ParseKeys(raw)
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
