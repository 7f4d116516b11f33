package jwt

import "fmt"

// b64url maps a byte to its base64url value, 0xff for bytes outside the
// alphabet. A constant string, so there is no mutable package state.
const b64url = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x3e\xff\xff\x34\x35\x36\x37\x38\x39\x3a\x3b\x3c\x3d\xff\xff\xff\xff\xff\xff" +
	"\xff\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\xff\xff\xff\xff\x3f" +
	"\xff\x1a\x1b\x1c\x1d\x1e\x1f\x20\x21\x22\x23\x24\x25\x26\x27\x28\x29\x2a\x2b\x2c\x2d\x2e\x2f\x30\x31\x32\x33\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"

// decodeSegment decodes one segment strictly, in a single pass: only the
// base64url alphabet (so '+', '/', '=', whitespace and newlines are refused;
// the standard decoder would silently skip '\r' and '\n'), no padding, and
// canonical encodings only (unused trailing bits must be zero). dst is
// reused when large enough.
func decodeSegment(dst []byte, seg string) ([]byte, error) {
	n := len(seg)
	if n%4 == 1 {
		return nil, fmt.Errorf("%w: impossible length", ErrBase64)
	}
	out := n / 4 * 3
	switch n % 4 {
	case 2:
		out++
	case 3:
		out += 2
	}
	if cap(dst) < out {
		dst = make([]byte, out)
	}
	dst = dst[:out]
	j := 0
	i := 0
	for ; i+4 <= n; i += 4 {
		a, b, c, d := b64url[seg[i]], b64url[seg[i+1]], b64url[seg[i+2]], b64url[seg[i+3]]
		if a|b|c|d == 0xff || (a|b|c|d)&0xc0 != 0 {
			return nil, badByte(seg, i)
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst[j], dst[j+1], dst[j+2] = byte(v>>16), byte(v>>8), byte(v)
		j += 3
	}
	switch n - i {
	case 2:
		a, b := b64url[seg[i]], b64url[seg[i+1]]
		if (a|b)&0xc0 != 0 {
			return nil, badByte(seg, i)
		}
		if b&0x0f != 0 {
			return nil, fmt.Errorf("%w: non-canonical trailing bits", ErrBase64)
		}
		dst[j] = a<<2 | b>>4
	case 3:
		a, b, c := b64url[seg[i]], b64url[seg[i+1]], b64url[seg[i+2]]
		if (a|b|c)&0xc0 != 0 {
			return nil, badByte(seg, i)
		}
		if c&0x03 != 0 {
			return nil, fmt.Errorf("%w: non-canonical trailing bits", ErrBase64)
		}
		dst[j] = a<<2 | b>>4
		dst[j+1] = b<<4 | c>>2
	}
	return dst, nil
}

func badByte(seg string, from int) error {
	for k := from; k < len(seg); k++ {
		if b64url[seg[k]] == 0xff {
			return fmt.Errorf("%w: byte %d is not in the base64url alphabet", ErrBase64, k)
		}
	}
	return ErrBase64
}

// DecodeSegment decodes a strict base64url segment (exported for tests and
// for other strict JOSE parsers).
func DecodeSegment(seg string) ([]byte, error) { return decodeSegment(nil, seg) }
