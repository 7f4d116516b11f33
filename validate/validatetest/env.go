// Package validatetest mints signed test tokens and holds the shared table of
// acceptance cases run against both the validate library and the inspect
// command. Test support only: keys are generated on the fly, nothing is
// read from disk.
package validatetest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Fixed identities used by the cases.
const (
	TenantID      = "11111111-2222-4333-8444-555555555555"
	OtherTenantID = "66666666-7777-4888-9999-aaaaaaaaaaaa"
	ClientID      = "0a1b2c3d-0000-4000-8000-123456789abc"
	AppIDURI      = "api://" + ClientID
	Instance      = "https://login.microsoftonline.com/"
	PersonalTID   = "9188040d-6c67-4c5b-b112-36a304b66dad"
	GraphAud      = "00000003-0000-0000-c000-000000000000"
)

// Env holds the keys of one test run.
type Env struct {
	Now      time.Time
	Good     *rsa.PrivateKey // kid "kA", issuer template of the public cloud
	Attacker *rsa.PrivateKey // not in the key set
	Foreign  *rsa.PrivateKey // kid "kC", issuer names OtherTenantID
	Weak     *rsa.PrivateKey // 1024 bits, kid "kWeak" (skipped by jwk.Parse)
	// JWKS is the key-set document with kA (also by x5t "xA"), kC and kWeak.
	JWKS []byte
}

// NewEnv generates the keys (about a second under -race).
func NewEnv() (*Env, error) {
	e := &Env{Now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	var err error
	for _, p := range []struct {
		dst  **rsa.PrivateKey
		bits int
	}{{&e.Good, 2048}, {&e.Attacker, 2048}, {&e.Foreign, 2048}, {&e.Weak, 1024}} {
		if *p.dst, err = rsa.GenerateKey(rand.Reader, p.bits); err != nil {
			return nil, err
		}
	}
	keys := []map[string]any{
		JWK(&e.Good.PublicKey, "kA", "xA", "https://login.microsoftonline.com/{tenantid}/v2.0"),
		JWK(&e.Foreign.PublicKey, "kC", "", "https://login.microsoftonline.com/"+OtherTenantID+"/v2.0"),
		JWK(&e.Weak.PublicKey, "kWeak", "", ""),
	}
	e.JWKS, err = json.Marshal(map[string]any{"keys": keys})
	return e, err
}

// JWK renders a public key as an Entra-style JWK object.
func JWK(pub *rsa.PublicKey, kid, x5t, issuer string) map[string]any {
	m := map[string]any{
		"kty": "RSA", "use": "sig",
		"n": B64(pub.N.Bytes()),
		"e": B64(big.NewInt(int64(pub.E)).Bytes()),
	}
	if kid != "" {
		m["kid"] = kid
	}
	if x5t != "" {
		m["x5t"] = x5t
	}
	if issuer != "" {
		m["issuer"] = issuer
	}
	return m
}

// B64 is unpadded base64url.
func B64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Sign builds a compact JWS from raw header and payload JSON texts, signed
// with key under alg (RS256/384/512, PS256, or HS256/HS512 with hmacKey).
func Sign(header, payload string, alg string, key *rsa.PrivateKey, hmacKey []byte) string {
	in := B64([]byte(header)) + "." + B64([]byte(payload))
	var sig []byte
	var err error
	switch alg {
	case "RS256", "RS384", "RS512", "PS256":
		h := map[string]crypto.Hash{"RS256": crypto.SHA256, "RS384": crypto.SHA384, "RS512": crypto.SHA512, "PS256": crypto.SHA256}[alg]
		hh := h.New()
		hh.Write([]byte(in))
		if strings.HasPrefix(alg, "PS") {
			sig, err = rsa.SignPSS(rand.Reader, key, h, hh.Sum(nil), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, key, h, hh.Sum(nil))
		}
	case "HS256":
		m := hmac.New(sha256.New, hmacKey)
		m.Write([]byte(in))
		sig = m.Sum(nil)
	case "HS512":
		m := hmac.New(sha512.New, hmacKey)
		m.Write([]byte(in))
		sig = m.Sum(nil)
	case "":
	default:
		err = fmt.Errorf("unsupported alg %s", alg)
	}
	if err != nil {
		panic(err)
	}
	return in + "." + B64(sig)
}

// PublicPEM is the PEM text of a public key (the HS256 key-confusion attack
// uses it as the HMAC secret).
func PublicPEM(pub *rsa.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// Claims is a mutable claim set rendered in a stable order.
type Claims map[string]any

// JSON renders the claims.
func (c Claims) JSON() string {
	b, err := json.Marshal(map[string]any(c))
	if err != nil {
		panic(err)
	}
	return string(b)
}

// V2 returns valid v2 delegated claims for TenantID at env.Now.
func (e *Env) V2() Claims {
	n := e.Now.Unix()
	return Claims{
		"aud": ClientID, "iss": Instance + TenantID + "/v2.0", "tid": TenantID, "ver": "2.0",
		"iat": n - 60, "nbf": n - 60, "exp": n + 3600, "oid": "0000aaaa-0000-4000-8000-000000000001",
		"sub": "subject-1", "azp": "cccccccc-0000-4000-8000-000000000002", "scp": "access_as_user User.Read",
		"name": "Test User",
	}
}

// V1 returns valid v1 delegated claims for TenantID at env.Now.
func (e *Env) V1() Claims {
	c := e.V2()
	c["aud"] = AppIDURI
	c["iss"] = "https://sts.windows.net/" + TenantID + "/"
	c["ver"] = "1.0"
	delete(c, "azp")
	c["appid"] = "cccccccc-0000-4000-8000-000000000002"
	return c
}

// Std is the usual RS256 header with kid kA.
const Std = `{"typ":"JWT","alg":"RS256","kid":"kA"}`

// Good signs payload with the good key and the standard header.
func (e *Env) GoodToken(c Claims) string { return Sign(Std, c.JSON(), "RS256", e.Good, nil) }
