package obo

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"
)

func testCert(t testing.TB, bits int) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "entragate test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func TestCertificateCredential(t *testing.T) {
	cert, key := testCert(t, 2048)
	for _, ps := range []bool{false, true} {
		t.Run(fmt.Sprint("PS256=", ps), func(t *testing.T) {
			cred, err := NewCertificateCredential([]*x509.Certificate{cert}, key, CertificateOptions{PS256: ps, SendX5C: true})
			if err != nil {
				t.Fatal(err)
			}
			form := url.Values{}
			p := CredentialParams{ClientID: testClient, TokenEndpoint: "https://login.example/t/oauth2/v2.0/token", Now: t0}
			if err := cred.Apply(bg, p, form); err != nil {
				t.Fatal(err)
			}
			if form.Get("client_assertion_type") != ClientAssertionType || form.Get("client_secret") != "" {
				t.Fatal(form)
			}
			a := form.Get("client_assertion")
			parts := strings.Split(a, ".")
			if len(parts) != 3 {
				t.Fatal("not a JWS")
			}
			var hdr map[string]any
			var cl map[string]any
			hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
			cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
			if json.Unmarshal(hb, &hdr) != nil || json.Unmarshal(cb, &cl) != nil {
				t.Fatal("bad json")
			}
			s256 := sha256.Sum256(cert.Raw)
			wantAlg := map[bool]string{false: "RS256", true: "PS256"}[ps]
			if hdr["alg"] != wantAlg || hdr["typ"] != "JWT" || hdr["x5t#S256"] != base64.RawURLEncoding.EncodeToString(s256[:]) || hdr["x5c"] == nil {
				t.Fatalf("header %v", hdr)
			}
			if cl["aud"] != p.TokenEndpoint || cl["iss"] != testClient || cl["sub"] != testClient ||
				cl["nbf"].(float64) != float64(t0.Unix()) || cl["iat"].(float64) != float64(t0.Unix()) ||
				cl["exp"].(float64) != float64(t0.Add(5*time.Minute).Unix()) || len(cl["jti"].(string)) != 32 {
				t.Fatalf("claims %v", cl)
			}
			sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
			d := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
			if ps {
				err = rsa.VerifyPSS(&key.PublicKey, crypto.SHA256, d[:], sig, nil)
			} else {
				err = rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, d[:], sig)
			}
			if err != nil {
				t.Fatal("signature:", err)
			}
			form2 := url.Values{}
			_ = cred.Apply(bg, p, form2)
			if form2.Get("client_assertion") == a {
				t.Fatal("jti not unique")
			}
		})
	}
	_, other := testCert(t, 2048)
	if _, err := NewCertificateCredential([]*x509.Certificate{cert}, other, CertificateOptions{}); !errors.Is(err, ErrConfig) {
		t.Fatal("mismatched key accepted")
	}
	if _, err := NewCertificateCredential([]*x509.Certificate{cert}, key, CertificateOptions{Lifetime: time.Hour}); !errors.Is(err, ErrConfig) {
		t.Fatal("long lifetime accepted")
	}
	small, skey := testCert(t, 1024)
	if _, err := NewCertificateCredential([]*x509.Certificate{small}, skey, CertificateOptions{}); !errors.Is(err, ErrConfig) {
		t.Fatal("1024-bit key accepted")
	}
}

func TestAssertionCredential(t *testing.T) {
	n := 0
	cred, err := NewAssertionCredential(func(context.Context) (string, error) {
		n++
		if n == 3 {
			return "", errors.New("file gone")
		}
		return fmt.Sprintf(" h.fed%d.s\n", n), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		form := url.Values{}
		if err := cred.Apply(bg, CredentialParams{}, form); err != nil || form.Get("client_assertion") != fmt.Sprintf("h.fed%d.s", i) ||
			form.Get("client_assertion_type") != ClientAssertionType {
			t.Fatalf("%v %v", err, form)
		}
	}
	if err := cred.Apply(bg, CredentialParams{}, url.Values{}); !errors.Is(err, ErrCredential) {
		t.Fatal(err)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	cred, _ := NewClientSecret("top-secret")
	for _, s := range []string{fmt.Sprint(cred), fmt.Sprintf("%v %+v %#v %s", cred, cred, cred, cred)} {
		if strings.Contains(s, "top-secret") {
			t.Fatal("secret printed")
		}
	}
	if _, err := NewClientSecret(""); !errors.Is(err, ErrConfig) {
		t.Fatal("empty secret accepted")
	}
}

func TestCertificateThroughClient(t *testing.T) {
	cert, key := testCert(t, 2048)
	cred, err := NewCertificateCredential([]*x509.Certificate{cert}, key, CertificateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeEndpoint(t)
	c := newTestClient(t, f, newClock(), func(cfg *Config) { cfg.Credential = cred })
	if _, err := c.Token(bg, Request{Assertion: jwtLike("a"), Scopes: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	form := f.lastForm()
	a := strings.Split(form.Get("client_assertion"), ".")
	cb, _ := base64.RawURLEncoding.DecodeString(a[1])
	if !strings.Contains(string(cb), `"aud":"`+c.TokenEndpoint(testTenant)+`"`) || form.Get("client_secret") != "" {
		t.Fatalf("claims %s", cb)
	}
}
