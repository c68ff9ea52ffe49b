package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Serve serves Handler on ln (over TLS when tlsConfig is set) and runs the
// workers until ctx ends. Then it drains: /readyz answers 503, the
// requests in flight get shutdownTimeout to finish (and are cut off
// after), and the workers finish what they hold. It returns nil after such
// a shutdown, or the error that stopped serving.
func (n *Node) Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config, shutdownTimeout time.Duration) error {
	srv := &http.Server{
		Handler:           n.Handler(),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(n.log.Handler(), slog.LevelWarn),
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	workerCtx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	workers.Go(func() { n.Run(workerCtx) })
	defer func() {
		stopWorkers()
		workers.Wait()
	}()

	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	n.log.Info("shutting down", "timeout", shutdownTimeout)
	n.Drain()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		n.log.Warn("requests still in flight at the shutdown timeout were cut off", "err", err)
		srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		n.log.Warn("serve", "err", err)
	}
	return nil
}
