package emulator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// ServeOptions configures Serve.
type ServeOptions struct {
	HTTPAddr  string // e.g. "127.0.0.1:8081" (required)
	HTTPSAddr string // e.g. "127.0.0.1:8443"; "" disables HTTPS
	// CAFile receives the CA certificate (PEM) for the HTTPS listener.
	// Required when HTTPSAddr is set.
	CAFile string
	// BaseURL overrides the issuer base; default "http://" + the bound HTTP address.
	BaseURL string
	// Ready, if set, is called once both listeners are bound.
	Ready func(httpURL, httpsURL string)
	// ShutdownTimeout bounds graceful shutdown (default 10s).
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
}

// Serve binds the listeners, serves the emulator until ctx is done, then
// shuts down gracefully.
func Serve(ctx context.Context, e *Emulator, o ServeOptions) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
	hl, err := net.Listen("tcp", o.HTTPAddr)
	if err != nil {
		return fmt.Errorf("emulator: listen http: %w", err)
	}
	httpURL := "http://" + hl.Addr().String()
	base := o.BaseURL
	if base == "" {
		base = httpURL
	}
	if err := e.setBase(base); err != nil {
		hl.Close()
		return err
	}
	h := e.Handler()
	servers := []*http.Server{newServer(h, nil)}
	listeners := []net.Listener{hl}
	httpsURL := ""
	if o.HTTPSAddr != "" {
		if o.CAFile == "" {
			hl.Close()
			return fmt.Errorf("%w: HTTPS needs a CA file path", ErrInvalidConfig)
		}
		certs, err := NewCertificates(time.Now())
		if err != nil {
			hl.Close()
			return err
		}
		if err := writeCAFile(o.CAFile, certs.CAPEM); err != nil {
			hl.Close()
			return fmt.Errorf("emulator: write CA file: %w", err)
		}
		tl, err := net.Listen("tcp", o.HTTPSAddr)
		if err != nil {
			hl.Close()
			return fmt.Errorf("emulator: listen https: %w", err)
		}
		httpsURL = "https://" + tl.Addr().String()
		tcfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{certs.Server}}
		servers = append(servers, newServer(h, tcfg))
		listeners = append(listeners, tls.NewListener(tl, tcfg))
	}
	log.Info("emulator: listening", "http", httpURL, "https", httpsURL, "issuer_base", e.BaseURL(), "ca_file", o.CAFile)
	if o.Ready != nil {
		o.Ready(httpURL, httpsURL)
	}
	errc := make(chan error, len(servers))
	for i := range servers {
		go func(s *http.Server, l net.Listener) {
			if err := s.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
				return
			}
			errc <- nil
		}(servers[i], listeners[i])
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(sctx)
	}
	log.Info("emulator: stopped")
	return serveErr
}

func newServer(h http.Handler, tcfg *tls.Config) *http.Server {
	return &http.Server{
		Handler:           h,
		TLSConfig:         tcfg,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
}

// writeCAFile writes the CA certificate through a new file in the same
// directory and a rename: the rename replaces whatever stands at path (a
// symlink included) instead of writing through it, so another local user
// cannot redirect the write or swap the CA under an open file.
func writeCAFile(path string, pem []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".entragate-ca-*.pem")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(pem)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
	}
	return werr
}
