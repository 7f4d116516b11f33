package edge

import "errors"

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
