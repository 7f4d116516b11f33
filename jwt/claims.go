package jwt

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Claims is a parsed JSON object (the payload, or the header's members).
// Lookups are case-sensitive and decode only the member asked for.
type Claims struct {
	Raw     []byte   // the decoded JSON text
	Members []Member // top-level members in document order (no duplicates)
}

// Lookup returns the member called name.
func (c *Claims) Lookup(name string) (Member, bool) {
	for i := range c.Members {
		if c.Members[i].Name == name {
			return c.Members[i], true
		}
	}
	return Member{}, false
}

// Has reports whether the member is present (with any value, even null).
func (c *Claims) Has(name string) bool { _, ok := c.Lookup(name); return ok }

// StringValue decodes a JSON string value's raw text.
func StringValue(m Member) (string, error) {
	if m.Kind != KindString {
		return "", fmt.Errorf("%w: %q is not a string", ErrClaimType, m.Name)
	}
	return decodeStringRaw(m.Raw, m.text)
}

// decodeStringRaw decodes a validated JSON string; without escapes the
// result is a substring of text (no allocation) when text is set.
func decodeStringRaw(raw []byte, text string) (string, error) {
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' {
			s, ok := unescape(body)
			if !ok {
				return "", ErrJSON
			}
			return s, nil
		}
	}
	if len(text) == len(raw) {
		return text[1 : len(text)-1], nil
	}
	return string(body), nil
}

// String returns a string claim. ok is false when absent; a present claim
// of another type is an ErrClaimType error.
func (c *Claims) String(name string) (val string, ok bool, err error) {
	m, ok := c.Lookup(name)
	if !ok {
		return "", false, nil
	}
	v, err := StringValue(m)
	return v, true, err
}

// Strings returns a claim that is a string or an array of strings (like
// "aud" or "roles"). A null value returns ok=true and an empty slice.
func (c *Claims) Strings(name string) (vals []string, ok bool, err error) {
	m, ok := c.Lookup(name)
	if !ok {
		return nil, false, nil
	}
	switch m.Kind {
	case KindNull:
		return nil, true, nil
	case KindString:
		v, err := StringValue(m)
		if err != nil {
			return nil, true, err
		}
		return []string{v}, true, nil
	case KindArray:
		vals, err := stringArray(m.Raw, m.text)
		if err != nil {
			return nil, true, fmt.Errorf("%w: %q: %v", ErrClaimType, name, err)
		}
		return vals, true, nil
	}
	return nil, true, fmt.Errorf("%w: %q is not a string or array of strings", ErrClaimType, name)
}

// stringArray decodes an already-validated JSON array that must hold only strings.
func stringArray(raw []byte, text string) ([]string, error) {
	s := scanner{data: raw, maxDepth: DefaultMaxDepth}
	if len(text) == len(raw) {
		s.text = text
	}
	s.pos = 1 // past '['
	var out []string
	s.skipWS()
	if s.pos < len(raw) && raw[s.pos] == ']' {
		return []string{}, nil
	}
	for {
		s.skipWS()
		if s.pos >= len(raw) || raw[s.pos] != '"' {
			return nil, ErrClaimType
		}
		v, err := s.str(true)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		s.skipWS()
		if s.pos >= len(raw) {
			return nil, ErrJSON
		}
		if raw[s.pos] == ']' {
			return out, nil
		}
		s.pos++ // ','
	}
}

// Number returns a numeric claim as float64.
func (c *Claims) Number(name string) (val float64, ok bool, err error) {
	m, ok := c.Lookup(name)
	if !ok {
		return 0, false, nil
	}
	if m.Kind != KindNumber {
		return 0, true, fmt.Errorf("%w: %q is not a number", ErrClaimType, name)
	}
	f, err := strconv.ParseFloat(string(m.Raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, true, fmt.Errorf("%w: %q is out of range", ErrClaimType, name)
	}
	return f, true, nil
}

// maxNumericDate bounds NumericDate to year 9999 so time arithmetic cannot overflow.
const maxNumericDate = 253402300799

// NumericDate returns an RFC 7519 NumericDate claim (seconds since the epoch,
// fractions allowed) as a UTC time. Negative or absurd values are refused.
func (c *Claims) NumericDate(name string) (t time.Time, ok bool, err error) {
	f, ok, err := c.Number(name)
	if !ok || err != nil {
		return time.Time{}, ok, err
	}
	if f < 0 || f > maxNumericDate {
		return time.Time{}, true, fmt.Errorf("%w: %q is out of range", ErrClaimType, name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}
