package edge

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestOverCapBody: a reader capped at the fetch cap sees cap+1 bytes and no
// error (so it reports "too large" as natively); reading past them fails on
// Read with ErrBodyTooLarge.
func TestOverCapBody(t *testing.T) {
	const limit = 1 << 10
	kept := bytes.Repeat([]byte("x"), limit+1)
	p, err := io.ReadAll(io.LimitReader(newOverCapBody(kept), limit+1))
	if err != nil || len(p) != limit+1 {
		t.Fatalf("capped read: %d bytes, %v", len(p), err)
	}
	p, err = io.ReadAll(newOverCapBody(kept))
	if !errors.Is(err, ErrBodyTooLarge) || len(p) != limit+1 {
		t.Fatalf("full read: %d bytes, %v", len(p), err)
	}
	if fetchCap(0) != MaxFetchBytes || fetchCap(4<<20) != MaxFetchBytes || fetchCap(64<<10) != 64<<10 {
		t.Fatal("fetchCap")
	}
}
