package wallet_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/antomgw/antomgw/wire"
)

// newSessionEnv is newEnv whose gateway hands out this wallet's session
// pages and logos.
func newSessionEnv(t *testing.T, opts ...gatewaytest.Option) *env {
	t.Helper()
	e := newEnv(t, opts...)
	e.g.Service().SessionURL, e.g.Service().LogoURL = e.pages.SessionURL, e.pages.LogoURL
	return e
}

// session creates a payment session of value minor units of USD and
// returns its normalUrl.
func (e *env) session(t *testing.T, requestID string, value int64, extra string) string {
	t.Helper()
	body := fmt.Sprintf(`{"productCode":"CASHIER_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":"ORDER_%s","orderDescription":"a book"},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentRedirectUrl":%q,"paymentNotifyUrl":%q%s}`,
		requestID, requestID, value, shopReturn, e.notify, extra)
	rep := e.g.Do(t, gatewaytest.Request{Path: "/ams/api/v1/payments/createPaymentSession", Body: body})
	r := gatewaytest.Decode[antomgw.CreatePaymentSessionResponse](t, rep)
	if r.Result.Status != wire.StatusSuccess || !strings.HasPrefix(r.NormalURL, e.srv.URL+"/wallet/session/"+r.PaymentSessionID+"/") {
		t.Fatalf("createPaymentSession %s = %+v; want S with a normalUrl on the wallet", requestID, r)
	}
	return r.NormalURL
}

