package antomgw_test

// The SDK's end-to-end tests run against the real gateway: internal/httpapi
// with gateway.Service, the simulated wallet and a SQLite store, on an
// httptest server in this process. These imports live in _test files only:
// the SDK itself imports nothing but the standard library and wire.

import (
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/antomtest"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/httpapi"
	"github.com/antomgw/antomgw/internal/notify"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/antomgw/antomgw/internal/sqlite"
)

// gw is a real gateway for the SDK to call. Its client antomtest.ClientID
// is registered with antomtest.MerchantKey; it signs with
// antomtest.GatewayKey (version 1).
type gw struct {
	srv    *httptest.Server
	store  *sqlite.Store
	dbPath string
	wallet *sim.Wallet
}

type gwOption func(*gateway.Service, *sim.Wallet)

// withDelay sets how long the wallet's "later" takes (9903, 9904).
func withDelay(d time.Duration) gwOption {
	return func(_ *gateway.Service, w *sim.Wallet) { w.Delay = d }
}

// withHold sets how long the 9902 answer is held back.
func withHold(d time.Duration) gwOption {
	return func(_ *gateway.Service, w *sim.Wallet) { w.Hold = d }
}

// withNotifications renders notification bodies and delivers them on the
// fast schedule.
func withNotifications() gwOption {
	return func(s *gateway.Service, _ *sim.Wallet) {
		s.NotificationBody = notify.Body
		s.NotifySchedule = gateway.FastSchedule
	}
}

func newGateway(tb testing.TB, opts ...gwOption) *gw {
	tb.Helper()
	ctx := context.Background()
	g := &gw{dbPath: filepath.Join(tb.TempDir(), "antomgw.db")}
	st, err := sqlite.Open(ctx, g.dbPath, sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	g.store = st
	der, err := x509.MarshalPKCS8PrivateKey(antomtest.GatewayKey())
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.AddGatewayKey(ctx, der, time.Now(), false); err != nil {
		tb.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&antomtest.MerchantKey().PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now().UTC()
	if err := st.AddClient(ctx, gateway.Client{ID: antomtest.ClientID, CreatedAt: now},
		gateway.ClientKey{ClientID: antomtest.ClientID, Version: 1, PublicKey: spki, CreatedAt: now}); err != nil {
		tb.Fatal(err)
	}
	g.wallet = &sim.Wallet{Delay: time.Hour, Hold: 40 * time.Second, Marks: st}
	svc := &gateway.Service{Store: st, Processor: g.wallet}
	for _, o := range opts {
		o(svc, g.wallet)
	}
	keyring := &gateway.Keyring{Store: st}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { svc.RunWorker(wctx, 10*time.Millisecond, nil) })
	if svc.NotificationBody != nil {
		w := &notify.Worker{Store: st, Keyring: keyring, Schedule: gateway.FastSchedule, AllowPrivate: true, Poll: 10 * time.Millisecond}
		wg.Go(func() { w.Run(wctx) })
	}
	g.srv = httptest.NewServer(&httpapi.Server{Service: svc, Keyring: keyring})
	tb.Cleanup(func() {
		g.srv.Close()
		stop()
		wg.Wait()
		st.Close()
	})
	return g
}

// payments counts the payments of a paymentRequestId in the store.
func (g *gw) payments(tb testing.TB, requestID string) int {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+g.dbPath+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM payments WHERE request_id = ?`, requestID).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// clientOption changes the Config of a test client.
type clientOption func(*antomgw.Config)

func family(f antomgw.PathFamily) clientOption { return func(c *antomgw.Config) { c.Family = f } }

func encrypted(on bool) clientOption { return func(c *antomgw.Config) { c.Encrypt = on } }

// fastRetries makes backoff a millisecond or two, jitter-free.
func fastRetries() clientOption {
	return func(c *antomgw.Config) {
		c.RetryBaseDelay, c.RetryMaxDelay = time.Millisecond, 2*time.Millisecond
		c.JitterFunc = func() float64 { return 0 }
	}
}

// newClient returns an SDK client for baseURL with the test keys.
func newClient(tb testing.TB, baseURL string, opts ...clientOption) *antomgw.Client {
	tb.Helper()
	cfg := antomgw.Config{
		ClientID:    antomtest.ClientID,
		PrivateKey:  antomtest.MerchantKey(),
		GatewayKeys: antomtest.GatewayKeys(),
		BaseURL:     baseURL,
	}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := antomgw.NewClient(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// logTo sends the client's log lines to a buffer the test can read.
func logTo(buf *syncBuffer) clientOption {
	return func(c *antomgw.Config) {
		c.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// exchange is one request and answer seen on the wire.
type exchange struct {
	reqHeader, respHeader http.Header
	reqBody, respBody     []byte
}

// recorder is a RoundTripper that records every exchange and may change
// answers on their way back (to test that the SDK refuses them).
type recorder struct {
	mu       sync.Mutex
	seen     []exchange
	rewrite  func(*http.Response, []byte) []byte
	rewrites atomic.Int64
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		body, _ = io.ReadAll(rc)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if r.rewrite != nil {
		rb = r.rewrite(resp, rb)
		r.rewrites.Add(1)
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	resp.ContentLength = int64(len(rb))
	r.mu.Lock()
	r.seen = append(r.seen, exchange{req.Header.Clone(), resp.Header.Clone(), body, rb})
	r.mu.Unlock()
	return resp, nil
}

func (r *recorder) exchanges() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.seen...)
}

func recordWith(r *recorder) clientOption {
	return func(c *antomgw.Config) { c.HTTPClient = &http.Client{Transport: r} }
}

// seq makes unique request ids within a test binary run.
var seq atomic.Int64

func newID(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", strings.ReplaceAll(prefix, "-", "_"), time.Now().UnixNano(), seq.Add(1))
}

// inStorePay is an AMS v1 in-store PaymentCode pay request.
func inStorePay(id string, value string) *antomgw.PayRequest {
	return &antomgw.PayRequest{
		ProductCode:      antomgw.ProductInStore,
		PaymentRequestID: id,
		Order: &antomgw.Order{ReferenceOrderID: "ORDER_" + id, OrderDescription: "coffee",
			Merchant: []byte(`{"referenceMerchantId":"M1","store":{"referenceStoreId":"STORE_1"}}`)},
		PaymentAmount: antomgw.Amount{Currency: "USD", Value: value},
		PaymentMethod: antomgw.PaymentMethod{PaymentMethodType: "CONNECT_WALLET", PaymentMethodID: "281012345678"},
		PaymentFactor: &antomgw.PaymentFactor{InStorePaymentScenario: antomgw.ScenarioPaymentCode},
	}
}
