package browsertest

// The flows: what a wallet user does on a phone, and what an operator
// does in the console.

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
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

// testConsole is what the operator sees and does in the console, on a
// desktop: the payments a merchant made, one decided by hand, a refused
// request and its diagnosis, the other pages, a scenario tried, and the
// test clock moved.
func testConsole(t *testing.T, b *browser) {
	g := newGateway(t)
	m := newMerchant(t, g)
	console := g.URL() + "/console/"

	// What a merchant did before the operator looks: a payment paid at
	// once, one refused, one the wallet never decides, a refund, and a
	// request with a signature that does not verify.
	paid := pay(t, g, inStoreBody("SHOP-1001", 1000, "PaymentCode", m.url), wire.StatusSuccess, "SUCCESS")
	refused := pay(t, g, inStoreBody("SHOP-1002", 9906, "PaymentCode", m.url), wire.StatusFail, "USER_BALANCE_NOT_ENOUGH")
	pending := pay(t, g, inStoreBody("SHOP-1003", 9905, "PaymentCode", m.url), wire.StatusUnknown, "PAYMENT_IN_PROCESS")
	rf := gatewaytest.Decode[struct {
		Result   wire.Result `json:"result"`
		RefundID string      `json:"refundId"`
	}](t, g.Do(t, gatewaytest.Request{Path: refundPath, Body: mustJSON(map[string]any{
		"refundRequestId": "REFUND-1001", "paymentId": paid.PaymentID, "refundAmount": amount(250), "refundReason": "one cup returned",
	})}))
	if rf.Result.Status != wire.StatusSuccess || rf.RefundID == "" {
		t.Fatalf("refund answered %s, want S with a refundId", rf.Result)
	}
	bad := "algorithm=RSA256,keyVersion=1,signature=" + strings.Repeat("QUFB", 86) + "QQ%3D%3D"
	r := g.Do(t, gatewaytest.Request{Path: payPath, Body: inStoreBody("SHOP-1004", 1500, "PaymentCode", m.url), Signature: &bad})
	if r.Result.Status != wire.StatusFail || r.Result.Code != "INVALID_SIGNATURE" {
		t.Fatalf("the badly signed pay answered %s, want F INVALID_SIGNATURE", r.Result)
	}
	g.Step(t) // the notifications of the paid and the refused payment

	t.Run("payments", func(t *testing.T) {
		tb := b.newTab(t, desktop)
		tb.open(console)
		wantText(tb, chromedp.CSS("table.list tbody"), paid.PaymentID, refused.PaymentID, pending.PaymentID,
			"SHOP-1001", "SHOP-1002", "SHOP-1003", "SUCCESS", "FAIL", "PROCESSING", "USER_BALANCE_NOT_ENOUGH")
		tb.screenshot("console-payments.png")

		// The PROCESSING payment, decided from the console.
		submit(tb, "open the PROCESSING payment", chromedp.CSS(`table.list a[href="/console/payments/`+pending.PaymentID+`"]`))
		wantText(tb, chromedp.CSS("h1"), pending.PaymentID, "PROCESSING")
		submit(tb, "press Succeed", chromedp.CSS(`form[action$="/resolve"] button.ok`))
		wantText(tb, chromedp.CSS("p.flash"), "payment "+pending.PaymentID+" is SUCCESS")
		wantText(tb, chromedp.CSS("h1"), "SUCCESS")
		wantPayment(t, g, pending.PaymentID, gateway.PaymentSuccess, "SUCCESS", "after Succeed in the console")
		g.Step(t)
		m.wantNotified(t, pending.PaymentID, wire.StatusSuccess, "a PROCESSING payment decided from the console notifies")

		// The page again, now with the notification delivered, and the pay
		// exchange opened.
		tb.open(console + "payments/" + pending.PaymentID)
		wantText(tb, chromedp.CSS("ol.timeline"), "payment created", "paid", "attempt #1")
		wantText(tb, chromedp.CSS("#notifications"), m.url, "delivered")
		const payExchange = `//div[contains(@class,"exchange")][.//summary[contains(., "/ams/api/v1/payments/pay")]]`
		tb.do("open the pay exchange",
			chromedp.Click(chromedp.Search(`(`+payExchange+`//details/summary)[1]`), chromedp.NodeVisible),
			chromedp.Click(chromedp.Search(`(`+payExchange+`//details/summary)[2]`), chromedp.NodeVisible))
		wantText(tb, chromedp.Search(`(`+payExchange+`//details)[1]//pre`), "SHOP-1003", "281234567890123456")
		wantText(tb, chromedp.Search(`(`+payExchange+`//details)[2]//pre`), "PAYMENT_IN_PROCESS")
		tb.screenshot("console-payment.png")
	})

	t.Run("requests", func(t *testing.T) {
		tb := b.newTab(t, desktop)
		tb.open(console + "requests")
		wantText(tb, chromedp.CSS("table.list tbody"), "INVALID_SIGNATURE", paid.PaymentID)
		submit(tb, "open the badly signed request",
			chromedp.Search(`//tr[.//span[normalize-space()="INVALID_SIGNATURE"]]//a[starts-with(@href, "/console/requests/")]`))
		wantText(tb, chromedp.CSS("h1"), "Exchange #")
		wantText(tb, chromedp.CSS("#diagnosis"), "Why the signature was refused", "Usual causes")
		wantText(tb, chromedp.CSS("main"), "INVALID_SIGNATURE", "SHOP-1004")
		tb.screenshot("console-request.png")
	})

	t.Run("pages", func(t *testing.T) {
		tb := b.newTab(t, desktop)
		for _, p := range []struct {
			path, shot string
			want       []string
		}{
			{"clients", "console-clients.png", []string{gatewaytest.ClientID, "Add a client"}},
			{"keys", "console-keys.png", []string{"Gateway keys", "active", "Rotate"}},
			{"notifications", "console-notifications.png", []string{paid.PaymentID, refused.PaymentID, pending.PaymentID, "delivered"}},
			{"scenarios", "console-scenarios.png", []string{"9905", "9906", "USER_BALANCE_NOT_ENOUGH", "any other"}},
		} {
			tb.open(console + p.path)
			wantText(tb, chromedp.CSS("main"), p.want...)
			tb.screenshot(p.shot)
		}

		// Try 9906 (declined for the balance) from its row.
		submit(tb, "try 9906", chromedp.Search(`//table[contains(@class, "scenarios")]//tr[td[1][normalize-space()="9906"]]//button`))
		id := paymentIDIn(t, tb.location())
		wantText(tb, chromedp.CSS("p.flash"), "answered F USER_BALANCE_NOT_ENOUGH")
		wantText(tb, chromedp.CSS("h1"), id, "FAIL")
		wantText(tb, chromedp.CSS("dl.summary"), "USER_BALANCE_NOT_ENOUGH", "99.06 USD")
		wantPayment(t, g, id, gateway.PaymentFail, "USER_BALANCE_NOT_ENOUGH", "a 9906 tried from the scenarios page")
	})

	// Scenario rules: two added from the form, one of them shaping the
	// next pay of 42.00, which the exchange's page then names.
	t.Run("rules", func(t *testing.T) {
		tb := b.newTab(t, desktop)
		tb.open(console + "scenarios")
		submit(tb, "open the rules tab", chromedp.CSS(`p.tabs a[href="/console/scenarios/rules"]`))
		wantText(tb, chromedp.CSS("#catalogue"), "Result codes per API", "pay (", "refund (")
		field := func(name string) chromedp.CSS { return chromedp.CSS(`form.rule [name=` + name + `]`) }
		tb.do("fill in a result rule", chromedp.SetValue(field("amount"), "4200"), chromedp.SetValue(field("currency"), "USD"),
			chromedp.SetValue(field("resultCode"), "USER_AMOUNT_EXCEED_LIMIT"))
		submit(tb, "add the result rule", chromedp.CSS(`form.rule button`))
		wantText(tb, chromedp.CSS("p.flash"), "added: the next call of pay for client "+gatewaytest.ClientID+": F USER_AMOUNT_EXCEED_LIMIT")

		// A refused rule comes back with the message next to its field.
		tb.do("fill in a bad 5xx rule", chromedp.SetValue(field("api"), "refund"), chromedp.SetValue(field("effect"), "http5xx"),
			chromedp.SetValue(field("httpStatus"), "404"))
		// It answers 400 (which the browser logs): click, not submit.
		tb.do("add the bad rule", chromedp.Click(chromedp.CSS(`form.rule button`), chromedp.NodeVisible),
			chromedp.WaitVisible(chromedp.CSS("div.error")))
		if errs := tb.takeErrors(); len(errs) != 1 || !strings.Contains(errs[0], "400") {
			t.Errorf("the refused rule logged %q, want the one 400", errs)
		}
		wantText(tb, chromedp.CSS("div.error"), "add rule refused", "HTTP status", "404 is not a 5xx status")
		wantText(tb, chromedp.Search(`//form[contains(@class,"rule")]//label[.//input[@name="httpStatus"]]`), "404 is not a 5xx status")
		tb.do("correct it", chromedp.SetValue(field("httpStatus"), "503"), chromedp.Click(field("untilRemoved"), chromedp.NodeVisible))
		submit(tb, "add the 5xx rule", chromedp.CSS(`form.rule button`))
		wantText(tb, chromedp.CSS("p.flash"), "every call (until removed) of refund for client "+gatewaytest.ClientID+": HTTP 503")

		shaped := pay(t, g, inStoreBody("SHOP-1006", 4200, "PaymentCode", m.url), wire.StatusFail, "USER_AMOUNT_EXCEED_LIMIT")
		wantPayment(t, g, shaped.PaymentID, gateway.PaymentFail, "USER_AMOUNT_EXCEED_LIMIT", "a pay shaped by a rule added in the console")
		tb.open(console + "scenarios/rules")
		wantText(tb, chromedp.CSS("table.rules"), "amount=4200", "exhausted", "HTTP 503", "until removed")
		tb.do("open the firings", chromedp.Click(chromedp.Search(`//details[summary[starts-with(., "Recent firings")]]/summary`), chromedp.NodeVisible))
		wantText(tb, chromedp.Search(`//details[summary[starts-with(., "Recent firings")]]`), "SHOP-1006")
		tb.do("open the refund codes", chromedp.Click(chromedp.CSS(`#codes-refund summary`), chromedp.NodeVisible))
		wantText(tb, chromedp.CSS("#codes-refund"), "REFUND_AMOUNT_EXCEED", "MERCHANT_BALANCE_NOT_ENOUGH")
		tb.screenshot("console-rules.png")

		// The exchange it shaped names it, and links back.
		tb.open(console + "requests")
		submit(tb, "open the shaped exchange", chromedp.Search(`//tr[.//a[normalize-space()="rule"]]//a[starts-with(@href, "/console/requests/")]`))
		wantText(tb, chromedp.CSS("dl.summary"), "Scenario rule", "F USER_AMOUNT_EXCEED_LIMIT", "SHOP-1006")
		submit(tb, "follow the rule link", chromedp.CSS(`dl.summary dd.rule a`))
		wantText(tb, chromedp.CSS("h1"), "Scenario rules")

		// Remove the 5xx rule: refunds are decided as usual again.
		submit(tb, "remove the 5xx rule", chromedp.Search(`//table[contains(@class,"rules")]//tr[td[normalize-space()="HTTP 503"]]//button`))
		wantText(tb, chromedp.CSS("p.flash"), "removed")
		if rules, err := g.Service().ScenarioRules(t.Context(), ""); err != nil || len(rules) != 1 || rules[0].Effect.Kind != gateway.EffectResult {
			t.Errorf("after the removal the rules are %+v (%v), want the exhausted result rule alone", rules, err)
		}
	})

	// Last: it moves the clock, and so every time the pages show.
	t.Run("test clock", func(t *testing.T) {
		p := pay(t, g, inStoreBody("SHOP-1005", 9905, "PaymentCode", m.url), wire.StatusUnknown, "PAYMENT_IN_PROCESS")
		tb := b.newTab(t, desktop)
		tb.open(console + "payments/" + p.PaymentID)
		wantText(tb, chromedp.CSS("h1"), "PROCESSING")
		wantText(tb, chromedp.CSS("header .clock"), "2026-03-02 09:30:00.000", "test clock")
		submit(tb, "press +15m", chromedp.CSS(`header .clock button[name=by][value="15m"]`))
		if loc, want := tb.location(), console+"payments/"+p.PaymentID; loc != want {
			t.Errorf("after +15m the browser is at %s, want back on the payment's page %s", loc, want)
		}
		flash := wantText(tb, chromedp.CSS("p.flash"), "moved 15m")
		t.Logf("the console says: %s", flash)
		if m := regexp.MustCompile(`^moved 15m: ([1-9]\d*) transitions?, (\d+) notification attempts?$`).FindStringSubmatch(flash); m == nil {
			t.Errorf("the flash says %q, want what moving the clock ran (moved 15m: N transitions, N notification attempts, N ≥ 1)", flash)
		}
		wantText(tb, chromedp.CSS("header .clock"), "2026-03-02 09:45:00.000")
		wantText(tb, chromedp.CSS("h1"), "FAIL")
		wantText(tb, chromedp.CSS("dl.summary"), "ORDER_IS_CLOSED")
		wantPayment(t, g, p.PaymentID, gateway.PaymentFail, "ORDER_IS_CLOSED", "a 9905 after the console moved the clock 15m")
		m.wantNotified(t, p.PaymentID, wire.StatusFail, "the close is notified while the clock moves")
	})
}

// paymentIDIn returns the payment id of a console payment page's address.
func paymentIDIn(t *testing.T, loc string) string {
	t.Helper()
	m := regexp.MustCompile(`/console/payments/(\d+)$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("the browser is at %s, want a payment's page", loc)
	}
	return m[1]
}
