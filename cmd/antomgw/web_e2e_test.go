//go:build unix

package main

// End-to-end tests of what antomgw serve shows in a browser: the console,
// the wallet's pages and the test clock, through the real binary (issue
// 13's "done when"). The pages' look is tested in a real browser in
// internal/browsertest.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/qr"
	"github.com/antomgw/antomgw/wire"
)

const payPath = "/ams/api/v1/payments/pay"

func cashierBody(requestID, value, redirect string) string {
	return `{"productCode":"CASHIER_PAYMENT","paymentRequestId":"` + requestID + `","order":{"referenceOrderId":"ORDER-` + requestID +
		`","orderDescription":"Cappuccino"},"paymentAmount":{"currency":"USD","value":"` + value + `"},` +
		`"paymentMethod":{"paymentMethodType":"ALIPAY_CN"},"paymentRedirectUrl":"` + redirect + `","settlementStrategy":{"settlementCurrency":"USD"}}`
}

func inStoreBody(requestID, value, scenario string) string {
	method := `"paymentMethod":{"paymentMethodType":"CONNECT_WALLET"}`
	if scenario == "PaymentCode" {
		method = `"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281234567890123456"}`
	}
	return `{"productCode":"IN_STORE_PAYMENT","paymentRequestId":"` + requestID + `","order":{"referenceOrderId":"ORDER-` + requestID + `"},` +
		`"paymentAmount":{"currency":"USD","value":"` + value + `"},` + method + `,"paymentFactor":{"inStorePaymentScenario":"` + scenario + `"}}`
}

// page is one GET or POST of a page, redirects not followed.
type page = gatewaytest.Page

func fetch(t *testing.T, p *gatewaytest.Process, method, rawURL string, form url.Values, header map[string]string) page {
	t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = p.URL + rawURL
	}
	return gatewaytest.Browse(t, p.Client, method, rawURL, form, header)
}