// sessionPayment returns the payment of a session's request id, nil when
// there is none.
func (e *env) sessionPayment(t *testing.T, requestID string) *gateway.Payment {
	t.Helper()
	p, err := e.g.Service().FindPayment(context.Background(), gateway.PaymentRef{ClientID: e.g.ClientID(), RequestID: requestID})
	if gateway.KindOf(err) == gateway.KindNotFound {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSessionPage(t *testing.T) {
	e := newSessionEnv(t)
	link := e.session(t, "SES_1", 1000, `,"userRegion":"PH"`)
	before := e.g.Snapshot(t)
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		if r := e.do(t, method, link, nil, nil); r.Status != http.StatusOK {
			t.Fatalf("%s normalUrl: %d\n%s", method, r.Status, r.Body)
		}
	}
	r := e.get(t, link)
	wantContains(t, "session page", r.Body, "10.00 USD", e.g.ClientID(), "ORDER_SES_1 · a book",
		`<input type="radio" name="method" value="GCASH" checked>`, // preferred for PH, first enabled
		`<img src="/wallet/static/logos/GCASH.svg" alt="" width="48" height="30">`,
		`<input type="radio" name="method" value="CARD">`, "VISA, MASTERCARD, AMEX, UNIONPAY",
		`<input type="radio" name="method" value="DANA" disabled>`, "CHANNEL_NOT_SUPPORT_CURRENCY",
		`<time class="countdown" datetime="`+e.g.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)+`" data-remaining="3600">Expires in 1 h 0 min 0 s</time>`,
		payButton, declineBtn, `<input type="radio" name="code" value="USER_PAYMENT_VERIFICATION_FAILED" checked>`)
	if strings.Contains(r.Body, `value="TRUEMONEY"`) {
		t.Error("the page offers TRUEMONEY, which the table keeps off WEB")
	}
	if after := e.g.Snapshot(t); after != before {
		t.Errorf("opening the session page changed the store:\n%s", before.Diff(after))
	}

	// Pay with CARD: the payment is created and paid; the browser goes
	// back to the shop; the merchant is notified.
	r = e.post(t, link, url.Values{"action": {"pay"}, "method": {"CARD"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != shopReturn {
		t.Fatalf("POST pay: %d Location %q, want 303 to %s\n%s", r.Status, r.Header.Get("Location"), shopReturn, r.Body)
	}
	p := e.sessionPayment(t, "SES_1")
	if p == nil || p.Status != gateway.PaymentSuccess || p.MethodType != "CARD" || p.ProductCode != gateway.ProductCashier || p.NotifyURL != e.notify {
		t.Fatalf("payment of SES_1 = %+v; want a SUCCESS CASHIER_PAYMENT by CARD", p)
	}
	e.g.Step(t)
	if got := e.sink.Missing(map[string]wire.Status{p.ID: wire.StatusSuccess}); len(got) != 0 {
		t.Errorf("the merchant was not notified of the success of %v", got)
	}
	wantContains(t, "page of the paid session", e.get(t, link).Body, "<h1>Paid</h1>", p.ID, "status-success", returnLink)

	// Submitting again changes nothing: still one payment, still paid.
	for _, form := range []url.Values{{"action": {"pay"}, "method": {"CARD"}}, {"action": {"decline"}, "method": {"GCASH"}}} {
		r = e.post(t, link, form)
		if r.Status != http.StatusSeeOther {
			t.Errorf("POST %v again: %d, want 303", form, r.Status)
		}
	}
	if again := e.sessionPayment(t, "SES_1"); again.ID != p.ID || again.Status != gateway.PaymentSuccess {
		t.Errorf("after two more submits the payment is %+v, want %s SUCCESS", again, p.ID)
	}
}

func TestSessionDecline(t *testing.T) {
	e := newSessionEnv(t)
	link := e.session(t, "SES_DECLINE", 1000, "")
	r := e.post(t, link, url.Values{"action": {"decline"}, "method": {"ALIPAY_CN"}, "code": {"USER_BALANCE_NOT_ENOUGH"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != shopReturn {
		t.Fatalf("POST decline: %d Location %q\n%s", r.Status, r.Header.Get("Location"), r.Body)
	}
	p := e.sessionPayment(t, "SES_DECLINE")
	if p == nil || p.Status != gateway.PaymentFail || p.ResultCode != "USER_BALANCE_NOT_ENOUGH" || p.MethodType != "ALIPAY_CN" {
		t.Fatalf("payment = %+v, want FAIL USER_BALANCE_NOT_ENOUGH by ALIPAY_CN", p)
	}
	e.g.Step(t)
	if got := e.sink.Missing(map[string]wire.Status{p.ID: wire.StatusFail}); len(got) != 0 {
		t.Errorf("the merchant was not notified of the failure of %v", got)
	}
	wantContains(t, "page of the declined session", e.get(t, link).Body, "<h1>Declined</h1>", "USER_BALANCE_NOT_ENOUGH")
}

func TestSessionRefused(t *testing.T) {
	e := newSessionEnv(t)
	link := e.session(t, "SES_REFUSED", 1000, "")
	for _, c := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"action": {"pay"}}, "method"},
		{url.Values{"action": {"pay"}, "method": {"DANA"}}, "method"},   // disabled: USD
		{url.Values{"action": {"pay"}, "method": {"PAYPAL"}}, "method"}, // not in the table
		{url.Values{"action": {"decline"}, "method": {"CARD"}, "code": {"ORDER_IS_CLOSED"}}, "code"},
		{url.Values{"action": {"refund"}, "method": {"CARD"}}, "action"},
	} {
		r := e.post(t, link, c.form)
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Bad request: "+c.field) {
			t.Errorf("POST %v: %d, want a 400 page naming %s\n%s", c.form, r.Status, c.field, r.Body)
		}
	}
	if p := e.sessionPayment(t, "SES_REFUSED"); p != nil {
		t.Errorf("refused submits created payment %+v", p)
	}

	// Cross-site POSTs are refused before anything is read.
	r := e.do(t, http.MethodPost, link, url.Values{"action": {"pay"}, "method": {"CARD"}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if r.Status != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", r.Status)
	}

	// Wrong tokens, an unknown session, a payment's checkout token: the
	// one 404 page.
	dir, token := link[:strings.LastIndex(link, "/")+1], link[strings.LastIndex(link, "/")+1:]
	other := "A" + token[1:]
	if token[0] == 'A' {
		other = "B" + token[1:]
	}
	id := strings.TrimSuffix(strings.TrimPrefix(dir, e.srv.URL+"/wallet/session/"), "/")
	checkoutToken := strings.TrimPrefix(e.pages.CheckoutURL(&gateway.Payment{ID: id}), e.srv.URL+"/wallet/checkout/"+id+"/")
	for _, target := range []string{dir + other, dir + token + "x", e.srv.URL + "/wallet/session/1" + id + "/" + token,
		dir + checkoutToken, e.srv.URL + "/wallet/checkout/" + id + "/" + token} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			r := e.do(t, method, target, url.Values{"action": {"pay"}, "method": {"CARD"}}, nil)
			if r.Status != http.StatusNotFound || !strings.Contains(r.Body, invalidLink) {
				t.Errorf("%s %s: %d, want the 404 page\n%s", method, target, r.Status, r.Body)
			}
		}
	}
	for _, target := range []string{e.srv.URL + "/wallet/session/", e.srv.URL + "/wallet/session/x", link + "/qr.png"} {
		if r := e.get(t, target); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", target, r.Status)
		}
	}
	if r := e.do(t, http.MethodPut, link, nil, nil); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d, want 405", r.Status)
	}
	if p := e.sessionPayment(t, "SES_REFUSED"); p != nil {
		t.Errorf("refused requests created payment %+v", p)
	}
}

