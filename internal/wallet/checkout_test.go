package wallet_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

var (
	payForm     = url.Values{"action": {"pay"}}
	payButton   = `<button name="action" value="pay">Pay</button>`
	declineBtn  = `<button name="action" value="decline">Decline</button>`
	returnLink  = `href="` + shopReturn + `" rel="noreferrer">Return to the shop</a>`
	invalidLink = "This payment link is not valid or has expired"
)

// pagePath is the path of a checkout link, where a POST sends the user
// back when there is no shop to return to.
func pagePath(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		panic(err)
	}
	return u.Path
}

func TestCashierPay(t *testing.T) {
	e := newEnv(t)
	id, link := e.cashier(t, "CASHIER_1")
	if want := e.srv.URL + "/wallet/checkout/" + id + "/"; !strings.HasPrefix(link, want) {
		t.Fatalf("normalUrl = %q, want it under %q", link, want)
	}
	r := e.get(t, link)
	if r.Status != http.StatusOK {
		t.Fatalf("GET normalUrl: %d\n%s", r.Status, r.Body)
	}
	expires := e.payment(t, id).ExpiresAt.Format(time.RFC3339Nano)
	wantContains(t, "checkout page", r.Body, "10.00 USD", e.g.ClientID(), "ORDER_CASHIER_1", "ALIPAY_CN",
		payButton, declineBtn,
		`<input type="radio" name="code" value="USER_PAYMENT_VERIFICATION_FAILED" checked>`,
		`<input type="radio" name="code" value="USER_BALANCE_NOT_ENOUGH">`, `<input type="radio" name="code" value="USER_AMOUNT_EXCEED_LIMIT">`,
		`<input type="radio" name="code" value="RISK_REJECT">`, `<input type="radio" name="code" value="USER_STATUS_ABNORMAL">`,
		`<time class="countdown" datetime="`+expires+`" data-remaining="840">Expires in 14 min 0 s</time>`,
		"status-processing", `<form method="post"`)

	// The user opened the page: the completion after the sim delay is
	// called off.
	e.g.Advance(t, 10*time.Second)
	e.wantStatus(t, id, gateway.PaymentProcessing, "")
	wantContains(t, "checkout page 10s later", e.get(t, link).Body, "Expires in 13 min 50 s", payButton)

	r = e.post(t, link, payForm)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != shopReturn {
		t.Fatalf("POST pay: %d Location %q, want 303 to %s\n%s", r.Status, r.Header.Get("Location"), shopReturn, r.Body)
	}
	e.wantStatus(t, id, gateway.PaymentSuccess, gateway.CodeSuccess)
	e.g.Step(t)
	ns, err := e.g.Service().Notifications(context.Background(), gateway.NotificationFilter{PaymentID: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || ns[0].Kind != gateway.NotifyPayment || ns[0].DeliveredAt.IsZero() {
		t.Fatalf("notifications of %s = %+v, want one delivered notifyPayment", id, ns)
	}
	if got := e.sink.Missing(map[string]wire.Status{id: wire.StatusSuccess}); len(got) != 0 {
		t.Errorf("the merchant was not notified of the success of %v", got)
	}

	r = e.get(t, link)
	wantContains(t, "page of the paid payment", r.Body, "<h1>Paid</h1>", "status-success", returnLink)
	if strings.Contains(r.Body, payButton) {
		t.Error("the page of a paid payment still offers Pay")
	}
	// A second click on Pay: the payment is decided; back to the page.
	r = e.post(t, link, payForm)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != pagePath(link) {
		t.Fatalf("second POST pay: %d Location %q, want 303 to the page", r.Status, r.Header.Get("Location"))
	}
}

// TestUnopenedCompletesByItself: a payment whose page nobody opens still
// completes after the simulated wallet's delay, as before the wallet had
// pages.
func TestUnopenedCompletesByItself(t *testing.T) {
	e := newEnv(t)
	id, link := e.cashier(t, "UNOPENED_1")
	e.g.Advance(t, 5*time.Second)
	e.wantStatus(t, id, gateway.PaymentSuccess, gateway.CodeSuccess)
	wantContains(t, "page after the completion", e.get(t, link).Body, "<h1>Paid</h1>", returnLink)
}

func TestDecline(t *testing.T) {
	e := newEnv(t)
	id, link := e.cashier(t, "DECLINE_1")
	e.get(t, link)
	r := e.post(t, link, url.Values{"action": {"decline"}, "code": {"USER_BALANCE_NOT_ENOUGH"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != shopReturn {
		t.Fatalf("POST decline: %d Location %q\n%s", r.Status, r.Header.Get("Location"), r.Body)
	}
	e.wantStatus(t, id, gateway.PaymentFail, "USER_BALANCE_NOT_ENOUGH")
	if msg := e.payment(t, id).ResultMessage; msg != "The user declined the payment in the wallet." {
		t.Errorf("result message %q", msg)
	}
	e.g.Step(t)
	if got := e.sink.Missing(map[string]wire.Status{id: wire.StatusFail}); len(got) != 0 {
		t.Errorf("the merchant was not notified of the failure of %v", got)
	}
	wantContains(t, "page of the declined payment", e.get(t, link).Body,
		"<h1>Declined</h1>", "USER_BALANCE_NOT_ENOUGH", "status-fail", returnLink)

	// Without a code: the default reason.
	id2, link2 := e.cashier(t, "DECLINE_2")
	e.post(t, link2, url.Values{"action": {"decline"}})
	e.wantStatus(t, id2, gateway.PaymentFail, "USER_PAYMENT_VERIFICATION_FAILED")
}

func TestDeclineRefused(t *testing.T) {
	e := newEnv(t)
	id, link := e.cashier(t, "REFUSED_1")
	e.get(t, link)
	for _, c := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"action": {"decline"}, "code": {"NOT_A_CODE"}}, "code"},
		{url.Values{"action": {"decline"}, "code": {""}}, "code"},
		{url.Values{"action": {"decline"}, "code": {"ORDER_IS_CLOSED"}}, "code"},
		{url.Values{"action": {"refund"}}, "action"},
		{url.Values{}, "action"},
	} {
		r := e.post(t, link, c.form)
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Bad request: "+c.field) {
			t.Errorf("POST %v: %d, want a 400 page naming %s\n%s", c.form, r.Status, c.field, r.Body)
		}
	}
	e.wantStatus(t, id, gateway.PaymentProcessing, "")
}

// TestBadLinks: a wrong token, an unknown payment and a payment without a
// checkout link get the same 404 page, and leave the payment alone.
func TestBadLinks(t *testing.T) {
	e := newEnv(t)
	id, link := e.cashier(t, "BAD_1")
	dir, token := link[:strings.LastIndex(link, "/")+1], link[strings.LastIndex(link, "/")+1:]
	other := "A" + token[1:]
	if token[0] == 'A' {
		other = "B" + token[1:]
	}
	unknown := strings.Replace(link, id, id[:len(id)-1]+string('0'+(id[len(id)-1]-'0'+1)%10), 1)
	instantReq := e.payRequest("BAD_INSTANT", gateway.ScenarioPaymentCode, 1000)
	instantReq.PaymentMethod.PaymentMethodID = "281234567890123456"
	instant := e.pay(t, instantReq, wire.StatusSuccess) // no checkout link
	targets := []string{dir + other, dir + token[:21], dir + token + "x", unknown,
		e.srv.URL + "/wallet/checkout/" + instant.PaymentID + "/" + token,
		e.srv.URL + "/wallet/checkout/" + instant.PaymentID + "/" + instant.PaymentID,
		dir + other + "/qr.png"}
	var first string
	for _, target := range targets {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			if method == http.MethodPost && strings.HasSuffix(target, ".png") {
				continue
			}
			r := e.do(t, method, target, payForm, nil)
			if r.Status != http.StatusNotFound || !strings.Contains(r.Body, invalidLink) {
				t.Errorf("%s %s: %d, want the 404 page\n%s", method, target, r.Status, r.Body)
			}
			if first == "" {
				first = r.Body
			} else if r.Body != first {
				t.Errorf("%s %s: a 404 page that differs from the others:\n%s\nwant\n%s", method, target, r.Body, first)
			}
		}
	}
	e.wantStatus(t, id, gateway.PaymentProcessing, "")
	e.g.Advance(t, 5*time.Second)
	e.wantStatus(t, id, gateway.PaymentSuccess, gateway.CodeSuccess)
}