func wantPage(t *testing.T, pg page, status int, contains ...string) {
	t.Helper()
	if pg.Status != status {
		t.Fatalf("status %d, want %d\n%s", pg.Status, status, clipText(pg.Body, 2000))
	}
	for _, s := range contains {
		if !strings.Contains(pg.Body, s) {
			t.Errorf("the page does not contain %q\n%s", s, clipText(pg.Body, 4000))
		}
	}
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func inquire(t *testing.T, e *e2e, s *gatewaytest.Process, m *merchant, paymentID string) (status, code string) {
	t.Helper()
	a := e.do(s, m, gatewaytest.Request{Path: "/ams/api/v1/payments/inquiryPayment", Body: `{"paymentId":"` + paymentID + `"}`})
	var out struct {
		PaymentStatus     string `json:"paymentStatus"`
		PaymentResultCode string `json:"paymentResultCode"`
	}
	if err := json.Unmarshal(a.Plain, &out); err != nil {
		t.Fatal(err)
	}
	return out.PaymentStatus, out.PaymentResultCode
}

// TestE2EConsole: on serve with defaults, /console/ answers 200; a payment
// made by a merchant appears in the list and on its page with the messages
// exchanged; a request with a bad signature appears on the requests page
// with its diagnosis.
func TestE2EConsole(t *testing.T) {
	t.Parallel()
	e, s, m := newServing(t, "E2E_CONSOLE")
	wantPage(t, fetch(t, s, "GET", "/console/", nil, nil), 200)

	a := e.do(s, m, gatewaytest.Request{Path: payPath, Body: inStoreBody("CONSOLE-PAY-1", "1000", "PaymentCode")})
	expect(t, a, wire.StatusSuccess, "SUCCESS", "pay")
	wantPage(t, fetch(t, s, "GET", "/console/payments", nil, nil), 200, a.PaymentID, "CONSOLE-PAY-1")
	wantPage(t, fetch(t, s, "GET", "/console/payments/"+a.PaymentID, nil, nil), 200,
		payPath, "CONSOLE-PAY-1", "281234567890123456", "SUCCESS")

	bad := "algorithm=RSA256,keyVersion=1,signature=" + strings.Repeat("QUFB", 86) + "QQ%3D%3D"
	r := e.do(s, m, gatewaytest.Request{Path: payPath, Body: inStoreBody("CONSOLE-BAD-1", "1000", "PaymentCode"), Signature: &bad})
	expect(t, r, wire.StatusFail, "INVALID_SIGNATURE", "a badly signed pay")
	list := fetch(t, s, "GET", "/console/requests", nil, nil)
	wantPage(t, list, 200, "INVALID_SIGNATURE")
	link := regexp.MustCompile(`/console/requests/(\d+)`).FindAllStringSubmatch(list.Body, -1)
	if len(link) == 0 {
		t.Fatalf("the requests page links no request\n%s", clipText(list.Body, 4000))
	}
	// Newest first: the bad one is the first link.
	wantPage(t, fetch(t, s, "GET", "/console/requests/"+link[0][1], nil, nil), 200,
		"INVALID_SIGNATURE", "CONSOLE-BAD-1", "Content verified:", "Usual causes:")
}

// TestE2EWalletCheckout: a CASHIER_PAYMENT's normalUrl opens the checkout
// page on the gateway; Pay redirects to paymentRedirectUrl and the payment
// is SUCCESS (and notified); Decline fails it. An OrderCode's page embeds
// a PNG QR code of its code value.
func TestE2EWalletCheckout(t *testing.T) {
	t.Parallel()
	e, s, _ := newServing(t, "E2E_WALLET_X", "--sim-delay", "1h")
	m, sink := e.addNotifiedMerchant("E2E_WALLET")
	const shop = "http://127.0.0.1:9/shop/return?order=1"

	pay := func(id, value string) string {
		t.Helper()
		a := e.do(s, m, gatewaytest.Request{Path: payPath, Body: cashierBody(id, value, shop)})
		expect(t, a, wire.StatusUnknown, "PAYMENT_IN_PROCESS", "cashier pay")
		var out struct {
			NormalURL string `json:"normalUrl"`
		}
		json.Unmarshal(a.Plain, &out)
		if !strings.HasPrefix(out.NormalURL, s.URL+"/wallet/checkout/"+a.PaymentID+"/") {
			t.Fatalf("normalUrl = %q, want a checkout page on the gateway %s", out.NormalURL, s.URL)
		}
		return out.NormalURL
	}

	normal := pay("WALLET-PAY-1", "1234")
	wantPage(t, fetch(t, s, "GET", normal, nil, nil), 200, "12.34 USD", `value="pay"`, `value="decline"`)
	done := fetch(t, s, "POST", normal, url.Values{"action": {"pay"}}, nil)
	if done.Status != http.StatusSeeOther || done.Header.Get("Location") != shop {
		t.Fatalf("pay: %d to %q, want 303 to the shop %q\n%s", done.Status, done.Header.Get("Location"), shop, clipText(done.Body, 1000))
	}
	id := strings.Split(strings.TrimPrefix(normal, s.URL+"/wallet/checkout/"), "/")[0]
	if st, _ := inquire(t, e, s, m, id); st != "SUCCESS" {
		t.Fatalf("after Pay the payment is %s, want SUCCESS", st)
	}
	if !gatewaytest.WaitFor(30*time.Second, func() bool { return sink.Deliveries()[id] > 0 }) {
		t.Errorf("the paid payment was not notified within 30s")
	}

	declined := pay("WALLET-PAY-2", "1234")
	fetch(t, s, "GET", declined, nil, nil)
	if pg := fetch(t, s, "POST", declined, url.Values{"action": {"decline"}}, nil); pg.Status != http.StatusSeeOther {
		t.Fatalf("decline: %d, want 303", pg.Status)
	}
	id2 := strings.Split(strings.TrimPrefix(declined, s.URL+"/wallet/checkout/"), "/")[0]
	if st, code := inquire(t, e, s, m, id2); st != "FAIL" || code == "" {
		t.Fatalf("after Decline the payment is %s %q, want FAIL with a code", st, code)
	}

	// OrderCode: the code value opens the same page, which shows it as a
	// QR code.
	a := e.do(s, m, gatewaytest.Request{Path: payPath, Body: inStoreBody("WALLET-OC-1", "500", "OrderCode")})
	var oc struct {
		OrderCodeForm struct {
			CodeDetails []struct {
				CodeValue string `json:"codeValue"`
			} `json:"codeDetails"`
		} `json:"orderCodeForm"`
	}
	json.Unmarshal(a.Plain, &oc)
	if len(oc.OrderCodeForm.CodeDetails) == 0 {
		t.Fatalf("OrderCode answer has no code: %s", a.Plain)
	}
	code := oc.OrderCodeForm.CodeDetails[0].CodeValue
	pg := fetch(t, s, "GET", code, nil, nil)
	wantPage(t, pg, 200, "5.00 USD")
	img := regexp.MustCompile(`<img[^>]+src="([^"]+\.png)"`).FindStringSubmatch(pg.Body)
	if img == nil {
		t.Fatalf("the OrderCode checkout page embeds no PNG image\n%s", clipText(pg.Body, 4000))
	}
	png := fetch(t, s, "GET", img[1], nil, nil)
	if png.Status != 200 || png.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("GET %s: %d %s, want 200 image/png", img[1], png.Status, png.Header.Get("Content-Type"))
	}
	if got := decodeQR(t, []byte(png.Body)); got != code {
		t.Errorf("the QR code reads %q, want the code value %q", got, code)
	}
}