func TestSessionExpired(t *testing.T) {
	e := newSessionEnv(t)
	at := e.g.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
	link := e.session(t, "SES_EXPIRED", 1000, `,"paymentSessionExpiryTime":"`+at+`"`)
	wantContains(t, "session page", e.get(t, link).Body, "Expires in 10 min 0 s")
	e.g.Clock().Advance(10 * time.Minute)
	wantContains(t, "expired session page", e.get(t, link).Body, "<h1>Expired</h1>")
	r := e.post(t, link, url.Values{"action": {"pay"}, "method": {"CARD"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != pagePath(link) {
		t.Errorf("POST pay after the expiry: %d Location %q, want 303 to the page", r.Status, r.Header.Get("Location"))
	}
	if p := e.sessionPayment(t, "SES_EXPIRED"); p != nil {
		t.Errorf("an expired session took payment %+v", p)
	}
}

// TestSessionSimulatorAmounts: the scenario table holds on a session's
// page: 9906 fails at once, 9910 refuses the first submit only.
func TestSessionSimulatorAmounts(t *testing.T) {
	e := newSessionEnv(t)
	link := e.session(t, "SES_9906", sim.AmountBalance, "")
	e.post(t, link, url.Values{"action": {"pay"}, "method": {"CARD"}})
	if p := e.sessionPayment(t, "SES_9906"); p == nil || p.Status != gateway.PaymentFail || p.ResultCode != "USER_BALANCE_NOT_ENOUGH" {
		t.Errorf("9906 session payment = %+v, want FAIL USER_BALANCE_NOT_ENOUGH", p)
	}
	wantContains(t, "page of the failed session", e.get(t, link).Body, "<h1>Declined</h1>", "USER_BALANCE_NOT_ENOUGH")

	link = e.session(t, "SES_9910", sim.AmountTrafficLimit, "")
	r := e.post(t, link, url.Values{"action": {"pay"}, "method": {"CARD"}})
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "The wallet is busy") || !strings.Contains(r.Body, payButton) {
		t.Errorf("first submit of a 9910 session: %d, want 503 with the form again\n%s", r.Status, r.Body)
	}
	if p := e.sessionPayment(t, "SES_9910"); p != nil {
		t.Errorf("a refused submit created payment %+v", p)
	}
	e.post(t, link, url.Values{"action": {"pay"}, "method": {"CARD"}})
	if p := e.sessionPayment(t, "SES_9910"); p == nil || p.Status != gateway.PaymentSuccess {
		t.Errorf("second submit of a 9910 session: payment %+v, want SUCCESS", p)
	}
}

// TestLogos: every logo the consult table names is served, as SVG.
func TestLogos(t *testing.T) {
	e := newSessionEnv(t)
	for _, name := range sim.Logos() {
		u := e.pages.LogoURL(name)
		if want := e.srv.URL + "/wallet/static/logos/" + name + ".svg"; u != want {
			t.Errorf("LogoURL(%s) = %q, want %q", name, u, want)
		}
		r := e.get(t, u)
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(r.Body, "<svg ") {
			t.Errorf("GET %s: %d %s, want an SVG", u, r.Status, r.Header.Get("Content-Type"))
		}
	}
	if r := e.get(t, e.srv.URL+"/wallet/static/logos/NOPE.svg"); r.Status != http.StatusNotFound {
		t.Errorf("unknown logo: %d, want 404", r.Status)
	}
}

// TestSessionURL: a session's link is PublicURL/wallet/session/<id>/<a
// 22-character token>, which differs from a payment's with the same id.
func TestSessionURL(t *testing.T) {
	e := newSessionEnv(t)
	s := &gateway.PaymentSession{ID: "20260302093000123456789012345678"}
	link := e.pages.SessionURL(s)
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(e.srv.URL) + `/wallet/session/` + s.ID + `/[A-Za-z0-9_-]{22}$`).MatchString(link) {
		t.Errorf("SessionURL = %q", link)
	}
	pay := e.pages.CheckoutURL(&gateway.Payment{ID: s.ID})
	if link[strings.LastIndex(link, "/"):] == pay[strings.LastIndex(pay, "/"):] {
		t.Error("a session and a payment with the same id get the same token")
	}
}