func TestOrderCode(t *testing.T) {
	e := newEnv(t)
	resp := e.pay(t, e.payRequest("ORDER_CODE_1", gateway.ScenarioOrderCode, 1234), wire.StatusUnknown)
	if resp.OrderCodeForm == nil || len(resp.OrderCodeForm.CodeDetails) == 0 {
		t.Fatalf("answer %+v has no orderCodeForm", resp)
	}
	code := resp.OrderCodeForm.CodeDetails[0].CodeValue
	r := e.get(t, code)
	if r.Status != http.StatusOK {
		t.Fatalf("GET codeValue: %d", r.Status)
	}
	img := pagePath(code) + "/qr.png"
	wantContains(t, "order code page", r.Body, "12.34 USD", payButton, `<img src="`+img+`" alt="QR code of the order">`)
	if got := decodeQR(t, e.get(t, e.srv.URL+img)); got != code {
		t.Errorf("qr.png decodes to %q, want the codeValue %q", got, code)
	}
	r = e.post(t, code, payForm)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST pay: %d", r.Status)
	}
	e.wantStatus(t, resp.PaymentID, gateway.PaymentSuccess, gateway.CodeSuccess)
}

func TestEntryCode(t *testing.T) {
	e := newEnv(t)
	resp := e.pay(t, e.payRequest("ENTRY_CODE_1", gateway.ScenarioEntryCode, 500), wire.StatusUnknown)
	if resp.RedirectActionForm == nil || resp.RedirectActionForm.RedirectURL == "" {
		t.Fatalf("answer %+v has no redirectActionForm", resp)
	}
	link := resp.RedirectActionForm.RedirectURL
	r := e.get(t, link)
	if r.Status != http.StatusOK {
		t.Fatalf("GET redirectUrl: %d", r.Status)
	}
	wantContains(t, "entry code page", r.Body, "5.00 USD", payButton, declineBtn)
	if strings.Contains(r.Body, "qr.png") {
		t.Error("the entry code page shows an order code")
	}
	e.post(t, link, url.Values{"action": {"decline"}, "code": {"RISK_REJECT"}})
	e.wantStatus(t, resp.PaymentID, gateway.PaymentFail, "RISK_REJECT")
}

