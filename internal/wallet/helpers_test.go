package wallet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/qr"
	"github.com/antomgw/antomgw/internal/wallet"
	"github.com/antomgw/antomgw/wire"
)

// shopReturn is the paymentRedirectUrl of the test payments.
const shopReturn = "https://merchant.example/return?order=1"

// env is a test gateway whose simulated wallet hands out the wallet's
// checkout links, the wallet's pages on their own loopback server, and a
// merchant's notification endpoint.
type env struct {
	g      *gatewaytest.Gateway
	pages  *wallet.Pages
	srv    *httptest.Server
	client *http.Client // follows no redirects
	sink   *gatewaytest.Sink
	notify string // the sink's URL
}

func newEnv(t *testing.T, opts ...gatewaytest.Option) *env {
	t.Helper()
	g := gatewaytest.New(t, opts...)
	pages := &wallet.Pages{Service: g.Service(), Now: g.Now}
	srv := httptest.NewServer(pages)
	t.Cleanup(srv.Close)
	pages.PublicURL = srv.URL
	g.Wallet().CheckoutURL = pages.CheckoutURL
	sink := gatewaytest.NewSink(g.GatewayPublicKeys())
	sinkSrv := httptest.NewServer(sink)
	t.Cleanup(sinkSrv.Close)
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &env{g: g, pages: pages, srv: srv, client: client, sink: sink, notify: sinkSrv.URL + "/notify"}
}

// payRequest is an in-store pay request of value minor units of USD, for
// the scenario (PaymentCode, OrderCode, EntryCode), or a CASHIER_PAYMENT
// when scenario is "".
func (e *env) payRequest(id, scenario string, value int64) *antomgw.PayRequest {
	r := &antomgw.PayRequest{
		ProductCode:        gateway.ProductInStore,
		PaymentRequestID:   id,
		Order:              &antomgw.Order{ReferenceOrderID: "ORDER_" + id, OrderDescription: "coffee"},
		PaymentAmount:      antomgw.Amount{Currency: "USD", Value: fmt.Sprint(value)},
		PaymentMethod:      antomgw.PaymentMethod{PaymentMethodType: "ALIPAY_CN"},
		PaymentFactor:      &antomgw.PaymentFactor{InStorePaymentScenario: scenario},
		PaymentNotifyURL:   e.notify,
		PaymentRedirectURL: shopReturn,
	}
	if scenario == "" {
		r.ProductCode, r.PaymentFactor = gateway.ProductCashier, nil
	}
	return r
}

// pay sends req and returns the answer, which must have result status want.
func (e *env) pay(t *testing.T, req *antomgw.PayRequest, want wire.Status) antomgw.PayResponse {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	rep := e.g.Do(t, gatewaytest.Request{Path: "/ams/api/v1/payments/pay", Body: string(body)})
	if rep.Result.Status != want {
		t.Fatalf("pay %s: result %v, want status %s; body %s", req.PaymentRequestID, rep.Result, want, rep.Plain)
	}
	return gatewaytest.Decode[antomgw.PayResponse](t, rep)
}

// cashier makes a CASHIER_PAYMENT of 10.00 USD and returns its id and
// normalUrl.
func (e *env) cashier(t *testing.T, requestID string) (id, link string) {
	t.Helper()
	resp := e.pay(t, e.payRequest(requestID, "", 1000), wire.StatusUnknown)
	if resp.PaymentID == "" || resp.NormalURL == "" {
		t.Fatalf("cashier answer %+v has no paymentId or normalUrl", resp)
	}
	return resp.PaymentID, resp.NormalURL
}

// response is an answer of the wallet's pages.
type response struct {
	Status int
	Header http.Header
	Body   string
}

func (e *env) do(t *testing.T, method, target string, form url.Values, header map[string]string) response {
	t.Helper()
	pg := gatewaytest.Browse(t, e.client, method, target, form, header)
	checkHeaders(t, method+" "+target, pg.Header)
	return response(pg)
}

func (e *env) get(t *testing.T, target string) response {
	t.Helper()
	return e.do(t, http.MethodGet, target, nil, nil)
}

func (e *env) post(t *testing.T, target string, form url.Values) response {
	t.Helper()
	return e.do(t, http.MethodPost, target, form, nil)
}

// checkHeaders checks the headers every answer of the pages carries.
func checkHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	want := map[string]string{
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; " +
			"frame-ancestors 'none'; form-action 'self' http: https:",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
	if h.Get("Content-Type") == "" {
		t.Errorf("%s: no Content-Type", what)
	}
}

// payment returns the payment's state now.
func (e *env) payment(t *testing.T, id string) *gateway.Payment {
	t.Helper()
	p, err := e.g.Service().FindPayment(context.Background(), gateway.PaymentRef{PaymentID: id})
	if err != nil {
		t.Fatalf("find payment %s: %v", id, err)
	}
	return p
}

func (e *env) wantStatus(t *testing.T, id string, status gateway.PaymentStatus, code string) {
	t.Helper()
	p := e.payment(t, id)
	if p.Status != status || (code != "" && p.ResultCode != code) {
		t.Fatalf("payment %s is %s %s, want %s %s", id, p.Status, p.ResultCode, status, code)
	}
}

// decodeQR reads a PNG answer as a QR code.
func decodeQR(t *testing.T, r response) string {
	t.Helper()
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR image: status %d, Content-Type %q; body %.200s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	text, err := qr.Read([]byte(r.Body))
	if err != nil {
		t.Fatalf("QR image: %v", err)
	}
	return text
}

func wantContains(t *testing.T, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("%s does not contain %q; body:\n%s", what, s, body)
		}
	}
}
