package tokencache

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ParseKeys parses sealing keys written "id1:base64key1,id2:base64key2" (standard or URL
// base64, 32-byte keys); the first id is the current one. Errors never
// contain key material. The gateway (an environment variable) and the
// edge build (a Worker secret) read their keys with it.
func ParseKeys(v string) (map[string][]byte, string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, "", errors.New("no keys")
	}
	keys := map[string][]byte{}
	current := ""
	for i, part := range strings.Split(v, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" {
			return nil, "", fmt.Errorf("entry %d is not id:base64key", i)
		}
		var key []byte
		var err error
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if key, err = enc.DecodeString(b64); err == nil {
				break
			}
		}
		if err != nil || len(key) != 32 {
			return nil, "", fmt.Errorf("key %q is not 32 bytes of base64", id)
		}
		if _, dup := keys[id]; dup {
			return nil, "", fmt.Errorf("key id %q appears twice", id)
		}
		keys[id] = key
		if current == "" {
			current = id
		}
	}
	return keys, current, nil
}
