package antomgw_test

// The SDK's end-to-end tests run against the real gateway:
// internal/gatewaytest's in-process gateway (the node antomgw serve runs:
// the HTTP API, the use cases, the simulated wallet, a SQLite store and the
// two workers) on an httptest server. These imports live in _test files
// only: the SDK itself imports nothing but the standard library and wire.
//
// The gateway runs on gatewaytest's stopped clock: a test moves it
// (Gateway.Advance) to let the wallet's delays pass, or, when the SDK
// polls on its own timers (ResolvePayment), lets each request move it
// (Gateway.AdvancePerRequest). Only the SDK's own timeouts run on the
// real clock. The helpers below configure SDK clients, for the real
// gateway (Gateway.Client) and for antomtest's scripted one (newClient).

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/antomtest"
)

// clientOption changes the Config of a test client.
type clientOption = func(*antomgw.Config)

func family(f antomgw.PathFamily) clientOption { return func(c *antomgw.Config) { c.Family = f } }

func encrypted(on bool) clientOption { return func(c *antomgw.Config) { c.Encrypt = on } }

// fastRetries makes backoff a millisecond or two, jitter-free.
func fastRetries() clientOption {
	return func(c *antomgw.Config) {
		c.RetryBaseDelay, c.RetryMaxDelay = time.Millisecond, 2*time.Millisecond
		c.JitterFunc = func() float64 { return 0 }
	}
}

// newClient returns an SDK client for baseURL with antomtest's keys.
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

// logTo sends the client's log lines to buf. (The handler writes each
// line under its own lock; the SDK logs from the calling goroutine, so
// buf may be read once the call returns.)
func logTo(buf *bytes.Buffer) clientOption {
	return func(c *antomgw.Config) {
		c.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
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
