package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// testWallet is what a wallet user sees, on a phone: the checkout page of
// a cashier payment (pay, decline), an OrderCode's page with its QR code,
// and the wallet home with a payment code.
func testWallet(t *testing.T, b *browser) {
	g := newGateway(t)
	sh := newShop(t)
	m := newMerchant(t, g)

	t.Run("pay", func(t *testing.T) {
		a := pay(t, g, cashierBody("WALLET-PAY-1", 1234, sh.returnURL("PAY-1"), m.url), wire.StatusUnknown, "PAYMENT_IN_PROCESS")
		if !strings.HasPrefix(a.NormalURL, g.URL()+"/wallet/checkout/"+a.PaymentID+"/") {
			t.Fatalf("normalUrl = %q, want the checkout page on the gateway %s", a.NormalURL, g.URL())
		}
		tb := b.newTab(t, phone)
		tb.open(a.NormalURL)
		wantText(tb, chromedp.CSS("main"), "12.34 USD", "ORDER-WALLET-PAY-1", a.PaymentID, "PROCESSING")
		tb.screenshot("wallet-checkout.png")

		submit(tb, "press Pay", chromedp.CSS(`button[name=action][value=pay]`))
		if loc, want := tb.location(), sh.returnURL("PAY-1"); loc != want {
			t.Fatalf("after Pay the browser is at %s, want the shop's return page %s", loc, want)
		}
		wantText(tb, chromedp.CSS("h1"), "Thank you")
		if n := sh.visits("/return?order=PAY-1"); n != 1 {
			t.Errorf("the shop's return page was asked for %d times, want once", n)
		}
		wantPayment(t, g, a.PaymentID, gateway.PaymentSuccess, "SUCCESS", "after Pay")
		g.Step(t)
		m.wantNotified(t, a.PaymentID, wire.StatusSuccess, "a payment paid in the wallet notifies")
	})

	t.Run("decline", func(t *testing.T) {
		a := pay(t, g, cashierBody("WALLET-PAY-2", 2500, sh.returnURL("PAY-2"), m.url), wire.StatusUnknown, "PAYMENT_IN_PROCESS")
		tb := b.newTab(t, phone)
		tb.open(a.NormalURL)
		tb.do("choose a reason to decline",
			chromedp.Click(chromedp.CSS(`input[name=code][value=USER_BALANCE_NOT_ENOUGH]`), chromedp.NodeVisible))
		if !run(tb, "read the reason", chromedp.Evaluate[bool](`document.querySelector('input[name=code][value=USER_BALANCE_NOT_ENOUGH]').checked`)) {
			t.Fatal("the reason USER_BALANCE_NOT_ENOUGH is not checked after a click on it")
		}
		submit(tb, "press Decline", chromedp.CSS(`button[name=action][value=decline]`))
		if loc, want := tb.location(), sh.returnURL("PAY-2"); loc != want {
			t.Errorf("after Decline the browser is at %s, want the shop's return page %s", loc, want)
		}
		wantPayment(t, g, a.PaymentID, gateway.PaymentFail, "USER_BALANCE_NOT_ENOUGH", "after Decline")
		// The link now shows how the payment ended.
		tb.open(a.NormalURL)
		wantText(tb, chromedp.CSS("main"), "Declined", "USER_BALANCE_NOT_ENOUGH")
		if n := run(tb, "count the forms", chromedp.Evaluate[int](`document.querySelectorAll("form").length`)); n != 0 {
			t.Errorf("the page of a declined payment still has %d form(s)", n)
		}
		g.Step(t)
		m.wantNotified(t, a.PaymentID, wire.StatusFail, "a payment declined in the wallet notifies")
	})

	t.Run("order code", func(t *testing.T) {
		a := pay(t, g, inStoreBody("WALLET-OC-1", 500, "OrderCode", m.url), wire.StatusUnknown, "PAYMENT_IN_PROCESS")
		if len(a.OrderCodeForm.CodeDetails) == 0 || a.OrderCodeForm.CodeDetails[0].CodeValue == "" {
			t.Fatalf("the OrderCode answer has no codeValue: %+v", a)
		}
		tb := b.newTab(t, phone)
		tb.open(a.OrderCodeForm.CodeDetails[0].CodeValue)
		wantText(tb, chromedp.CSS("main"), "5.00 USD", "The order code you scanned")
		wantImage(tb, "figure.qr img")
		tb.screenshot("wallet-ordercode.png")
	})

	t.Run("home", func(t *testing.T) {
		tb := b.newTab(t, phone)
		tb.open(g.URL() + "/wallet/")
		code := wantText(tb, chromedp.CSS(".paycode"))
		if digits := strings.ReplaceAll(code, " ", ""); len(digits) != 18 || !strings.HasPrefix(digits, "28") {
			t.Errorf("the payment code shown is %q, want 18 digits starting with 28", code)
		}
		wantImage(tb, "img.qrcode")
		tb.screenshot("wallet-code.png")
	})
}

// wantImage fails the test unless the image css finds has loaded (its
// naturalWidth is more than 0).
func wantImage(tb *tab, css string) {
	tb.t.Helper()
	tb.do("wait for "+css, chromedp.WaitVisible(chromedp.CSS(css)))
	w := run(tb, "read the width of "+css, chromedp.Evaluate[int](
		`(function () { var i = document.querySelector(`+quoteJS(css)+`); return i && i.complete ? i.naturalWidth : -1; })()`))
	if w <= 0 {
		tb.t.Errorf("the image %s did not load (naturalWidth %d)", css, w)
	}
}

// quoteJS quotes s as a JavaScript string literal.
func quoteJS(s string) string { return mustJSON(s) }
