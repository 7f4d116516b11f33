package jwt

import (
	"bytes"
	"fmt"
	"strings"
)

// DefaultMaxSize is the default cap on the compact token length in bytes.
const DefaultMaxSize = 16384

// maxPresizedMembers caps the member index allocated before parsing.
const maxPresizedMembers = 64

// Options bound the parser. Zero values select the defaults.
type Options struct {
	MaxSize  int // bytes of the compact token; default DefaultMaxSize
	MaxDepth int // JSON nesting; default DefaultMaxDepth
}

// Header is the JOSE header of a token.
type Header struct {
	Alg string
	Typ string
	Kid string
	X5t string
	Cty string
	// HasTyp is false when typ is absent (as opposed to empty).
	HasTyp bool
	// HasCrit is true when "crit" is present; Crit holds its names.
	HasCrit bool
	Crit    []string
	// Presence of members that name or embed keys. Recorded for diagnosis
	// and policy only: they are NEVER used to find or build a key.
	HasJWK, HasJKU, HasX5U, HasX5C bool
	// HasNonce: a "nonce" header, as on Microsoft Graph tokens (whose
	// signature only Graph can check).
	HasNonce bool
	Members  Claims
}

// Token is a parsed, NOT yet verified compact JWS.
type Token struct {
	Header Header
	// Payload is the decoded payload bytes.
	Payload []byte
	// Claims is the payload as a JSON object (empty for ParseJWS).
	Claims Claims
	// SigningInput is "<header>.<payload>" as received.
	SigningInput string
	Signature    []byte
}

// Parse parses a compact JWS whose payload is a JWT claims set, strictly
// (see the package doc). It does not verify the signature.
func Parse(raw string, opts Options) (*Token, error) { return parse(raw, opts, true) }

// ParseJWS parses a compact JWS with an arbitrary payload (not necessarily
// JSON; may be empty) with the same strict rules for size, segments,
// base64url and header. Used for JOSE test vectors.
func ParseJWS(raw string, opts Options) (*Token, error) { return parse(raw, opts, false) }

func parse(raw string, opts Options, claims bool) (*Token, error) {
	maxSize := opts.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	maxDepth := opts.MaxDepth
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	if len(raw) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds the %d byte limit", ErrTooLarge, len(raw), maxSize)
	}
	d1 := strings.IndexByte(raw, '.')
	if d1 < 0 {
		return nil, fmt.Errorf("%w: found 1", ErrSegments)
	}
	rest := raw[d1+1:]
	d2 := strings.IndexByte(rest, '.')
	if d2 < 0 {
		return nil, fmt.Errorf("%w: found 2", ErrSegments)
	}
	d2 += d1 + 1
	if n := strings.Count(raw[d2+1:], "."); n > 0 {
		return nil, fmt.Errorf("%w: found %d", ErrSegments, 3+n)
	}
	hSeg, pSeg, sSeg := raw[:d1], raw[d1+1:d2], raw[d2+1:]
	if hSeg == "" || (claims && pSeg == "") {
		return nil, fmt.Errorf("%w: empty header or payload segment", ErrSegments)
	}
	// One buffer for all three decoded segments, laid out back to back.
	hLen, pLen, sLen := decodedLen(len(hSeg)), decodedLen(len(pSeg)), decodedLen(len(sSeg))
	if hLen < 0 || pLen < 0 || sLen < 0 {
		// Report the first failing segment, in order, as a full decode would.
		if _, err := decodeSegment(nil, hSeg); err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
		if _, err := decodeSegment(nil, pSeg); err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
		_, err := decodeSegment(nil, sSeg)
		return nil, fmt.Errorf("signature: %w", err)
	}
	buf := make([]byte, hLen+pLen+sLen)
	hdr := buf[:hLen:hLen]
	pl := buf[hLen : hLen+pLen : hLen+pLen]
	sig := buf[hLen+pLen:]
	if err := decodeInto(hdr, hSeg); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if err := decodeInto(pl, pSeg); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	if err := decodeInto(sig, sSeg); err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	// One string copy of header and payload: member names and values are
	// substrings of it.
	var text string
	if claims {
		text = string(buf[:hLen+pLen])
	} else {
		text = string(hdr)
	}
	// One member index for both objects, sized once from an upper bound on
	// the member count (every member has a ':'), capped so a document of
	// colons cannot force a large allocation up front; append grows beyond.
	nm := bytes.Count(hdr, []byte{':'})
	if claims {
		nm += bytes.Count(pl, []byte{':'})
	}
	members := make([]Member, 0, min(nm, maxPresizedMembers))
	t := &Token{SigningInput: raw[:d2], Signature: sig, Payload: pl}
	hm, err := parseTopObject(hdr, text[:hLen], maxDepth, members)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	hm = hm[:len(hm):len(hm)]
	t.Header.Members = Claims{Raw: hdr, Members: hm}
	if err := t.Header.fill(); err != nil {
		return nil, err
	}
	if !claims {
		return t, nil
	}
	var more []Member
	if len(hm) <= cap(members) {
		more = members[len(hm):len(hm)]
	}
	cm, err := parseTopObject(pl, text[hLen:], maxDepth, more)
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	t.Claims = Claims{Raw: pl, Members: cm}
	return t, nil
}

func (h *Header) fill() error {
	c := &h.Members
	var err error
	str := func(name string, dst *string) bool {
		v, ok, e := c.String(name)
		if e != nil {
			err = fmt.Errorf("%w: %q must be a string", ErrHeader, name)
			return false
		}
		*dst = v
		return ok
	}
	if !str("alg", &h.Alg) {
		if err != nil {
			return err
		}
		return fmt.Errorf("%w: \"alg\" is missing", ErrHeader)
	}
	h.HasTyp = str("typ", &h.Typ)
	str("kid", &h.Kid)
	str("x5t", &h.X5t)
	str("cty", &h.Cty)
	if err != nil {
		return err
	}
	if m, ok := c.Lookup("crit"); ok {
		h.HasCrit = true
		if m.Kind != KindArray {
			return fmt.Errorf("%w: \"crit\" must be an array of strings", ErrHeader)
		}
		crit, e := stringArray(m.Raw, m.text)
		if e != nil || len(crit) == 0 {
			return fmt.Errorf("%w: \"crit\" must be a non-empty array of strings", ErrHeader)
		}
		h.Crit = crit
	}
	h.HasJWK = c.Has("jwk")
	h.HasJKU = c.Has("jku")
	h.HasX5U = c.Has("x5u")
	h.HasX5C = c.Has("x5c")
	h.HasNonce = c.Has("nonce")
	return nil
}
