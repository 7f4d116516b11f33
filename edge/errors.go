package edge

import (
	"bytes"
	"errors"
	"io"
)

// ErrBodyTooLarge: an outbound request or answer exceeded its cap.
var ErrBodyTooLarge = errors.New("edge: body too large")

// FetchError is a failed fetch (network error, timeout) as the runtime
// reported it.
type FetchError struct {
	Host string
	Msg  string
}

func (e *FetchError) Error() string { return "edge: fetch " + e.Host + ": " + e.Msg }

// StoreError is a failed KV or Cache API call.
type StoreError struct {
	Op  string
	Msg string
}

func (e *StoreError) Error() string { return "edge: " + e.Op + ": " + e.Msg }

// overCapBody is an answer the shim cut at the fetch cap: the bytes it
// kept (the cap plus one), then ErrBodyTooLarge. A caller that reads at
// most its own cap plus one (as gateway, obo and keysource do, natively
// too) sees a body over its cap and reports it as such; one with a larger
// cap gets the error on Read, never from Do.
type overCapBody struct{ r *bytes.Reader }

func newOverCapBody(p []byte) io.ReadCloser { return &overCapBody{r: bytes.NewReader(p)} }

func (b *overCapBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		err = ErrBodyTooLarge
	}
	return n, err
}

func (b *overCapBody) Close() error { return nil }
