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
	"sync/atomic"
	"time"
)

// Limits bound the API's connections (Config.Limits). The zero value of
// each field is its default.
type Limits struct {
	// ReadHeaderTimeout is how long a request's headers may take to
	// arrive, from the connection's accept or the end of its previous
	// request's idle wait. Defaults to 10s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout is how long a whole request, headers and body, may take
	// to arrive. Defaults to 30s.
	ReadTimeout time.Duration
	// WriteTimeout is how long writing an answer may take, from its first
	// byte: a client that does not read its answer is cut off then. The
	// time the gateway takes to decide the answer (a payment, the 9902
	// hold) does not count, so a slow but legitimate answer is never lost
	// to it. Defaults to 15s.
	WriteTimeout time.Duration
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request. Defaults to 60s.
	IdleTimeout time.Duration
	// MaxConns is how many connections may be open at once; at the cap,
	// the one waiting longest for a request to be served (idle, or still
	// sending one) is closed for a new one (see connLimiter). Defaults to
	// 512.
	MaxConns int
}

// Defaults of Limits. The read timeouts count time a request waits for
// a CPU too, not only for the network: on a saturated machine a request
// whose bytes have long arrived can pass them, and is then dropped
// unanswered. They are sized so that only a client that is really slow
// meets them; the connection cap, not the timeouts, is what bounds the
// cost of slow clients.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultMaxConns          = 512
	DefaultWriteTimeout      = 15 * time.Second
)

// Check reports a limit given on antomgw serve's command line that cannot
// work, naming its flag: every one must be positive.
func (l Limits) Check() error {
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--read-header-timeout", l.ReadHeaderTimeout}, {"--read-timeout", l.ReadTimeout}, {"--write-timeout", l.WriteTimeout}, {"--idle-timeout", l.IdleTimeout}} {
		if d.v <= 0 {
			return fmt.Errorf("%s %s: want a positive duration", d.flag, d.v)
		}
	}
	if l.MaxConns <= 0 {
		return fmt.Errorf("--max-conns %d: want a positive number", l.MaxConns)
	}
	if w := l.withDefaults(); w.ReadTimeout < w.ReadHeaderTimeout {
		return fmt.Errorf("--read-timeout %s is shorter than --read-header-timeout %s; a request's whole read includes its headers", w.ReadTimeout, w.ReadHeaderTimeout)
	}
	return nil
}

// withDefaults returns l with its zero fields set to their defaults.
func (l Limits) withDefaults() Limits {
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = DefaultReadTimeout
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = DefaultWriteTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = DefaultIdleTimeout
	}
	if l.MaxConns <= 0 {
		l.MaxConns = DefaultMaxConns
	}
	return l
}

// Serve serves Handler on ln (over TLS when tlsConfig is set) and runs the
// workers until ctx ends. Connections are bounded by the node's Limits:
// timeouts for headers, whole requests, answers and idle keep-alives, and
// a cap on open connections (see connLimiter). Then it drains: /readyz
// answers 503, the requests in flight get shutdownTimeout to finish (and
// are cut off after), and the workers finish what they hold. It returns
// nil after such a shutdown, or the error that stopped serving.
func (n *Node) Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config, shutdownTimeout time.Duration) error {
	lim := n.limits.withDefaults()
	conns := newConnLimiter(lim.MaxConns)
	var lastWarn atomic.Int64
	conns.onEvict = func() {
		n.Metrics.ConnectionsEvicted.Inc()
		if now, last := time.Now().UnixNano(), lastWarn.Load(); now-last >= int64(time.Minute) && lastWarn.CompareAndSwap(last, now) {
			n.log.Warn("connections at --max-conns: closing the one waiting longest for a request to be served (idle, or still sending one) for each new one (counted in antomgw_connections_evicted_total; logged at most once a minute)",
				"max_conns", lim.MaxConns)
		}
	}
	n.Metrics.WatchConnections(conns.open)
	srv := &http.Server{
		Handler:           conns.handler(writeDeadline(n.Handler(), lim.WriteTimeout)),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		IdleTimeout:       lim.IdleTimeout,
		ConnContext:       connContext,
		ConnState:         conns.connState,
		ErrorLog:          slog.NewLogLogger(n.log.Handler(), slog.LevelWarn),
	}
	ln = conns.listener(ln)
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

// writeDeadline gives each answer d to be written, from its first byte,
// instead of http.Server's WriteTimeout, which counts from the end of the
// request's headers and so would cut off an answer that took long to
// decide (a payment waiting for the database, the 9902 hold): a payment
// made but never answered. While the handler decides, the connection has
// no write deadline.
func writeDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		rc.SetWriteDeadline(time.Time{}) // a keep-alive's previous answer set one
		h.ServeHTTP(&deadlineWriter{ResponseWriter: w, rc: rc, d: d}, r)
	})
}

// deadlineWriter sets the write deadline when the answer starts.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	d       time.Duration
	started bool
}

func (w *deadlineWriter) start() {
	if !w.started {
		w.started = true
		w.rc.SetWriteDeadline(time.Now().Add(w.d))
	}
}

func (w *deadlineWriter) WriteHeader(code int) {
	if code >= 200 { // not for 1xx informational answers
		w.start()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	w.start()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
