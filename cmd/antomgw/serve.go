package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/antomgw/antomgw/internal/cryptobackend"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/httpapi"
	"github.com/antomgw/antomgw/internal/node"
	"github.com/antomgw/antomgw/internal/notify"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/antomgw/antomgw/wire"
)

var serveDoc = helpText("serve")

// serveConfig is everything serve reads from its flags.
type serveConfig struct {
	listen, tlsCert, tlsKey        string
	store                          *storeFlag
	logFormat, logLevel, pprofAddr string
	synchronous                    string
	maxBody                        int64
	maxClockSkew, shutdownTimeout  time.Duration
	simDelay, simHold              time.Duration
	cancelWindow, refundWindow     time.Duration
	paymentExpiry                  time.Duration
	authExpiry                     time.Duration
	notifySchedule                 string
	notifyTimeout, notifyConnect   time.Duration
	notifyAllowPrivate             *bool // nil: on when the listener is loopback
	notifyAllowCIDRs               []netip.Prefix
	notifyConcurrency              int
	notifyPerClient                int
	notifyPerHost                  int
	schedule                       gateway.RetrySchedule
	testClock                      bool
	publicURL, consoleToken        string
	limits                         node.Limits
	refusalRate                    int
	registryRefresh                time.Duration
}

func runServe(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" [--listen ADDR] [--data DIR] [flags]", serveDoc)
	var c serveConfig
	var allowPrivate bool
	var allowCIDRs string
	f.strVar(&c.listen, "listen", "ADDR", "127.0.0.1:8080", "address to listen on; port 0 picks a free port")
	c.store = addStoreFlags(f)
	c.store.create = true
	f.strVar(&c.tlsCert, "tls-cert", "FILE", "", "serve HTTPS (TLS 1.2+) with this certificate (PEM)")
	f.strVar(&c.tlsKey, "tls-key", "FILE", "", "private key of --tls-cert (PEM)")
	f.int64Var(&c.maxBody, "max-body", "BYTES", httpapi.DefaultMaxBody, "largest request body accepted, in bytes")
	f.durVar(&c.maxClockSkew, "max-clock-skew", "DURATION", 0, "refuse a Request-Time further than this from the clock (0: off)")
	f.strVar(&c.logFormat, "log-format", "FORMAT", "text", "log format: text or json")
	f.strVar(&c.logLevel, "log-level", "LEVEL", "info", "log level: debug, info, warn or error (debug logs bodies and strings to sign)")
	f.durVar(&c.simDelay, "sim-delay", "DURATION", 5*time.Second, `how long every "later" of the simulated wallet takes`)
	f.durVar(&c.simHold, "sim-hold", "DURATION", 40*time.Second, "how long the simulated wallet holds back the 9902 answer")
	f.durVar(&c.cancelWindow, "cancel-window", "DURATION", 24*time.Hour, "how long after success a payment may be cancelled")
	f.durVar(&c.refundWindow, "refund-window", "DURATION", 365*24*time.Hour, "how long after success a payment may be refunded")
	f.durVar(&c.paymentExpiry, "payment-expiry", "DURATION", 14*time.Minute, "how long a payment may stay PROCESSING when the request sets no paymentExpiryTime")
	f.durVar(&c.authExpiry, "auth-expiry", "DURATION", 7*24*time.Hour, "how long a successful authorisation (isAuthorization) holds its amount: authExpiryTime is paymentTime plus this")
	f.strVar(&c.notifySchedule, "notify-schedule", "SCHEDULE", "antom", "notification retry schedule: antom (0s,2m,10m,10m,1h,2h,6h,15h), fast (0s,1s,2s,4s,8s,16s,32s,64s), or a comma list of durations")
	f.durVar(&c.notifyTimeout, "notify-timeout", "DURATION", 5*time.Second, "how long one notification attempt may take, connection to last byte")
	f.durVar(&c.notifyConnect, "notify-connect-timeout", "DURATION", 3*time.Second, "how long getting a notification attempt's connection (DNS, TCP, TLS) may take")
	f.boolVar(&allowPrivate, "notify-allow-private", false, "allow notify URLs on loopback and private networks (default: on when --listen is loopback, off otherwise)")
	f.strVar(&allowCIDRs, "notify-allow-cidr", "CIDRS", "", "comma list of prefixes notify URLs may reach whatever their kind, link-local and cloud metadata included (10.1.0.0/16,fd00:1::/64)")
	f.intVar(&c.notifyConcurrency, "notify-concurrency", "N", 64, "notification attempts in flight in all")
	f.intVar(&c.notifyPerClient, "notify-per-client", "N", 8, "notification attempts in flight per client")
	f.intVar(&c.notifyPerHost, "notify-per-host", "N", 4, "notification attempts in flight per host name or IP address, whatever the port")
	f.strVar(&c.synchronous, "synchronous", "MODE", "FULL", "SQLite synchronous mode: FULL (every commit durable) or NORMAL (faster; the last commits may be lost on power failure)")
	f.durVar(&c.shutdownTimeout, "shutdown-timeout", "DURATION", 10*time.Second, "how long to let requests in flight finish on SIGINT/SIGTERM")
	f.durVar(&c.limits.ReadHeaderTimeout, "read-header-timeout", "DURATION", node.DefaultReadHeaderTimeout, "how long a request's headers may take to arrive")
	f.durVar(&c.limits.ReadTimeout, "read-timeout", "DURATION", node.DefaultReadTimeout, "how long a whole request, headers and body, may take to arrive")
	f.durVar(&c.limits.WriteTimeout, "write-timeout", "DURATION", node.DefaultWriteTimeout, "how long writing an answer may take from its first byte (deciding it does not count): a client that does not read is cut off")
	f.durVar(&c.limits.IdleTimeout, "idle-timeout", "DURATION", node.DefaultIdleTimeout, "how long a keep-alive connection may wait for its next request")
	f.intVar(&c.limits.MaxConns, "max-conns", "N", node.DefaultMaxConns, "connections open at once; at the cap the one waiting longest for a request (idle, or still sending one) is closed for a new one")
	f.durVar(&c.registryRefresh, "registry-refresh", "DURATION", time.Second, "a change to clients, keys or scenario rules made by another process (the CLI, another node) reaches this node's requests within this time; this node's console changes apply at once (0: read the registry version on every request)")
	f.intVar(&c.refusalRate, "refusal-rate", "N", 200, "refusals before authentication (unknown client, bad signature or headers) answered in full per second; beyond it, after 100ms, a cached U REQUEST_TRAFFIC_EXCEED_LIMIT or a closed connection (0: no limit)")
	f.boolVar(&c.testClock, "test-clock", false, "run on a test clock that stands still until moved (antomgw clock advance, or the console)")
	f.strVar(&c.publicURL, "public-url", "URL", "", "the gateway's URL as users' browsers reach it, for the wallet pages' links (default: the URL of --listen)")
	f.strVar(&c.consoleToken, "console-token", "TOKEN", "", "ask for this token on the console; required to serve it on a non-loopback listener")
	f.strVar(&c.pprofAddr, "pprof", "ADDR", "", "serve net/http/pprof on this address (off by default; keep it on loopback)")
	f.fromEnv() // every flag above may come from $ANTOMGW_<FLAG>
	if err := f.parse(args); err != nil {
		return err
	}
	schedule, err := gateway.ParseSchedule(c.notifySchedule)
	if err != nil {
		return f.usagef("--notify-schedule: %v", err)
	}
	c.schedule = schedule
	f.Visit(func(fl *flag.Flag) {
		if fl.Name == "notify-allow-private" {
			c.notifyAllowPrivate = &allowPrivate
		}
	})
	if c.notifyAllowCIDRs, err = notify.ParseCIDRs(allowCIDRs); err != nil {
		return f.usagef("--notify-allow-cidr: %v", err)
	}
	for name, v := range map[string]int{"notify-concurrency": c.notifyConcurrency, "notify-per-client": c.notifyPerClient, "notify-per-host": c.notifyPerHost} {
		if v < 1 {
			return f.usagef("--%s %d: want 1 or more", name, v)
		}
	}
	if c.notifyTimeout <= 0 || c.notifyConnect <= 0 {
		return f.usagef("--notify-timeout and --notify-connect-timeout must be positive")
	}
	if c.authExpiry <= 0 {
		return f.usagef("--auth-expiry %s: want a positive duration (default 168h)", c.authExpiry)
	}
	if err := c.limits.Check(); err != nil {
		return f.usagef("%v", err)
	}
	if c.registryRefresh < 0 {
		return f.usagef("--registry-refresh %s: want 0 (every request) or more", c.registryRefresh)
	}
	if c.refusalRate < 0 {
		return f.usagef("--refusal-rate %d: want 0 (no limit) or more", c.refusalRate)
	}
	if c.publicURL != "" {
		if c.publicURL, err = node.ParsePublicURL(c.publicURL); err != nil {
			return f.usagef("--public-url: %v", err)
		}
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return f.usagef("--tls-cert and --tls-key go together")
	}
	log, err := node.NewLogger(e.stderr, c.logFormat, c.logLevel)
	if err != nil {
		return f.usagef("%v", err)
	}
	return serve(ctx, e, log, c)
}

