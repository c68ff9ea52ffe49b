package gatewaytest

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/node"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/antomgw/antomgw/internal/sqlite"
)

// Defaults of the simulated wallet in a test gateway.
const (
	// DefaultSimDelay is how long the wallet's "later" takes (9901, 9903,
	// 9904, asynchronous refunds, OrderCode, EntryCode and cashier
	// payments) unless WithSimDelay says otherwise: the wallet's own
	// default, in the gateway's clock, so it passes only when a test
	// advances it.
	DefaultSimDelay = 5 * time.Second
	// DefaultSimHold is how long the 9902 answer is held back unless
	// WithSimHold says otherwise. The hold runs on the real clock (the
	// HTTP edge holds the answer with a timer), so it is kept short.
	DefaultSimHold = 5 * time.Millisecond
)

// Option changes how New builds a gateway.
type Option func(*options)

type options struct {
	clock       *Clock
	simDelay    time.Duration
	simHold     time.Duration
	gatewayKey  *rsa.PrivateKey
	merchantKey *rsa.PrivateKey
	clientID    string
	config      []func(*node.Config)
	service     []func(*gateway.Service)
	store       []func(gateway.Store) gateway.Store
	processor   []func(gateway.Processor) gateway.Processor
	workers     bool
}

// WithClock runs the gateway on c instead of a new stopped clock
// (NewClock(time.Time{})): pass a NewWallClock for tests whose other party
// waits on real time.
func WithClock(c *Clock) Option { return func(o *options) { o.clock = c } }

// WithSimDelay sets how long the simulated wallet's "later" takes
// (DefaultSimDelay otherwise).
func WithSimDelay(d time.Duration) Option { return func(o *options) { o.simDelay = d } }

// WithSimHold sets how long the simulated wallet holds back the 9902
// answer, on the real clock (DefaultSimHold otherwise).
func WithSimHold(d time.Duration) Option { return func(o *options) { o.simHold = d } }

// WithCancelWindow sets how long after success a payment may be cancelled
// (gateway.Service.CancelWindow; 24h otherwise).
func WithCancelWindow(d time.Duration) Option {
	return WithConfig(func(c *node.Config) { c.CancelWindow = d })
}

// WithRefundWindow sets how long after success a payment may be refunded
// (gateway.Service.RefundWindow; 365 days otherwise).
func WithRefundWindow(d time.Duration) Option {
	return WithConfig(func(c *node.Config) { c.RefundWindow = d })
}

// WithPaymentExpiry sets how long a payment may stay PROCESSING when its
// request sets no paymentExpiryTime (gateway.Service.PaymentExpiry; 14m
// otherwise).
func WithPaymentExpiry(d time.Duration) Option {
	return WithConfig(func(c *node.Config) { c.PaymentExpiry = d })
}

// WithMaxBody sets the largest request body accepted
// (httpapi.Server.MaxBody; 1 MiB otherwise).
func WithMaxBody(n int64) Option { return WithConfig(func(c *node.Config) { c.MaxBody = n }) }

// WithClockSkew makes the API refuse requests whose Request-Time is
// further than d from the gateway's clock (httpapi.Server.MaxClockSkew;
// off otherwise). Requests sent with Do carry the gateway's clock.
func WithClockSkew(d time.Duration) Option {
	return WithConfig(func(c *node.Config) { c.MaxClockSkew = d })
}

// WithNotifySchedule sets the notification retry schedule
// (gateway.AntomSchedule otherwise).
func WithNotifySchedule(s gateway.RetrySchedule) Option {
	return WithConfig(func(c *node.Config) { c.NotifySchedule = s })
}

// WithLog sends the logs of every part (API, use cases, workers) to l;
// they are discarded otherwise.
func WithLog(l *slog.Logger) Option { return WithConfig(func(c *node.Config) { c.Log = l }) }

// WithConfig changes the node's configuration before the node is built,
// after New has filled it in (store, processor, clock) and after the
// options before it. Notification delivery to loopback and private
// addresses is allowed by default, for merchants on httptest servers.
func WithConfig(f func(*node.Config)) Option {
	return func(o *options) { o.config = append(o.config, f) }
}

// WithService changes the use cases after the node is built and before the
// server starts, for settings the node's configuration does not carry
// (gateway.Service.ResolveAfter, JobLease, NewID …).
func WithService(f func(*gateway.Service)) Option {
	return func(o *options) { o.service = append(o.service, f) }
}

// WithStore wraps the store every part of the gateway uses (to watch or
// delay its calls). Gateway.Store still returns the SQLite store itself.
func WithStore(wrap func(gateway.Store) gateway.Store) Option {
	return func(o *options) { o.store = append(o.store, wrap) }
}

// WithProcessor wraps the processor (the simulated wallet), e.g. to count
// its calls or to make it fail. Gateway.Wallet still returns the wallet.
func WithProcessor(wrap func(gateway.Processor) gateway.Processor) Option {
	return func(o *options) { o.processor = append(o.processor, wrap) }
}

// WithGatewayKey makes k the gateway's key version 1 instead of
// GatewayKey().
func WithGatewayKey(k *rsa.PrivateKey) Option { return func(o *options) { o.gatewayKey = k } }

