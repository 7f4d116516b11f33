package jwt

import (
	"encoding/base64"
	"fmt"
)

// strictB64 is base64url without padding and with strict (canonical) trailing
// bits: Strict() makes the decoder reject non-zero unused bits. The standard
// decoder also ignores '\r' and '\n', so decodeSegment rejects them first.
var strictB64 = base64.RawURLEncoding.Strict()

// decodeSegment decodes one segment strictly. It rejects every byte outside
// the base64url alphabet (so '+', '/', '=', whitespace and newlines are
// refused) before handing the segment to the decoder.
func decodeSegment(dst []byte, seg string) ([]byte, error) {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return nil, fmt.Errorf("%w: byte %d is not in the base64url alphabet", ErrBase64, i)
		}
	}
	n := strictB64.DecodedLen(len(seg))
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	dst = dst[:n]
	m, err := strictB64.Decode(dst, []byte(seg))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBase64, err)
	}
	return dst[:m], nil
}

// DecodeSegment decodes a strict base64url segment (exported for tests and
// for other strict JOSE parsers).
func DecodeSegment(seg string) ([]byte, error) { return decodeSegment(nil, seg) }
