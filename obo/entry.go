package obo

import (
	"encoding/binary"
	"errors"
	"time"
)

// entry is a cached token plus when it was obtained (for the adaptive margin).
type entry struct {
	tok        Token
	obtainedAt time.Time
}

const entryVersion = 1

var errBadEntry = errors.New("obo: bad cache entry")

// encodeEntry: version, obtainedAt and expiresAt (unix ms), then
// uvarint-length-prefixed token type, scope and access token.
func encodeEntry(e *entry) []byte {
	b := make([]byte, 0, 1+16+3*binary.MaxVarintLen32+len(e.tok.TokenType)+len(e.tok.Scope)+len(e.tok.AccessToken))
	b = append(b, entryVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(e.obtainedAt.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, uint64(e.tok.ExpiresAt.UnixMilli()))
	for _, s := range []string{e.tok.TokenType, e.tok.Scope, e.tok.AccessToken} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func decodeEntry(b []byte) (*entry, error) {
	if len(b) < 17 || b[0] != entryVersion {
		return nil, errBadEntry
	}
	e := &entry{
		obtainedAt: time.UnixMilli(int64(binary.BigEndian.Uint64(b[1:9]))),
	}
	e.tok.ExpiresAt = time.UnixMilli(int64(binary.BigEndian.Uint64(b[9:17])))
	b = b[17:]
	var fields [3]string
	for i := range fields {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, errBadEntry
		}
		if i == 0 && string(b[k:k+int(n)]) == "Bearer" {
			fields[i] = "Bearer" // no allocation for the usual type
		} else {
			fields[i] = string(b[k : k+int(n)])
		}
		b = b[k+int(n):]
	}
	if len(b) != 0 || fields[2] == "" {
		return nil, errBadEntry
	}
	e.tok.TokenType, e.tok.Scope, e.tok.AccessToken = fields[0], fields[1], fields[2]
	return e, nil
}
