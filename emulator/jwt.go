package emulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
)

// jwtHeader is the JOSE header in Entra's member order.
type jwtHeader struct {
	Typ   string `json:"typ"`
	Nonce string `json:"nonce,omitempty"`
	Alg   string `json:"alg"`
	X5t   string `json:"x5t,omitempty"`
	Kid   string `json:"kid,omitempty"`
}

// Token parsing errors (internal; mapped to AADSTS codes by callers).
var (
	errMalformedJWT = errors.New("malformed JWT")
	errBadSignature = errors.New("signature invalid")
	errUnknownKey   = errors.New("signing key not found")
)

const maxJWTSize = 16 << 10

var b64 = base64.RawURLEncoding

// signJWT signs claims with k. With graphNonce, the header carries a nonce
// and the signature covers the header with the nonce replaced by its
// SHA-256 (hex), as Microsoft Graph tokens do, so that only the issuer
// (here: the emulator) can verify it.
func signJWT(k *signingKey, claims any, graphNonce bool) (string, error) {
	h := jwtHeader{Typ: "JWT", Alg: "RS256", X5t: k.x5t, Kid: k.kid}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	shown := h
	if graphNonce {
		var n [32]byte
		_, _ = rand.Read(n[:])
		shown.Nonce = b64.EncodeToString(n[:])
		h.Nonce = hashNonce(shown.Nonce)
	}
	signedHdr, _ := json.Marshal(h)
	shownHdr, _ := json.Marshal(shown)
	signingInput := b64.EncodeToString(signedHdr) + "." + b64.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return b64.EncodeToString(shownHdr) + "." + b64.EncodeToString(payload) + "." + b64.EncodeToString(sig), nil
}

func hashNonce(n string) string {
	s := sha256.Sum256([]byte(n))
	return hex.EncodeToString(s[:])
}

// parsedJWT is a token whose signature has been verified.
type parsedJWT struct {
	header jwtHeader
	claims map[string]any
}

// parseJWT splits and decodes a compact JWS without verifying it.
func parseJWT(raw string) (hdr jwtHeader, hdrBytes, payload, sig []byte, err error) {
	if len(raw) > maxJWTSize {
		return hdr, nil, nil, nil, errMalformedJWT
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return hdr, nil, nil, nil, errMalformedJWT
	}
	if hdrBytes, err = b64.DecodeString(parts[0]); err != nil {
		return hdr, nil, nil, nil, errMalformedJWT
	}
	if payload, err = b64.DecodeString(parts[1]); err != nil {
		return hdr, nil, nil, nil, errMalformedJWT
	}
	if sig, err = b64.DecodeString(parts[2]); err != nil {
		return hdr, nil, nil, nil, errMalformedJWT
	}
	if err := json.Unmarshal(hdrBytes, &hdr); err != nil {
		return hdr, nil, nil, nil, errMalformedJWT
	}
	return hdr, hdrBytes, payload, sig, nil
}

// verifyJWT checks an emulator-issued token against the published keys
// (RS256 only) and returns its claims. Time and audience are the caller's.
func (e *Emulator) verifyJWT(raw string) (*parsedJWT, error) {
	hdr, hdrBytes, payload, sig, err := parseJWT(raw)
	if err != nil {
		return nil, err
	}
	if hdr.Alg != "RS256" {
		return nil, errBadSignature
	}
	k := e.keys.lookup(e.now(), hdr.Kid, hdr.X5t)
	if k == nil {
		return nil, errUnknownKey
	}
	signedHdr := hdrBytes
	if hdr.Nonce != "" {
		h := hdr
		h.Nonce = hashNonce(hdr.Nonce)
		signedHdr, _ = json.Marshal(h)
	}
	input := b64.EncodeToString(signedHdr) + "." + b64.EncodeToString(payload)
	sum := sha256.Sum256([]byte(input))
	if err := rsa.VerifyPKCS1v15(&k.priv.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return nil, errBadSignature
	}
	var claims map[string]any
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		return nil, errMalformedJWT
	}
	return &parsedJWT{header: hdr, claims: claims}, nil
}

// claim helpers over verified claims.
func (p *parsedJWT) str(name string) string {
	s, _ := p.claims[name].(string)
	return s
}

func (p *parsedJWT) num(name string) (int64, bool) {
	n, ok := p.claims[name].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Int64()
	return v, err == nil
}

func (p *parsedJWT) strs(name string) []string {
	arr, _ := p.claims[name].([]any)
	out := make([]string, 0, len(arr))
	for _, v := range arr {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
