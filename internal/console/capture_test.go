package console_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
)

// TestPaymentPageShowsAuthorisation: an authorisation's page shows its
// capture mode, state, captured sums, authExpiryTime and captures, and
// offers a refund of the captured money but no cancel once captured.
func TestPaymentPageShowsAuthorisation(t *testing.T) {
	h := newHarness(t)
	rep := h.g.Do(t, gatewaytest.Request{Path: pathPay, Body: `{"productCode":"CASHIER_PAYMENT","paymentRequestId":"REQ_AUTH_1",` +
		`"order":{"referenceOrderId":"ORDER_AUTH_1"},"paymentAmount":{"currency":"USD","value":"1000"},` +
		`"paymentMethod":{"paymentMethodType":"CARD"},"paymentFactor":{"isAuthorization":true,"captureMode":"MANUAL"},` +
		`"paymentRedirectUrl":"https://merchant.example/return"}`})
	var a struct {
		PaymentID string `json:"paymentId"`
	}
	if err := json.Unmarshal(rep.Plain, &a); err != nil || a.PaymentID == "" {
		t.Fatalf("pay: %s", rep.Plain)
	}
	id := a.PaymentID
	h.g.Advance(t, gatewaytest.DefaultSimDelay) // the card holder pays

	r := h.page("/console/payments/" + id)
	mustContain(t, "authorised payment page", r.Text, "Authorisation", "MANUAL", "AUTHORISED", "authExpiryTime",
		"Still capturable", "10.00 USD", "No captures.", "Cancel the payment")

	capture := h.g.Do(t, gatewaytest.Request{Path: "/ams/api/v1/payments/capture",
		Body: fmt.Sprintf(`{"captureRequestId":"CAP_CONSOLE_1","paymentId":%q,"captureAmount":{"currency":"USD","value":"400"}}`, id)})
	if capture.Result.Code != "SUCCESS" {
		t.Fatalf("capture: %s", capture.Plain)
	}
	r = h.page("/console/payments/" + id)
	mustContain(t, "captured payment page", r.Text, "PARTIALLY_CAPTURED", "CAP_CONSOLE_1", "4.00 USD", "6.00 USD",
		"capture "+h.captureID(id)+" captured", `max="400"`)
	if strings.Contains(r.Text, "Cancel the payment") {
		t.Error("a partly captured authorisation's page offers a cancel; it cannot be cancelled")
	}

	plain := h.pay("REQ_PLAIN_1", 1000)
	if r := h.page("/console/payments/" + plain); strings.Contains(r.Text, `id="authorisation"`) {
		t.Error("a payment that is not an authorisation shows an authorisation section")
	}
}

// captureID returns the id of the only capture of a payment.
func (h *harness) captureID(paymentID string) string {
	h.t.Helper()
	d, err := h.g.Service().ShowPayment(h.t.Context(), gateway.PaymentRef{PaymentID: paymentID})
	if err != nil || len(d.Captures) != 1 {
		h.t.Fatalf("captures of %s: %v, %v; want one", paymentID, d, err)
	}
	return d.Captures[0].ID
}
