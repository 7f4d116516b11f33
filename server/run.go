package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
)

// ErrKeysAtStartup is returned by Run when Keys.FailOnStartup is set and
// the signing keys cannot be loaded within Keys.StartupTimeout.
var ErrKeysAtStartup = errors.New("server: signing keys could not be loaded at start-up")

// Run loads keys (failing fast when Keys.FailOnStartup), starts the key
// refresh loop, and serves on ln (or on Server.Listen when ln is nil) until
// ctx is done; then it shuts down gracefully within Server.ShutdownTimeout.
// Until keys load, protected routes answer 503 + Retry-After.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	sc := s.cfg.Server
	if s.cfg.Keys.FailOnStartup {
		sctx, cancel := context.WithTimeout(ctx, s.cfg.Keys.StartupTimeout)
		err := s.Keys.Refresh(sctx)
		cancel()
		if err != nil {
			return fmt.Errorf("%w (Keys.FailOnStartup is set): %w", ErrKeysAtStartup, err)
		}
	}
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", sc.Listen); err != nil {
			return fmt.Errorf("server: listen on %s: %w", sc.Listen, err)
		}
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: sc.ReadHeaderTimeout,
		ReadTimeout:       sc.ReadTimeout,
		WriteTimeout:      sc.WriteTimeout,
		IdleTimeout:       sc.IdleTimeout,
		MaxHeaderBytes:    sc.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	rctx, stopKeys := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.Keys.Run(rctx) }()
	defer func() { stopKeys(); wg.Wait() }()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("entragate gateway listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", sc.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), sc.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("server: graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}
