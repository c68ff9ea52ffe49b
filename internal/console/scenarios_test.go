package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/sim"
)

func tryForm(amount, product string) url.Values {
	return url.Values{"client": {gatewaytest.ClientID}, "product": {product}, "currency": {"USD"}, "amount": {amount}}
}

// TestScenarios: the page shows the simulator's table; trying 9906 makes
// a payment that FAILs with USER_BALANCE_NOT_ENOUGH.
func TestScenarios(t *testing.T) {
	h := newHarness(t)
	page := h.page("/console/scenarios")
	mustContain(t, "scenarios page", page.Text, "any other", "9906", "F USER_BALANCE_NOT_ENOUGH", "9910",
		sim.Scenarios[5].Later, "IN_STORE_PAYMENT · OrderCode", "CASHIER_PAYMENT", `name="amount" type="number" min="1" value="1000"`)
	if n := strings.Count(page.Body, `action="/console/scenarios/try"`); n != len(sim.Scenarios) {
		t.Errorf("%d try forms, want one per row (%d)", n, len(sim.Scenarios))
	}

	loc, next := h.submit("/console/scenarios/try", tryForm("9906", "IN_STORE_PAYMENT/PaymentCode"))
	id := strings.TrimPrefix(loc, "/console/payments/")
	p := h.payment(id)
	if p.Status != gateway.PaymentFail || p.ResultCode != "USER_BALANCE_NOT_ENOUGH" {
		t.Errorf("9906 payment is %s %s, want FAIL USER_BALANCE_NOT_ENOUGH", p.Status, p.ResultCode)
	}
	if !strings.HasPrefix(p.RequestID, "console-try-") || p.ReferenceID != p.RequestID || p.MethodID != "281234567890123456" {
		t.Errorf("payment request id %q, reference %q, method id %q", p.RequestID, p.ReferenceID, p.MethodID)
	}
	mustContain(t, "payment page", next.Text, "answered F USER_BALANCE_NOT_ENOUGH", "FAIL")

	// An OrderCode at any other amount waits for the user.
	loc, _ = h.submit("/console/scenarios/try", tryForm("1000", "IN_STORE_PAYMENT/OrderCode"))
	if p := h.payment(strings.TrimPrefix(loc, "/console/payments/")); p.Status != gateway.PaymentProcessing || p.ActionURL == "" || p.Scenario != "OrderCode" {
		t.Errorf("OrderCode payment %+v, want PROCESSING with an action URL", p)
	}

	// 9910: no payment on the first attempt; the retry goes through.
	r := h.post("/console/scenarios/try", tryForm("9910", "CASHIER_PAYMENT"))
	if r.Status != http.StatusOK {
		t.Fatalf("9910: status %d, want 200 with a message", r.Status)
	}
	mustContain(t, "9910 answer", r.Text, "no payment was created", "Send the same request again")
	m := regexp.MustCompile(`name="requestId" value="([^"]+)"`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no retry form")
	}
	retry := tryForm("9910", "CASHIER_PAYMENT")
	retry.Set("requestId", m[1])
	loc, _ = h.submit("/console/scenarios/try", retry)
	if p := h.payment(strings.TrimPrefix(loc, "/console/payments/")); p.RequestID != m[1] || p.ProductCode != gateway.ProductCashier {
		t.Errorf("retried payment %+v, want request id %s", p, m[1])
	}

	for _, c := range []struct {
		form  url.Values
		field string
	}{
		{tryForm("0", "CASHIER_PAYMENT"), "amount"},
		{tryForm("12", "WALLET"), "product"},
		{url.Values{"client": {"NOBODY"}, "product": {"CASHIER_PAYMENT"}, "amount": {"5"}}, "client"},
		{url.Values{"client": {gatewaytest.ClientID}, "product": {"CASHIER_PAYMENT"}, "amount": {"5"}, "currency": {"XYZ"}}, "currency"},
		{url.Values{"client": {gatewaytest.ClientID}, "product": {"CASHIER_PAYMENT"}, "amount": {"5"}, "requestId": {"MERCHANT_1"}}, "request id"},
	} {
		r := h.post("/console/scenarios/try", c.form)
		if r.Status != http.StatusBadRequest && r.Status != http.StatusNotFound {
			t.Errorf("%v: status %d, want 400 or 404", c.form, r.Status)
		}
		mustContain(t, "refusal", r.Text, "try refused", c.field)
	}
}
