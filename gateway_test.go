package antomgw_test

// The SDK's end-to-end tests run against the real gateway:
// internal/gatewaytest's in-process gateway (the node antomgw serve runs:
// the HTTP API, the use cases, the simulated wallet, a SQLite store and the
// two workers) on an httptest server. These imports live in _test files
// only: the SDK itself imports nothing but the standard library and wire.
//
// The gateway runs on the real clock, with its workers in the background:
// what these tests check (timeouts, retries, ResolvePayment's polls) runs
// on the SDK's real timers, so the gateway's delays pass in real time too.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/antomtest"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
)

// gw is a real gateway for the SDK to call. Its client antomtest.ClientID
// is registered with antomtest.MerchantKey; it signs with
// antomtest.GatewayKey (version 1).
type gw struct {
	*gatewaytest.Gateway
	srv *httptest.Server
}

type gwOption = gatewaytest.Option

// withDelay sets how long the wallet's "later" takes (9903, 9904); an hour
// otherwise.
func withDelay(d time.Duration) gwOption { return gatewaytest.WithSimDelay(d) }

// withHold sets how long the 9902 answer is held back; 40s otherwise.
func withHold(d time.Duration) gwOption { return gatewaytest.WithSimHold(d) }

// withNotifications delivers notifications on the fast schedule.
func withNotifications() gwOption { return gatewaytest.WithNotifySchedule(gateway.FastSchedule) }

func newGateway(tb testing.TB, opts ...gwOption) *gw {
	tb.Helper()
	g := gatewaytest.New(tb, append([]gatewaytest.Option{
		gatewaytest.WithClock(gatewaytest.NewWallClock()),
		gatewaytest.WithWorkers(),
		gatewaytest.WithClientID(antomtest.ClientID),
		gatewaytest.WithMerchantKey(antomtest.MerchantKey()),
		gatewaytest.WithGatewayKey(antomtest.GatewayKey()),
		gatewaytest.WithSimDelay(time.Hour),
		gatewaytest.WithSimHold(40 * time.Second),
	}, opts...)...)
	return &gw{Gateway: g, srv: g.Server()}
}

// payments counts the payments of a paymentRequestId in the store.
func (g *gw) payments(tb testing.TB, requestID string) int {
	tb.Helper()
	ps, err := g.Store().Payments(context.Background(), gateway.PaymentFilter{ClientID: antomtest.ClientID, RequestID: requestID, Limit: 1000})
	if err != nil {
		tb.Fatal(err)
	}
	return len(ps)
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