func serve(ctx context.Context, e *env, log *slog.Logger, c serveConfig) error {
	st, info, err := c.store.open(ctx, e, c.synchronous)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, w := range info.Warnings {
		log.Warn(w)
	}
	switch {
	case !info.Sealed:
		log.Warn("gateway keys are stored unsealed in the database: anyone who can read it, or a backup of it, holds the signing keys; give --kek-file or ANTOMGW_KEK to seal new keys, and seal the existing ones with antomgw keys seal, server stopped (see docs/operations.md)")
	case len(info.PlainKeys) > 0:
		log.Warn("gateway key versions stored unsealed although a key-encryption key is given: stop the server and run antomgw keys seal with the same KEK (see docs/operations.md)", "versions", fmt.Sprint(info.PlainKeys))
	}

	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	scheme := "http"
	var tlsConfig *tls.Config
	if c.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		scheme = "https"
	} else if !node.IsLoopback(ln.Addr()) {
		log.Warn("serving plain HTTP on a non-loopback address; Antom traffic must be HTTPS (use --tls-cert and --tls-key)", "addr", ln.Addr().String())
	}
	if c.publicURL == "" {
		c.publicURL = node.BrowsableURL(scheme, ln.Addr())
	}
	// The console is on for loopback listeners; elsewhere only behind a
	// token.
	consoleOn := node.IsLoopback(ln.Addr()) || c.consoleToken != ""
	// Notify URLs on private networks: allowed for local development (a
	// loopback listener), else only with --notify-allow-private.
	allowPrivate, why := node.IsLoopback(ln.Addr()), "the API listens on loopback"
	if c.notifyAllowPrivate != nil {
		allowPrivate, why = *c.notifyAllowPrivate, "--notify-allow-private"
	} else if !allowPrivate {
		why = "the API does not listen on loopback"
	}

	wallet := &sim.Wallet{Delay: c.simDelay, Hold: c.simHold, Marks: st}
	var clock *gateway.Clock
	if c.testClock {
		clock = gateway.NewStoppedClock(time.Now())
		wallet.Now = clock.Now
	}
	n, err := node.New(ctx, node.Config{
		Store: st, Processor: wallet, Log: log, Clock: clock,
		CancelWindow: c.cancelWindow, RefundWindow: c.refundWindow, PaymentExpiry: c.paymentExpiry, AuthExpiry: c.authExpiry,
		NotifySchedule: c.schedule, MaxBody: c.maxBody, MaxClockSkew: c.maxClockSkew,
		NotifyTimeout: c.notifyTimeout, NotifyConnectTimeout: c.notifyConnect, NotifyAllowPrivate: allowPrivate, NotifyAllowCIDRs: c.notifyAllowCIDRs,
		NotifyConcurrency: c.notifyConcurrency, NotifyPerClient: c.notifyPerClient, NotifyPerHost: c.notifyPerHost,
		PublicURL: c.publicURL, Console: consoleOn, ConsoleToken: c.consoleToken,
		Limits: c.limits, RefusalRate: c.refusalRate, RegistryRefresh: c.registryRefresh,
	})
	if err != nil {
		return err
	}
	wallet.CheckoutURL = n.Wallet.CheckoutURL
	if c.pprofAddr != "" {
		stopPprof, err := node.ServePprof(c.pprofAddr, log)
		if err != nil {
			return err
		}
		defer stopPprof()
	}

	log.Info("antomgw listening", "addr", ln.Addr().String(), "url", scheme+"://"+ln.Addr().String(),
		"store", info.Kind, "data", info.Where, "gateway_key_version", n.ActiveKey.Version, "gateway_key_fingerprint", wire.Fingerprint(n.ActiveKey.PublicKey),
		"crypto", cryptobackend.Name())
	if consoleOn {
		log.Info("console", "url", c.publicURL+"/console/", "token_required", c.consoleToken != "")
	} else {
		log.Info("console off: it is served on loopback listeners, or on any listener with --console-token (or ANTOMGW_CONSOLE_TOKEN)")
	}
	log.Info("notify URLs on loopback and private networks", "allowed", allowPrivate, "because", why)
	if clock != nil {
		log.Info("running on a test clock: time moves only with antomgw clock advance or the console", "now", clock.Now())
	}
	if err := n.Serve(ctx, ln, tlsConfig, c.shutdownTimeout); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}
