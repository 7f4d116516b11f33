package obo

import (
	"strings"
	"testing"
)

func TestCacheKey(t *testing.T) {
	base := CacheKey("https://login.microsoftonline.com/", "t", "c", "a.b.c", []string{"User.Read", "Mail.Read"}, "")
	same := []string{
		CacheKey("https://login.microsoftonline.com", "t", "c", "a.b.c", []string{"mail.read", "user.read"}, ""),
		CacheKey("https://login.microsoftonline.com//", "T", "C", "a.b.c", []string{"Mail.Read User.Read", "mail.read"}, ""),
	}
	for i, k := range same {
		if k != base {
			t.Errorf("same %d differs", i)
		}
	}
	diff := []string{
		CacheKey("https://login.microsoftonline.us/", "t", "c", "a.b.c", []string{"User.Read", "Mail.Read"}, ""),
		CacheKey("https://login.microsoftonline.com/", "t2", "c", "a.b.c", []string{"User.Read", "Mail.Read"}, ""),
		CacheKey("https://login.microsoftonline.com/", "t", "c2", "a.b.c", []string{"User.Read", "Mail.Read"}, ""),
		CacheKey("https://login.microsoftonline.com/", "t", "c", "a.b.d", []string{"User.Read", "Mail.Read"}, ""),
		CacheKey("https://login.microsoftonline.com/", "t", "c", "a.b.c", []string{"User.Read"}, ""),
		CacheKey("https://login.microsoftonline.com/", "t", "c", "a.b.c", []string{"User.Read", "Mail.Read"}, "{}"),
	}
	seen := map[string]bool{base: true}
	for i, k := range diff {
		if seen[k] {
			t.Errorf("diff %d collides", i)
		}
		seen[k] = true
	}
	// Field boundaries are unambiguous.
	if CacheKey("i", "ab", "c", "x", nil, "") == CacheKey("i", "a", "bc", "x", nil, "") {
		t.Error("ambiguous encoding")
	}
	if len(base) != 64 || strings.Contains(base, "a.b.c") {
		t.Error("key not a hex digest")
	}
}

func TestNormalizeScopes(t *testing.T) {
	got := strings.Join(NormalizeScopes([]string{" B a ", "A", "", "c\tb"}), ",")
	if got != "a,b,c" {
		t.Fatal(got)
	}
}

func TestEntryRoundTrip(t *testing.T) {
	e := &entry{tok: Token{AccessToken: "x.y.z", TokenType: "Bearer", Scope: "s", ExpiresAt: t0.Add(3600e9)}, obtainedAt: t0}
	got, err := decodeEntry(encodeEntry(e))
	if err != nil || got.tok.AccessToken != e.tok.AccessToken || got.tok.Scope != "s" || got.tok.TokenType != "Bearer" || !got.tok.ExpiresAt.Equal(e.tok.ExpiresAt) || !got.obtainedAt.Equal(t0) {
		t.Fatalf("%v %+v", err, got)
	}
	b := encodeEntry(e)
	for i := range len(b) {
		if _, err := decodeEntry(b[:i]); err == nil {
			t.Fatalf("truncated at %d accepted", i)
		}
	}
}
