package tokencache

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
)

// Sealer errors.
var (
	// ErrSealerConfig: bad keys or key ids.
	ErrSealerConfig = errors.New("tokencache: invalid sealer configuration")
	// ErrUnseal: the value is malformed, sealed with an unknown key, or
	// fails authentication (tampered, or bound to another cache key).
	ErrUnseal = errors.New("tokencache: cannot open sealed value")
)

const maxKeyIDLen = 32

// Sealer encrypts cache values with AES-256-GCM. A sealed value is
// "<key id>:" + 12-byte nonce + ciphertext+tag; the associated data is the
// caller's (the cache key), so a value cannot be moved to another key.
// New values use the current key; Open accepts every configured key, which
// allows rotation: add the new key, make it current, drop the old one once
// old values have expired.
type Sealer struct {
	current string
	aeads   map[string]cipher.AEAD
}

// NewSealer takes 32-byte keys by id (ids: 1-32 chars of [A-Za-z0-9_-])
// and the id of the key new values are sealed with.
func NewSealer(keys map[string][]byte, current string) (*Sealer, error) {
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("%w: current key id %q not among the keys", ErrSealerConfig, current)
	}
	s := &Sealer{current: current, aeads: make(map[string]cipher.AEAD, len(keys))}
	for id, k := range keys {
		if !validKeyID(id) {
			return nil, fmt.Errorf("%w: key id %q", ErrSealerConfig, id)
		}
		if len(k) != 32 {
			return nil, fmt.Errorf("%w: key %q must be 32 bytes (AES-256)", ErrSealerConfig, id)
		}
		if bytes.Equal(k, make([]byte, 32)) {
			return nil, fmt.Errorf("%w: key %q is all zeros", ErrSealerConfig, id)
		}
		block, err := aes.NewCipher(slices.Clone(k))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSealerConfig, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSealerConfig, err)
		}
		s.aeads[id] = aead
	}
	return s, nil
}

func validKeyID(id string) bool {
	if id == "" || len(id) > maxKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// CurrentKeyID returns the id new values are sealed with.
func (s *Sealer) CurrentKeyID() string { return s.current }

// Seal encrypts plaintext bound to aad with the current key.
func (s *Sealer) Seal(aad, plaintext []byte) ([]byte, error) {
	aead := s.aeads[s.current]
	out := make([]byte, 0, len(s.current)+1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out = append(out, s.current...)
	out = append(out, ':')
	nonce := out[len(out) : len(out)+aead.NonceSize()]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("tokencache: nonce: %w", err)
	}
	out = out[:len(out)+aead.NonceSize()]
	return aead.Seal(out, nonce, plaintext, aad), nil
}

// Open decrypts a sealed value bound to aad with whichever configured key
// its id names. Errors wrap ErrUnseal.
func (s *Sealer) Open(aad, sealed []byte) ([]byte, error) {
	i := bytes.IndexByte(sealed, ':')
	if i <= 0 || i > maxKeyIDLen {
		return nil, fmt.Errorf("%w: no key id", ErrUnseal)
	}
	aead, ok := s.aeads[string(sealed[:i])]
	if !ok {
		return nil, fmt.Errorf("%w: unknown key id", ErrUnseal)
	}
	rest := sealed[i+1:]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrUnseal)
	}
	pt, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrUnseal)
	}
	return pt, nil
}

// String never shows key material.
func (s *Sealer) String() string { return "tokencache.Sealer(current=" + s.current + ")" }

// LogValue never shows key material.
func (s *Sealer) LogValue() slog.Value { return slog.StringValue(s.String()) }

// GoString never shows key material.
func (s *Sealer) GoString() string { return s.String() }