// WithMerchantKey registers k as the client's key version 1 instead of
// MerchantKey(); it signs every request Do sends and the Client's.
func WithMerchantKey(k *rsa.PrivateKey) Option { return func(o *options) { o.merchantKey = k } }

// WithClientID registers the client under id instead of ClientID.
func WithClientID(id string) Option { return func(o *options) { o.clientID = id } }

// WithWorkers runs the gateway's workers in the background, as antomgw
// serve does, each looking for due work every 10ms, until the test ends.
// It is for tests on a NewWallClock whose other party waits on real time;
// tests on a stopped clock step the workers with Advance instead.
func WithWorkers() Option { return func(o *options) { o.workers = true } }

// Gateway is a gateway running in the test's process: the HTTP API, the use
// cases and both workers of one node (the same parts antomgw serve wires),
// on a SQLite store in a temporary directory, with the simulated wallet as
// processor, everything on one Clock, served by an httptest.Server on
// loopback. One client is registered. Its workers run only when the test
// steps them (Advance, Step), unless WithWorkers is given. Everything is
// closed when the test ends. Its methods are safe for concurrent use,
// except the ones that fail the test (those taking a testing.TB), which
// must be called from the goroutine running that test.
type Gateway struct {
	clock    *Clock
	store    *sqlite.Store
	node     *node.Node
	wallet   *sim.Wallet
	srv      *httptest.Server
	clientID string
	merchant *rsa.PrivateKey
	gwKey    *rsa.PrivateKey
	// merchantOf is the registered client as a Merchant.
	merchantOf *Merchant
}

// New starts a gateway for the test tb and stops it when tb ends. It fails
// the test when the gateway cannot be built.
func New(tb testing.TB, opts ...Option) *Gateway {
	tb.Helper()
	o := options{simDelay: DefaultSimDelay, simHold: DefaultSimHold,
		gatewayKey: GatewayKey(), merchantKey: MerchantKey(), clientID: ClientID}
	for _, opt := range opts {
		opt(&o)
	}
	if o.clock == nil {
		o.clock = NewClock(time.Time{})
	}
	ctx := context.Background()
	g := &Gateway{clock: o.clock, clientID: o.clientID, merchant: o.merchantKey, gwKey: o.gatewayKey}

	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "antomgw.db"), sqlite.Options{Synchronous: "NORMAL", Now: o.clock.Now})
	if err != nil {
		tb.Fatalf("gatewaytest: open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	g.store = st
	der, err := x509.MarshalPKCS8PrivateKey(o.gatewayKey)
	if err != nil {
		tb.Fatalf("gatewaytest: gateway key: %v", err)
	}
	now := o.clock.Now()
	if _, err := st.AddGatewayKey(ctx, der, now, false); err != nil {
		tb.Fatalf("gatewaytest: add gateway key: %v", err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&o.merchantKey.PublicKey)
	if err != nil {
		tb.Fatalf("gatewaytest: merchant key: %v", err)
	}
	if err := st.AddClient(ctx, gateway.Client{ID: o.clientID, CreatedAt: now},
		gateway.ClientKey{ClientID: o.clientID, Version: 1, PublicKey: spki, CreatedAt: now}); err != nil {
		tb.Fatalf("gatewaytest: add client: %v", err)
	}

	g.wallet = &sim.Wallet{Delay: o.simDelay, Hold: o.simHold, Now: o.clock.Now, Marks: st}
	var store gateway.Store = st
	for _, wrap := range o.store {
		store = wrap(store)
	}
	var proc gateway.Processor = g.wallet
	for _, wrap := range o.processor {
		proc = wrap(proc)
	}
	// Listen first: the wallet pages' links need the address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("gatewaytest: listen: %v", err)
	}
	cfg := node.Config{
		Store: store, Processor: proc, Now: o.clock.Now,
		NotifyAllowPrivate: true, NotifyPoll: 10 * time.Millisecond, JobInterval: 10 * time.Millisecond,
		PublicURL: "http://" + ln.Addr().String(), Console: true,
	}
	for _, f := range o.config {
		f(&cfg)
	}
	n, err := node.New(ctx, cfg)
	if err != nil {
		ln.Close()
		tb.Fatalf("gatewaytest: %v", err)
	}
	g.wallet.CheckoutURL = n.Wallet.CheckoutURL
	if n.ActiveKey == nil || n.ActiveKey.Version != 1 {
		tb.Fatalf("gatewaytest: the active gateway key is %+v, want the test key as version 1", n.ActiveKey)
	}
	for _, f := range o.service {
		f(n.Service)
	}
	g.node = n
	g.srv = httptest.NewUnstartedServer(n.Handler())
	g.srv.Listener.Close()
	g.srv.Listener = ln
	g.srv.Start()
	tb.Cleanup(g.srv.Close)
	g.merchantOf = &Merchant{URL: g.srv.URL, ClientID: o.clientID, Key: o.merchantKey,
		GatewayKeys: g.GatewayPublicKeys(), Now: o.clock.Now, moreKeys: g.storeGatewayKey}
	if o.workers {
		wctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { n.Run(wctx) })
		tb.Cleanup(func() {
			stop()
			wg.Wait()
		})
	}
	return g
}