func decodeQR(t *testing.T, b []byte) string {
	t.Helper()
	text, err := qr.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestE2EConsoleListener: on a listener on every address the console is
// off without a token; with --console-token it is served to requests that
// present the token. (The test reaches the listener on loopback.)
func TestE2EConsoleListener(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	open := e.start("--listen", "0.0.0.0:0")
	if pg := fetch(t, open, "GET", "/console/", nil, nil); pg.Status != http.StatusNotFound {
		t.Errorf("/console/ on 0.0.0.0 without a token: %d, want 404", pg.Status)
	}
	if pg := fetch(t, open, "GET", "/console/api/clock", nil, nil); pg.Status != http.StatusNotFound {
		t.Errorf("/console/api/clock on 0.0.0.0 without a token: %d, want 404", pg.Status)
	}

	e2 := newE2E(t)
	const token = "s3cret-console-token"
	guarded := e2.start("--listen", "0.0.0.0:0", "--console-token", token)
	if pg := fetch(t, guarded, "GET", "/console/", nil, nil); pg.Status == http.StatusOK {
		t.Errorf("/console/ without the token: 200, want a login redirect or 401")
	}
	bearer := map[string]string{"Authorization": "Bearer " + token}
	wantPage(t, fetch(t, guarded, "GET", "/console/", nil, bearer), 200)
	if pg := fetch(t, guarded, "GET", "/console/", nil, map[string]string{"Authorization": "Bearer wrong"}); pg.Status == http.StatusOK {
		t.Errorf("/console/ with a wrong token: 200, want it refused")
	}
	if strings.Contains(e2.allOutput(), token) {
		t.Errorf("the console token appears in the output")
	}
}

// TestE2ETestClock: with --test-clock, a 9905 payment is closed right after
// "antomgw clock advance 15m", and a notification whose receiver failed is
// retried after "clock advance 2m".
func TestE2ETestClock(t *testing.T) {
	t.Parallel()
	e, s, _ := newServing(t, "E2E_CLOCK_X", "--test-clock")
	m := e.addMerchant("E2E_CLOCK")
	sink := gatewaytest.NewSink(e.gatewayKeys)
	recv := &gatewaytest.Flaky{Fail: 1, Next: sink}
	hook := httptest.NewServer(recv)
	t.Cleanup(hook.Close)
	e.cli("clients", "update", "--data", e.data, "--client-id", m.id, "--notify-url", hook.URL+"/notify")

	before := e.cli("clock", "show", "--base-url", s.URL)
	if !strings.Contains(before, "test clock") {
		t.Errorf("clock show = %q, want it to say test clock", before)
	}
	a := e.do(s, m, gatewaytest.Request{Path: payPath, Body: inStoreBody("CLOCK-9905", "9905", "PaymentCode")})
	expect(t, a, wire.StatusUnknown, "PAYMENT_IN_PROCESS", "pay 9905")

	out := e.cli("clock", "advance", "15m", "--base-url", s.URL)
	if !strings.Contains(out, "clock moved 15m0s") {
		t.Errorf("clock advance = %q", out)
	}
	if st, code := inquire(t, e, s, m, a.PaymentID); st != "FAIL" || code != "ORDER_IS_CLOSED" {
		t.Fatalf("right after clock advance 15m: %s %s, want FAIL ORDER_IS_CLOSED", st, code)
	}
	if n := len(recv.Calls()); n != 1 {
		t.Fatalf("notification attempts after the close = %d, want 1 (failed)", n)
	}
	var adv struct {
		Attempts int `json:"attempts"`
	}
	if err := json.Unmarshal([]byte(e.cli("clock", "advance", "2m", "--base-url", s.URL, "--json")), &adv); err != nil {
		t.Fatal(err)
	}
	if n := len(recv.Calls()); n != 2 || adv.Attempts != 1 || sink.Deliveries()[a.PaymentID] != 1 {
		t.Fatalf("after clock advance 2m: %d attempts (this advance %d), delivered %d; want the retry delivered",
			n, adv.Attempts, sink.Deliveries()[a.PaymentID])
	}

	// Without --test-clock the command says what to do.
	_, plain, _ := newServing(t, "E2E_CLOCK_REAL")
	r := e.try("clock", "advance", "1m", "--base-url", plain.URL)
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "--test-clock") {
		t.Errorf("clock advance on a real clock: exit %d, stderr %q; want 1 naming --test-clock", r.ExitCode, r.Stderr)
	}
}
