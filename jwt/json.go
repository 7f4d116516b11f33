package jwt

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Why a hand-written scanner instead of encoding/json:
//   - encoding/json silently accepts duplicate member names (last one wins),
//     which lets an attacker make two parsers disagree about "aud" or "alg";
//     we must refuse them at every depth;
//   - it matches member names case-insensitively when decoding into structs
//     ("Exp" would fill Exp), while JWT claim names are case-sensitive;
//   - it replaces invalid UTF-8 and lone surrogates instead of refusing them;
//   - it is reflection-driven and several times slower than one linear pass
//     that records the top-level members and decodes only what is asked for.
// The scanner below implements RFC 8259 exactly, with a depth bound.

// DefaultMaxDepth bounds object/array nesting in header and payload.
const DefaultMaxDepth = 32

// Kind is the JSON type of a member's value.
type Kind uint8

// JSON value kinds.
const (
	KindInvalid Kind = iota
	KindString
	KindNumber
	KindTrue
	KindFalse
	KindNull
	KindObject
	KindArray
)

// Member is one top-level member of a JSON object.
type Member struct {
	Name string // unescaped, case-sensitive
	Kind Kind
	Raw  []byte // the value's JSON text, exactly as in the document
	text string // Raw as a string sharing the document's one string copy
}

type scanner struct {
	data     []byte
	text     string // string(data), made once: names and values are substrings
	pos      int
	depth    int
	maxDepth int
}

func (s *scanner) errf(sentinel error, what string) error {
	return fmt.Errorf("%w: %s at offset %d", sentinel, what, s.pos)
}

func (s *scanner) skipWS() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// parseTopObject parses a whole document that must be one JSON object and
// returns its members in order.
// text must equal string(data); members is appended to (it may be nil).
func parseTopObject(data []byte, text string, maxDepth int, members []Member) ([]Member, error) {
	s := scanner{data: data, text: text, maxDepth: maxDepth}
	s.skipWS()
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		// Distinguish "valid JSON but not an object" from garbage.
		if _, err := s.value(); err != nil {
			return nil, err
		}
		return nil, ErrNotObject
	}
	if members == nil {
		members = make([]Member, 0, 24)
	}
	if err := s.object(&members); err != nil {
		return nil, err
	}
	s.skipWS()
	if s.pos != len(s.data) {
		return nil, s.errf(ErrJSON, "trailing data")
	}
	return members, nil
}

// value scans one value and returns its kind.
func (s *scanner) value() (Kind, error) {
	s.skipWS()
	if s.pos >= len(s.data) {
		return KindInvalid, s.errf(ErrJSON, "unexpected end")
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return KindObject, s.object(nil)
	case c == '[':
		return KindArray, s.array()
	case c == '"':
		_, err := s.str(false)
		return KindString, err
	case c == '-' || (c >= '0' && c <= '9'):
		return KindNumber, s.number()
	case c == 't':
		return KindTrue, s.literal("true")
	case c == 'f':
		return KindFalse, s.literal("false")
	case c == 'n':
		return KindNull, s.literal("null")
	default:
		return KindInvalid, s.errf(ErrJSON, "unexpected character")
	}
}

func (s *scanner) literal(lit string) error {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return s.errf(ErrJSON, "bad literal")
	}
	s.pos += len(lit)
	return nil
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > s.maxDepth {
		return s.errf(ErrDepth, "nesting too deep")
	}
	return nil
}

// object scans an object; when top is non-nil the members are recorded.
func (s *scanner) object(top *[]Member) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // '{'
	// Duplicate detection: the top-level object checks the recorded members;
	// nested objects use a nameSet.
	var names nameSet
	var topIndex map[string]struct{}
	s.skipWS()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		s.skipWS()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return s.errf(ErrJSON, "expected member name")
		}
		name, err := s.str(true)
		if err != nil {
			return err
		}
		if top != nil {
			if topIndex == nil && len(*top) < 32 {
				for i := range *top {
					if (*top)[i].Name == name {
						return s.errf(ErrDuplicate, "duplicate member name")
					}
				}
			} else {
				if topIndex == nil {
					topIndex = make(map[string]struct{}, 2*len(*top))
					for i := range *top {
						topIndex[(*top)[i].Name] = struct{}{}
					}
				}
				if _, dup := topIndex[name]; dup {
					return s.errf(ErrDuplicate, "duplicate member name")
				}
				topIndex[name] = struct{}{}
			}
		} else if !names.add(name) {
			return s.errf(ErrDuplicate, "duplicate member name")
		}
		s.skipWS()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return s.errf(ErrJSON, "expected ':'")
		}
		s.pos++
		s.skipWS()
		start := s.pos
		kind, err := s.value()
		if err != nil {
			return err
		}
		if top != nil {
			*top = append(*top, Member{Name: name, Kind: kind, Raw: s.data[start:s.pos], text: s.text[start:s.pos]})
		}
		s.skipWS()
		if s.pos >= len(s.data) {
			return s.errf(ErrJSON, "unterminated object")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			s.depth--
			return nil
		default:
			return s.errf(ErrJSON, "expected ',' or '}'")
		}
	}
}