// TestCrossOrigin: a POST another site makes the browser send is refused
// before anything happens.
func TestCrossOrigin(t *testing.T) {
	e := newEnv(t)
	id, link := e.cashier(t, "CROSS_1")
	e.get(t, link)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "https://evil.example"},
	} {
		r := e.do(t, http.MethodPost, link, payForm, h)
		if r.Status != http.StatusForbidden || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("POST with %v: %d %s, want a 403 page", h, r.Status, r.Header.Get("Content-Type"))
		}
	}
	e.wantStatus(t, id, gateway.PaymentProcessing, "")
	r := e.do(t, http.MethodPost, link, payForm, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("same-origin POST: %d", r.Status)
	}
	e.wantStatus(t, id, gateway.PaymentSuccess, gateway.CodeSuccess)
}

// TestUnsafeRedirectURL: the pages only ever send the user to an absolute
// http(s) paymentRedirectUrl. The API refuses anything else, so the
// payments here are made through the service.
func TestUnsafeRedirectURL(t *testing.T) {
	e := newEnv(t)
	req := e.payRequest("JS_API", "", 1000)
	req.PaymentRedirectURL = "javascript:alert(1)"
	if resp := e.pay(t, req, wire.StatusFail); resp.Result.Code != wire.CodeParamIllegal {
		t.Fatalf("the API took paymentRedirectUrl javascript:alert(1): %v", resp.Result)
	}
	for i, redirect := range []string{"javascript:alert(1)", "//evil.example/return", "/return", "data:text/html,hi", ""} {
		res, err := e.g.Service().Pay(context.Background(), gateway.PayInput{
			ClientID: e.g.ClientID(), RequestID: "UNSAFE_" + string(rune('A'+i)), ProductCode: gateway.ProductCashier,
			Amount: gateway.Money{Value: 1000, Currency: "USD"}, MethodType: "ALIPAY_CN", RedirectURL: redirect})
		if err != nil {
			t.Fatal(err)
		}
		link := res.Payment.ActionURL
		r := e.post(t, link, payForm)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != pagePath(link) {
			t.Errorf("redirect %q: POST pay: %d Location %q, want 303 to the page", redirect, r.Status, r.Header.Get("Location"))
		}
		e.wantStatus(t, res.Payment.ID, gateway.PaymentSuccess, gateway.CodeSuccess)
		page := e.get(t, link).Body
		wantContains(t, "page", page, "<h1>Paid</h1>")
		if strings.Contains(page, "Return to the shop") || (redirect != "" && strings.Contains(page, redirect)) {
			t.Errorf("redirect %q: the page links to it:\n%s", redirect, page)
		}
	}
}

