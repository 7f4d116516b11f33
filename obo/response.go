package obo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Bounds on what the token endpoint may send us.
const (
	// MaxAnswerBytes caps the token endpoint answer body.
	MaxAnswerBytes = 64 << 10
	// MaxLifetime: a larger expires_in is treated as malformed.
	MaxLifetime = 7 * 24 * time.Hour
	// MaxRetryAfter caps a Retry-After hint.
	MaxRetryAfter = 5 * time.Minute

	maxCodeLen        = 64
	maxDescriptionLen = 1024
	maxClaimsLen      = 8 << 10
	maxIDLen          = 64
	maxErrorCodes     = 16
	maxScopeLen       = 4 << 10
)

// answer is the wire form of success and error answers.
type answer struct {
	AccessToken   string          `json:"access_token"`
	TokenType     string          `json:"token_type"`
	ExpiresIn     json.RawMessage `json:"expires_in"`
	ExtExpiresIn  json.RawMessage `json:"ext_expires_in"`
	Scope         string          `json:"scope"`
	Error         string          `json:"error"`
	Description   string          `json:"error_description"`
	ErrorCodes    json.RawMessage `json:"error_codes"`
	Claims        string          `json:"claims"`
	TraceID       string          `json:"trace_id"`
	CorrelationID string          `json:"correlation_id"`
}

// Answer is a parsed successful token endpoint answer.
type Answer struct {
	Token
	// Lifetime is expires_in; ExtLifetime is ext_expires_in (0 if absent).
	Lifetime, ExtLifetime time.Duration
}

// ParseAnswer parses a token endpoint answer. body must already be capped
// (truncated reports that it was cut at MaxAnswerBytes). A 200 answer gives
// an *Answer; anything else a *TokenError, or an error wrapping
// ErrMalformedResponse. now stamps ExpiresAt. Pure; never echoes the token.
func ParseAnswer(status int, header http.Header, body []byte, truncated bool, now time.Time) (*Answer, error) {
	if status != http.StatusOK {
		return nil, parseError(status, header, body, truncated, now)
	}
	if truncated {
		return nil, fmt.Errorf("%w: answer larger than %d bytes", ErrMalformedResponse, MaxAnswerBytes)
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("%w: not JSON", ErrMalformedResponse)
	}
	if a.AccessToken == "" {
		if a.Error != "" {
			return nil, parseError(status, header, body, false, now)
		}
		return nil, fmt.Errorf("%w: no access_token", ErrMalformedResponse)
	}
	if strings.ContainsAny(a.AccessToken, " \t\r\n\"\\") {
		return nil, fmt.Errorf("%w: access_token has forbidden characters", ErrMalformedResponse)
	}
	tt := a.TokenType
	if tt == "" || strings.EqualFold(tt, "bearer") {
		tt = "Bearer"
	} else {
		return nil, fmt.Errorf("%w: unsupported token_type", ErrMalformedResponse)
	}
	life, ok := parseSeconds(a.ExpiresIn)
	if !ok || life <= 0 || life > MaxLifetime {
		return nil, fmt.Errorf("%w: missing or invalid expires_in", ErrMalformedResponse)
	}
	ext, _ := parseSeconds(a.ExtExpiresIn)
	if len(a.Scope) > maxScopeLen {
		return nil, fmt.Errorf("%w: scope too long", ErrMalformedResponse)
	}
	return &Answer{
		Token:       Token{AccessToken: a.AccessToken, TokenType: tt, Scope: a.Scope, ExpiresAt: now.Add(life)},
		Lifetime:    life,
		ExtLifetime: max(ext, 0),
	}, nil
}

// parseSeconds reads a JSON number or numeric string of whole seconds.
func parseSeconds(raw json.RawMessage) (time.Duration, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 || n > int64(MaxLifetime/time.Second)*2 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

func parseError(status int, header http.Header, body []byte, truncated bool, now time.Time) *TokenError {
	te := &TokenError{StatusCode: status}
	if status == http.StatusTooManyRequests || status >= 500 {
		te.RetryAfter = ParseRetryAfter(header.Get("Retry-After"), now)
	}
	if truncated {
		te.Description = "answer too large"
		return te
	}
	var a answer
	if json.Unmarshal(body, &a) != nil {
		return te
	}
	te.Code = capToken(a.Error, maxCodeLen)
	te.Description = capText(a.Description, maxDescriptionLen)
	if len(a.Claims) <= maxClaimsLen && json.Valid([]byte(a.Claims)) {
		te.Claims = a.Claims
	}
	te.TraceID = capToken(a.TraceID, maxIDLen)
	te.CorrelationID = capToken(a.CorrelationID, maxIDLen)
	var codes []json.RawMessage
	if json.Unmarshal(a.ErrorCodes, &codes) == nil {
		for _, c := range codes {
			if len(te.ErrorCodes) == maxErrorCodes {
				break
			}
			if n, err := strconv.Atoi(string(c)); err == nil && n >= 0 {
				te.ErrorCodes = append(te.ErrorCodes, n)
			}
		}
	}
	return te
}

// capToken keeps only a short identifier-like string ([A-Za-z0-9_.:-]);
// anything longer than n or with other characters is dropped.
func capToken(s string, n int) string {
	if len(s) > n {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':') {
			return ""
		}
	}
	return s
}

// capText caps free text at n bytes on a rune boundary and drops control
// characters other than CR, LF and tab.
func capText(s string, n int) string {
	if len(s) > n {
		s = s[:n] // a cut rune is dropped by ToValidUTF8 below
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\r' && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

// ParseRetryAfter reads a Retry-After value, delta-seconds or an HTTP-date
// (resolved against now); 0 if absent or invalid; capped at MaxRetryAfter.
// The gateway reads Graph's hints with it too.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 64 {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}
