package validate_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/entragate/entragate/jwk"
	"github.com/entragate/entragate/validate"
	"github.com/entragate/entragate/validate/validatetest"
)

func benchSetup(b *testing.B, cacheEntries int) (*validate.Validator, string, *validatetest.Env) {
	b.Helper()
	env, err := sharedEnv()
	if err != nil {
		b.Fatal(err)
	}
	set, err := jwk.Parse(env.JWKS)
	if err != nil {
		b.Fatal(err)
	}
	v, err := validate.New(validate.Config{TenantID: validatetest.TenantID, ClientID: validatetest.ClientID,
		Keys: validate.SetKeys{Set: set}, CacheEntries: cacheEntries, Now: func() time.Time { return env.Now }})
	if err != nil {
		b.Fatal(err)
	}
	return v, env.GoodToken(env.V2()), env
}

// BenchmarkBareRSAVerify is the floor: hash the signing input and verify.
func BenchmarkBareRSAVerify(b *testing.B) {
	_, tok, env := benchSetup(b, -1)
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := &env.Good.PublicKey
	b.ReportAllocs()
	for b.Loop() {
		sum := sha256.Sum256([]byte(tok[:i]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateNew is full validation without the cache.
func BenchmarkValidateNew(b *testing.B) {
	v, tok, _ := benchSetup(b, -1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateCached is a verified-token cache hit.
func BenchmarkValidateCached(b *testing.B) {
	v, tok, _ := benchSetup(b, 0)
	ctx := context.Background()
	if _, err := v.Validate(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateCachedParallel measures cache contention.
func BenchmarkValidateCachedParallel(b *testing.B) {
	v, tok, _ := benchSetup(b, 0)
	ctx := context.Background()
	if _, err := v.Validate(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Validate(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkValidateNewVsBare interleaves a bare verify and a full validation
// in the same loop and reports their ratio of totals ("x-bare") and of
// fastest runs ("min-x-bare"), which stay meaningful on a busy machine where
// absolute ns/op drift.
func BenchmarkValidateNewVsBare(b *testing.B) {
	v, tok, env := benchSetup(b, -1)
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := &env.Good.PublicKey
	ctx := context.Background()
	var bare, full time.Duration
	minBare, minFull := time.Hour, time.Hour
	for b.Loop() {
		t0 := time.Now()
		sum := sha256.Sum256([]byte(tok[:i]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := v.Validate(ctx, tok); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		bare += t1.Sub(t0)
		full += t2.Sub(t1)
		minBare = min(minBare, t1.Sub(t0))
		minFull = min(minFull, t2.Sub(t1))
	}
	// Minimums are the least disturbed by other load on the machine.
	b.ReportMetric(float64(minFull)/float64(minBare), "min-x-bare")
	b.ReportMetric(float64(full)/float64(bare), "x-bare")
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns/op")
	b.ReportMetric(float64(full.Nanoseconds())/float64(b.N), "validate-ns/op")
}