// TestAfterExpiry: a payment closed at its expiry, or past it and not
// closed yet, is not paid by a POST; the user lands on the page, which
// says so.
func TestAfterExpiry(t *testing.T) {
	e := newEnv(t)
	id, link := e.cashier(t, "EXPIRED_1")
	e.get(t, link)
	e.g.Advance(t, 14*time.Minute)
	e.wantStatus(t, id, gateway.PaymentFail, gateway.CodeOrderIsClosed)
	r := e.post(t, link, payForm)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != pagePath(link) {
		t.Fatalf("POST pay after the close: %d Location %q, want 303 to the page", r.Status, r.Header.Get("Location"))
	}
	e.wantStatus(t, id, gateway.PaymentFail, gateway.CodeOrderIsClosed)
	page := e.get(t, link).Body
	wantContains(t, "page of the closed payment", page, "<h1>Closed unpaid at its expiry</h1>", returnLink)
	if strings.Contains(page, payButton) {
		t.Error("the page of a closed payment still offers Pay")
	}

	// Past its expiry, before the gateway closed it.
	id2, link2 := e.cashier(t, "EXPIRED_2")
	e.get(t, link2)
	e.g.Clock().Advance(14 * time.Minute)
	r = e.post(t, link2, payForm)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != pagePath(link2) {
		t.Fatalf("POST pay past the expiry: %d Location %q, want 303 to the page", r.Status, r.Header.Get("Location"))
	}
	e.wantStatus(t, id2, gateway.PaymentProcessing, "")
	page = e.get(t, link2).Body
	wantContains(t, "page past the expiry", page, "<h1>Expired</h1>")
	if strings.Contains(page, payButton) {
		t.Error("the page of an expired payment still offers Pay")
	}
	e.g.Step(t)
	e.wantStatus(t, id2, gateway.PaymentFail, gateway.CodeOrderIsClosed)
	wantContains(t, "page after the close", e.get(t, link2).Body, "<h1>Closed unpaid at its expiry</h1>")
}

// TestCancelledShown: a payment the merchant cancelled while the user had
// the page open shows so, and a late Pay changes nothing.
func TestCancelledShown(t *testing.T) {
	e := newEnv(t)
	id, link := e.cashier(t, "CANCEL_1")
	e.get(t, link)
	rep := e.g.Do(t, gatewaytest.Request{Path: "/ams/api/v1/payments/cancel", Body: `{"paymentId":"` + id + `"}`})
	if rep.Result.Status != wire.StatusSuccess {
		t.Fatalf("cancel: %v", rep.Result)
	}
	r := e.post(t, link, payForm)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != pagePath(link) {
		t.Fatalf("POST pay after the cancel: %d Location %q", r.Status, r.Header.Get("Location"))
	}
	e.wantStatus(t, id, gateway.PaymentCancelled, "")
	wantContains(t, "page of the cancelled payment", e.get(t, link).Body, "<h1>Cancelled by the merchant</h1>", "status-cancelled")
}

// TestConcurrentDecisions: Pay and Decline pressed at once from two tabs;
// one wins, both users land somewhere sensible.
func TestConcurrentDecisions(t *testing.T) {
	e := newEnv(t)
	id, link := e.cashier(t, "RACE_1")
	e.get(t, link)
	forms := []url.Values{payForm, {"action": {"decline"}}, payForm, {"action": {"decline"}}}
	codes := make([]int, len(forms))
	var wg sync.WaitGroup
	for i, f := range forms {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := e.client.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusSeeOther {
			t.Errorf("POST %v: %d, want 303", forms[i], c)
		}
	}
	if p := e.payment(t, id); p.Status != gateway.PaymentSuccess && p.Status != gateway.PaymentFail {
		t.Errorf("payment is %s after the clicks", p.Status)
	}
}