// URL returns the gateway's base URL, "http://127.0.0.1:PORT".
func (g *Gateway) URL() string { return g.srv.URL }

// Addr returns the address the gateway listens on, "127.0.0.1:PORT", for
// tests that write raw bytes to it.
func (g *Gateway) Addr() string { return g.srv.Listener.Addr().String() }

// Server returns the httptest.Server serving the API.
func (g *Gateway) Server() *httptest.Server { return g.srv }

// Clock returns the gateway's clock. Moving it with Clock.Advance moves
// time without running what became due; Gateway.Advance does both.
func (g *Gateway) Clock() *Clock { return g.clock }

// Now returns the gateway's current time.
func (g *Gateway) Now() time.Time { return g.clock.Now() }

// Store returns the gateway's SQLite store (not wrapped by WithStore), for
// the questions a test asks the store directly.
func (g *Gateway) Store() *sqlite.Store { return g.store }

// Service returns the gateway's use cases.
func (g *Gateway) Service() *gateway.Service { return g.node.Service }

// Node returns the gateway's parts: the API handler, the notification
// worker, the key ring, the metrics.
func (g *Gateway) Node() *node.Node { return g.node }

// Wallet returns the simulated wallet (not wrapped by WithProcessor).
func (g *Gateway) Wallet() *sim.Wallet { return g.wallet }

// ClientID returns the id of the registered client.
func (g *Gateway) ClientID() string { return g.clientID }

// MerchantKey returns the registered client's private key (version 1).
func (g *Gateway) MerchantKey() *rsa.PrivateKey { return g.merchant }

// GatewayKey returns the gateway's private key version 1, which signs its
// answers until a test rotates it.
func (g *Gateway) GatewayKey() *rsa.PrivateKey { return g.gwKey }

// GatewayPublicKeys returns the gateway's public keys by version as a
// merchant installs them: version 1 only, the key the test gave.
func (g *Gateway) GatewayPublicKeys() map[int]*rsa.PublicKey {
	return map[int]*rsa.PublicKey{1: &g.gwKey.PublicKey}
}

// Client returns an SDK client of the registered client for the gateway:
// its key, the gateway's public keys, the gateway's URL and its clock for
// Request-Time. Each option then changes the Config. It fails the test when
// NewClient refuses the Config.
func (g *Gateway) Client(tb testing.TB, opts ...func(*antomgw.Config)) *antomgw.Client {
	tb.Helper()
	cfg := antomgw.Config{
		ClientID:    g.clientID,
		PrivateKey:  g.merchant,
		GatewayKeys: g.GatewayPublicKeys(),
		BaseURL:     g.srv.URL,
		Now:         g.clock.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := antomgw.NewClient(cfg)
	if err != nil {
		tb.Fatalf("gatewaytest: NewClient: %v", err)
	}
	return c
}

// RequestTime returns a Request-Time on the gateway's clock, a millisecond
// later than the one before it (see Merchant.RequestTime).
func (g *Gateway) RequestTime() string { return g.merchantOf.RequestTime() }

// Sign returns the Signature header the registered client sends for
// content (see Merchant.Sign).
func (g *Gateway) Sign(content []byte) (string, error) { return g.merchantOf.Sign(content) }

// Advance moves the clock forward by d, then carries out what became due,
// as Step does. It returns how many delayed transitions ran and how many
// notification attempts were made.
func (g *Gateway) Advance(tb testing.TB, d time.Duration) (jobs, attempts int) {
	tb.Helper()
	g.clock.Advance(d)
	return g.Step(tb)
}

// Step carries out what is due now without moving the clock: first the
// delayed transitions (RunJobs), then the notifications, including the
// ones those transitions created (DeliverNotifications).
func (g *Gateway) Step(tb testing.TB) (jobs, attempts int) {
	tb.Helper()
	jobs = g.RunJobs(tb)
	attempts = g.DeliverNotifications(tb)
	return jobs, attempts
}

// RunJobs carries out every delayed transition due now (settling
// payments and refunds, closing expired payments) and returns how many
// ran, obsolete ones included. It fails the test when one fails.
func (g *Gateway) RunJobs(tb testing.TB) int {
	tb.Helper()
	const batch = 64
	total := 0
	for {
		n, err := g.node.Service.RunJobs(context.Background(), batch)
		total += n
		if err != nil {
			tb.Fatalf("gatewaytest: delayed transitions: %v", err)
		}
		if n < batch {
			return total
		}
	}
}

// DeliverNotifications makes one delivery attempt of every notification
// due now, waits for the attempts, and returns how many it made. Attempts
// that fail are rescheduled on the retry schedule, in the gateway's clock.
func (g *Gateway) DeliverNotifications(tb testing.TB) int {
	tb.Helper()
	n, err := g.node.Notifier.DeliverDue(context.Background())
	if err != nil {
		tb.Fatalf("gatewaytest: deliver notifications: %v", err)
	}
	return n
}
