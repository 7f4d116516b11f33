package credfile

import "testing"

// FuzzParsePEM: credential files must never panic the loader.
func FuzzParsePEM(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, key, err := ParsePEM(data)
		if err == nil && (len(certs) == 0 || key == nil) {
			t.Fatal("success without certificate and key")
		}
	})
}