func (s *scanner) array() error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // '['
	s.skipWS()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if _, err := s.value(); err != nil {
			return err
		}
		s.skipWS()
		if s.pos >= len(s.data) {
			return s.errf(ErrJSON, "unterminated array")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.depth--
			return nil
		default:
			return s.errf(ErrJSON, "expected ',' or ']'")
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *scanner) number() error {
	d := s.data
	if d[s.pos] == '-' {
		s.pos++
	}
	if s.pos >= len(d) || !isDigit(d[s.pos]) {
		return s.errf(ErrJSON, "bad number")
	}
	if d[s.pos] == '0' {
		s.pos++
	} else {
		for s.pos < len(d) && isDigit(d[s.pos]) {
			s.pos++
		}
	}
	if s.pos < len(d) && d[s.pos] == '.' {
		s.pos++
		if s.pos >= len(d) || !isDigit(d[s.pos]) {
			return s.errf(ErrJSON, "bad fraction")
		}
		for s.pos < len(d) && isDigit(d[s.pos]) {
			s.pos++
		}
	}
	if s.pos < len(d) && (d[s.pos] == 'e' || d[s.pos] == 'E') {
		s.pos++
		if s.pos < len(d) && (d[s.pos] == '+' || d[s.pos] == '-') {
			s.pos++
		}
		if s.pos >= len(d) || !isDigit(d[s.pos]) {
			return s.errf(ErrJSON, "bad exponent")
		}
		for s.pos < len(d) && isDigit(d[s.pos]) {
			s.pos++
		}
	}
	return nil
}

// str scans a string starting at '"'. With decode it returns the unescaped
// value; otherwise it only validates.
func (s *scanner) str(decode bool) (string, error) {
	s.pos++ // opening quote
	start := s.pos
	d := s.data
	// Fast path: printable ASCII without escapes needs neither unescaping
	// nor UTF-8 validation.
	i := start
	for i < len(d) && strPlain[d[i]] != 0 {
		i++
	}
	if i < len(d) && d[i] == '"' {
		s.pos = i + 1
		if decode {
			if s.text != "" {
				return s.text[start:i], nil
			}
			return string(d[start:i]), nil
		}
		return "", nil
	}
	s.pos = i
	escaped := false
	for {
		if s.pos >= len(d) {
			return "", s.errf(ErrJSON, "unterminated string")
		}
		c := d[s.pos]
		switch {
		case c == '"':
			raw := d[start:s.pos]
			s.pos++
			if !escaped {
				if !utf8.Valid(raw) {
					return "", s.errf(ErrJSON, "invalid UTF-8")
				}
				if decode {
					if s.text != "" {
						return s.text[start : s.pos-1], nil
					}
					return string(raw), nil
				}
				return "", nil
			}
			out, ok := unescape(raw)
			if !ok {
				return "", s.errf(ErrJSON, "invalid escape or UTF-8")
			}
			return out, nil
		case c == '\\':
			escaped = true
			s.pos += 2 // validated in unescape; skip the escaped byte
		case c < 0x20:
			return "", s.errf(ErrJSON, "control character in string")
		default:
			s.pos++
		}
	}
}

// strPlain is 1 for bytes that a JSON string may hold as they are and that
// need no UTF-8 check: printable ASCII other than '"' and '\\'.
const strPlain = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x01\x01\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		v := hexVal(c)
		if v < 0 {
			return -1
		}
		r = r<<4 | v
	}
	return r
}

// unescape decodes the body of a JSON string (without quotes). It refuses
// bad escapes, lone surrogates and invalid UTF-8.
func unescape(b []byte) (string, bool) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c != '\\' {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return "", false
			}
			out = append(out, b[i:i+size]...)
			i += size
			continue
		}
		if i+1 >= len(b) {
			return "", false
		}
		switch b[i+1] {
		case '"', '\\', '/':
			out = append(out, b[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(b[i+2:])
			if r < 0 {
				return "", false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r >= 0xDC00 || i+1 >= len(b) || b[i] != '\\' || b[i+1] != 'u' {
					return "", false
				}
				r2 := hex4(b[i+2:])
				if r2 < 0xDC00 || r2 > 0xDFFF {
					return "", false
				}
				r = utf16.DecodeRune(r, r2)
				i += 6
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return string(out), true
}

// nameSet detects duplicate member names: linear for small objects, a map
// beyond that so a 16 KiB object of tiny members stays linear-time.
type nameSet struct {
	list []string
	m    map[string]struct{}
}

func (n *nameSet) add(name string) bool {
	if n.m != nil {
		if _, dup := n.m[name]; dup {
			return false
		}
		n.m[name] = struct{}{}
		return true
	}
	for _, x := range n.list {
		if x == name {
			return false
		}
	}
	n.list = append(n.list, name)
	if len(n.list) > 16 {
		n.m = make(map[string]struct{}, 64)
		for _, x := range n.list {
			n.m[x] = struct{}{}
		}
	}
	return true
}
