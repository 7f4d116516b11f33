package jwt

import (
	"encoding/base64"
	"fmt"
)

// decodeSegment decodes one segment strictly. It rejects every byte outside
// the base64url alphabet (so '+', '/', '=', whitespace and newlines are
// refused: the standard decoder would silently skip '\r' and '\n'), and
// non-canonical encodings whose unused trailing bits are not zero.
func decodeSegment(dst []byte, seg string) ([]byte, error) {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return nil, fmt.Errorf("%w: byte %d is not in the base64url alphabet", ErrBase64, i)
		}
	}
	if len(seg) > 0 {
		last := b64val(seg[len(seg)-1])
		switch len(seg) % 4 {
		case 1:
			return nil, fmt.Errorf("%w: impossible length", ErrBase64)
		case 2:
			if last&0x0f != 0 {
				return nil, fmt.Errorf("%w: non-canonical trailing bits", ErrBase64)
			}
		case 3:
			if last&0x03 != 0 {
				return nil, fmt.Errorf("%w: non-canonical trailing bits", ErrBase64)
			}
		}
	}
	enc := base64.RawURLEncoding
	n := enc.DecodedLen(len(seg))
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	dst = dst[:n]
	m, err := enc.Decode(dst, []byte(seg))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBase64, err)
	}
	return dst[:m], nil
}

// DecodeSegment decodes a strict base64url segment (exported for tests and
// for other strict JOSE parsers).
func DecodeSegment(seg string) ([]byte, error) { return decodeSegment(nil, seg) }

// b64val is the 6-bit value of a base64url character (already validated).
func b64val(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c - 'A'
	case c >= 'a' && c <= 'z':
		return c - 'a' + 26
	case c >= '0' && c <= '9':
		return c - '0' + 52
	case c == '-':
		return 62
	}
	return 63 // '_'
}
