package browsertest

// The other side of the flows: the gateway, the merchant's API calls, the
// shop a payment returns to and the merchant's notification endpoint.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/node"
	"github.com/antomgw/antomgw/wire"
)

const (
	payPath    = "/ams/api/v1/payments/pay"
	refundPath = "/ams/api/v1/payments/refund"
)

// newGateway starts an in-process gateway on a stopped test clock
// (2026-03-02T09:30:00Z) that its node shares, so the console's test
// clock works, with payment, refund and notification ids from a seeded
// generator, so that pages and screenshots are the same on every run.
func newGateway(t *testing.T) *gatewaytest.Gateway {
	t.Helper()
	clock := gatewaytest.NewClock(time.Time{})
	ids := &idSource{rnd: rand.New(rand.NewPCG(2026, 3))}
	return gatewaytest.New(t, gatewaytest.WithClock(clock),
		gatewaytest.WithConfig(func(c *node.Config) { c.Clock = clock }),
		gatewaytest.WithService(func(s *gateway.Service) { s.NewID = ids.next }))
}

// idSource makes ids in the style of gateway.NewID from a seeded
// generator.
type idSource struct {
	mu  sync.Mutex
	rnd *rand.Rand
}

func (s *idSource) next(now time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return now.UTC().Format("20060102150405") + fmt.Sprintf("%018d", s.rnd.Int64N(1e18))
}

// shop is the merchant's web shop, on loopback: its /return page, where a
// paid or declined cashier payment sends the user back, says "Thank you".
// It records the addresses it was asked for.
type shop struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits []string
}

func newShop(t *testing.T) *shop {
	s := &shop{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits = append(s.hits, r.URL.RequestURI())
		s.mu.Unlock()
		if r.URL.Path != "/return" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		fmt.Fprint(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Coffee shop</title></head>`+
			`<body><h1>Thank you</h1><p>Your order is being prepared.</p></body></html>`)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// returnURL is the paymentRedirectUrl of an order.
func (s *shop) returnURL(order string) string { return s.srv.URL + "/return?order=" + order }

// visits returns how many times the shop served uri.
func (s *shop) visits(uri string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hits {
		if h == uri {
			n++
		}
	}
	return n
}

// merchant is the notification endpoint of the merchant (a
// gatewaytest.Sink that verifies what the gateway sends) on loopback.
type merchant struct {
	sink *gatewaytest.Sink
	url  string
}

func newMerchant(t *testing.T, g *gatewaytest.Gateway) *merchant {
	sink := gatewaytest.NewSink(g.GatewayPublicKeys())
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	return &merchant{sink: sink, url: srv.URL + "/notify"}
}

// wantNotified fails the test unless the merchant received the payment's
// result with status st.
func (m *merchant) wantNotified(t *testing.T, paymentID string, st wire.Status, why string) {
	t.Helper()
	if missing := m.sink.Missing(map[string]wire.Status{paymentID: st}); len(missing) > 0 {
		_, deliveries, invalid := m.sink.Counts()
		t.Errorf("%s: the merchant has no notification of %s with result %s (deliveries %v, %d in all; refused %v)",
			why, paymentID, st, m.sink.Deliveries(), deliveries, invalid)
	}
}

func cashierBody(requestID string, value int64, redirect, notify string) string {
	return mustJSON(map[string]any{
		"productCode": "CASHIER_PAYMENT", "paymentRequestId": requestID,
		"order":              map[string]any{"referenceOrderId": "ORDER-" + requestID, "orderDescription": "Cappuccino"},
		"paymentAmount":      amount(value),
		"paymentMethod":      map[string]any{"paymentMethodType": "ALIPAY_CN"},
		"paymentRedirectUrl": redirect, "paymentNotifyUrl": notify,
		"settlementStrategy": map[string]any{"settlementCurrency": "USD"},
	})
}

func inStoreBody(requestID string, value int64, scenario, notify string) string {
	method := map[string]any{"paymentMethodType": "CONNECT_WALLET"}
	if scenario == "PaymentCode" {
		method["paymentMethodId"] = "281234567890123456"
	}
	b := map[string]any{
		"productCode": "IN_STORE_PAYMENT", "paymentRequestId": requestID,
		"order":         map[string]any{"referenceOrderId": "ORDER-" + requestID, "orderDescription": "Flat white"},
		"paymentAmount": amount(value), "paymentMethod": method,
		"paymentFactor": map[string]any{"inStorePaymentScenario": scenario},
	}
	if notify != "" {
		b["paymentNotifyUrl"] = notify
	}
	return mustJSON(b)
}

func amount(value int64) map[string]any {
	return map[string]any{"currency": "USD", "value": fmt.Sprint(value)}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// payAnswer is what the flows read of a pay answer.
type payAnswer struct {
	Result        wire.Result `json:"result"`
	PaymentID     string      `json:"paymentId"`
	NormalURL     string      `json:"normalUrl"`
	OrderCodeForm struct {
		CodeDetails []struct {
			CodeValue string `json:"codeValue"`
		} `json:"codeDetails"`
	} `json:"orderCodeForm"`
}

// pay sends a pay request as the merchant and checks its result status
// and code.
func pay(t *testing.T, g *gatewaytest.Gateway, body string, status wire.Status, code string) payAnswer {
	t.Helper()
	a := gatewaytest.Decode[payAnswer](t, g.Do(t, gatewaytest.Request{Path: payPath, Body: body}))
	if a.Result.Status != status || a.Result.Code != code || a.PaymentID == "" {
		t.Fatalf("pay answered %s %s (paymentId %q), want %s %s", a.Result.Status, a.Result.Code, a.PaymentID, status, code)
	}
	return a
}

// payment returns the payment as the gateway has it now.
func payment(t *testing.T, g *gatewaytest.Gateway, id string) *gateway.Payment {
	t.Helper()
	p, err := g.Service().FindPayment(context.Background(), gateway.PaymentRef{PaymentID: id})
	if err != nil {
		t.Fatalf("find payment %s: %v", id, err)
	}
	return p
}

// wantPayment fails the test unless the payment has status st and result
// code code.
func wantPayment(t *testing.T, g *gatewaytest.Gateway, id string, st gateway.PaymentStatus, code, why string) {
	t.Helper()
	if p := payment(t, g, id); p.Status != st || p.ResultCode != code {
		t.Errorf("%s: payment %s is %s %s, want %s %s", why, id, p.Status, p.ResultCode, st, code)
	}
}
