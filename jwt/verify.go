package jwt

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
)

// IsRSAAlg reports whether alg is one Verify implements (RS256/384/512,
// PS256/384/512). Case-sensitive, as JOSE requires.
func IsRSAAlg(alg string) bool {
	_, _, ok := rsaAlg(alg)
	return ok
}

func rsaAlg(alg string) (crypto.Hash, bool, bool) {
	switch alg {
	case "RS256":
		return crypto.SHA256, false, true
	case "RS384":
		return crypto.SHA384, false, true
	case "RS512":
		return crypto.SHA512, false, true
	case "PS256":
		return crypto.SHA256, true, true
	case "PS384":
		return crypto.SHA384, true, true
	case "PS512":
		return crypto.SHA512, true, true
	}
	return 0, false, false
}

// VerifyRSA checks the signature with pub using the algorithm named by the
// header (which the caller must already have checked against its allow-list).
// It returns ErrUnsupportedAlg or ErrSignature (wrapped).
func (t *Token) VerifyRSA(pub *rsa.PublicKey) error {
	h, pss, ok := rsaAlg(t.Header.Alg)
	if !ok || pub == nil {
		return fmt.Errorf("%w: %q", ErrUnsupportedAlg, t.Header.Alg)
	}
	var sum []byte
	switch h {
	case crypto.SHA256:
		s := sha256.Sum256([]byte(t.SigningInput))
		sum = s[:]
	case crypto.SHA384:
		s := sha512.Sum384([]byte(t.SigningInput))
		sum = s[:]
	default:
		s := sha512.Sum512([]byte(t.SigningInput))
		sum = s[:]
	}
	var err error
	if pss {
		err = rsa.VerifyPSS(pub, h, sum, t.Signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h})
	} else {
		err = rsa.VerifyPKCS1v15(pub, h, sum, t.Signature)
	}
	if err != nil {
		return fmt.Errorf("%w", ErrSignature)
	}
	return nil
}
