package browsertest

// The online checkout: a payment session's page, as a buyer sees it on a
// phone, and the console's list of sessions.

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

const createSessionPath = "/ams/api/v1/payments/createPaymentSession"

// sessionBody is a createPaymentSession body.
func sessionBody(requestID string, value int64, redirect, notify string) string {
	return mustJSON(map[string]any{
		"productCode": "CASHIER_PAYMENT", "paymentRequestId": requestID,
		"order":              map[string]any{"referenceOrderId": "ORDER-" + requestID, "orderDescription": "Two books"},
		"paymentAmount":      amount(value),
		"paymentRedirectUrl": redirect, "paymentNotifyUrl": notify,
		"settlementStrategy": map[string]any{"settlementCurrency": "USD"},
		"productScene":       "CHECKOUT_PAYMENT", "userRegion": "PH", "env": map[string]any{"terminalType": "WAP"},
	})
}

// testSession: the buyer opens a session's normalUrl, sees the methods
// with their logos, chooses GCASH and pays; the merchant is notified; the
// console lists the session with its payment.
func testSession(t *testing.T, b *browser) {
	g := newGateway(t)
	sh := newShop(t)
	m := newMerchant(t, g)
	s := gatewaytest.Decode[antomgw.CreatePaymentSessionResponse](t, g.Do(t, gatewaytest.Request{Path: createSessionPath,
		Body: sessionBody("SESSION-1", 4590, sh.returnURL("SESSION-1"), m.url)}))
	if s.Result.Status != wire.StatusSuccess || !strings.HasPrefix(s.NormalURL, g.URL()+"/wallet/session/") {
		t.Fatalf("createPaymentSession = %+v", s)
	}

	tb := b.newTab(t, phone)
	tb.open(s.NormalURL)
	wantText(tb, chromedp.CSS("main"), "45.90 USD", "ORDER-SESSION-1", "GCASH PREFERRED", "CARD", "CHANNEL_NOT_SUPPORT_CURRENCY")
	wantImage(tb, `label.method img[src$="/GCASH.svg"]`)
	wantImage(tb, `label.method img[src$="/CARD.svg"]`)
	if !run(tb, "read the first choice", chromedp.Evaluate[bool](`document.querySelector('input[name=method][value=GCASH]').checked`)) {
		t.Error("GCASH, preferred for PH, is not the first choice")
	}
	tb.screenshot("wallet-session.png")

	tb.do("choose CARD", chromedp.Click(chromedp.CSS(`input[name=method][value=CARD]`), chromedp.NodeVisible))
	submit(tb, "press Pay", chromedp.CSS(`button[name=action][value=pay]`))
	if loc, want := tb.location(), sh.returnURL("SESSION-1"); loc != want {
		t.Fatalf("after Pay the browser is at %s, want the shop's return page %s", loc, want)
	}
	p, err := g.Service().FindPayment(t.Context(), gateway.PaymentRef{ClientID: g.ClientID(), RequestID: "SESSION-1"})
	if err != nil || p.Status != gateway.PaymentSuccess || p.MethodType != "CARD" {
		t.Fatalf("the session's payment = %+v, %v; want SUCCESS by CARD", p, err)
	}
	g.Step(t)
	m.wantNotified(t, p.ID, wire.StatusSuccess, "a session paid in the wallet notifies")

	// A second session, left open, and the console's list.
	gatewaytest.Decode[antomgw.CreatePaymentSessionResponse](t, g.Do(t, gatewaytest.Request{Path: createSessionPath,
		Body: sessionBody("SESSION-2", 1200, sh.returnURL("SESSION-2"), m.url)}))
	ct := b.newTab(t, desktop)
	ct.open(g.URL() + "/console/sessions")
	wantText(ct, chromedp.CSS("main"), "Payment sessions", "SESSION-1", "COMPLETED", p.ID, "SESSION-2", "ACTIVE")
	ct.screenshot("console-sessions.png")
}
