package jwt

import (
	"encoding/binary"
	"fmt"
)

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

// decodedLen returns the decoded length of a segment of n bytes, or -1 when
// n is an impossible base64url length.
func decodedLen(n int) int {
	out := n / 4 * 3
	switch n % 4 {
	case 1:
		return -1
	case 2:
		out++
	case 3:
		out += 2
	}
	return out
}

// decodeSegment decodes one segment strictly, in a single pass: only the
// base64url alphabet (so '+', '/', '=', whitespace and newlines are refused;
// the standard decoder would silently skip '\r' and '\n'), no padding, and
// canonical encodings only (unused trailing bits must be zero). dst is
// reused when large enough.
func decodeSegment(dst []byte, seg string) ([]byte, error) {
	out := decodedLen(len(seg))
	if out < 0 {
		return nil, fmt.Errorf("%w: impossible length", ErrBase64)
	}
	if cap(dst) < out {
		dst = make([]byte, out)
	}
	dst = dst[:out]
	if err := decodeInto(dst, seg); err != nil {
		return nil, err
	}
	return dst, nil
}

// decodeInto decodes seg into dst, whose length must be decodedLen(len(seg))
// (>= 0). Same rules and errors as decodeSegment.
func decodeInto(dst []byte, seg string) error {
	all := seg
	i := 0
	// Eight characters (six bytes) per step while dst has room for an
	// eight-byte store.
	for len(seg) >= 8 && len(dst) >= 8 {
		a, b, c, d := b64url[seg[0]], b64url[seg[1]], b64url[seg[2]], b64url[seg[3]]
		e, f, g, h := b64url[seg[4]], b64url[seg[5]], b64url[seg[6]], b64url[seg[7]]
		if (a|b|c|d|e|f|g|h)&0xc0 != 0 {
			return badByte(all, i)
		}
		v := uint64(a)<<58 | uint64(b)<<52 | uint64(c)<<46 | uint64(d)<<40 |
			uint64(e)<<34 | uint64(f)<<28 | uint64(g)<<22 | uint64(h)<<16
		binary.BigEndian.PutUint64(dst, v)
		seg, dst, i = seg[8:], dst[6:], i+8
	}
	for len(seg) >= 4 && len(dst) >= 3 {
		a, b, c, d := b64url[seg[0]], b64url[seg[1]], b64url[seg[2]], b64url[seg[3]]
		if (a|b|c|d)&0xc0 != 0 {
			return badByte(all, i)
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst[0], dst[1], dst[2] = byte(v>>16), byte(v>>8), byte(v)
		seg, dst, i = seg[4:], dst[3:], i+4
	}
	switch len(seg) {
	case 2:
		a, b := b64url[seg[0]], b64url[seg[1]]
		if (a|b)&0xc0 != 0 {
			return badByte(all, i)
		}
		if b&0x0f != 0 {
			return fmt.Errorf("%w: non-canonical trailing bits", ErrBase64)
		}
		dst[0] = a<<2 | b>>4
	case 3:
		a, b, c := b64url[seg[0]], b64url[seg[1]], b64url[seg[2]]
		if (a|b|c)&0xc0 != 0 {
			return badByte(all, i)
		}
		if c&0x03 != 0 {
			return fmt.Errorf("%w: non-canonical trailing bits", ErrBase64)
		}
		dst[0] = a<<2 | b>>4
		dst[1] = b<<4 | c>>2
	}
	return nil
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
