package console_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
)

// createSession makes a payment session through the API and returns it.
func (h *harness) createSession(requestID string, value int64) antomgw.CreatePaymentSessionResponse {
	h.t.Helper()
	body := fmt.Sprintf(`{"productCode":"CASHIER_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":"O_%s"},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentRedirectUrl":"https://shop.example/r","productScene":"CHECKOUT_PAYMENT"}`,
		requestID, requestID, value)
	r := gatewaytest.Decode[antomgw.CreatePaymentSessionResponse](h.t, h.g.Do(h.t, gatewaytest.Request{Path: "/ams/api/v1/payments/createPaymentSession", Body: body}))
	if r.Result.Status != "S" {
		h.t.Fatalf("createPaymentSession %s = %+v", requestID, r)
	}
	return r
}

// TestSessionsPage: the sessions page lists each session with its state
// and, once the buyer paid, its payment.
func TestSessionsPage(t *testing.T) {
	h := newHarness(t)
	open := h.createSession("SES_OPEN", 1250)
	paid := h.createSession("SES_PAID", 990)
	r, err := h.g.Service().PaySession(t.Context(), gateway.SessionPayInput{SessionID: paid.PaymentSessionID, MethodType: "CARD", Outcome: gateway.ResolveSuccess})
	if err != nil {
		t.Fatal(err)
	}
	page := h.page("/console/sessions")
	mustContain(t, "sessions page", page.Text, "Payment sessions", open.PaymentSessionID, "SES_OPEN", "12.50 USD", "CHECKOUT_PAYMENT",
		`href="`+open.NormalURL+`"`, "ACTIVE", "all offered",
		paid.PaymentSessionID, "SES_PAID", "9.90 USD", "COMPLETED", `href="/console/payments/`+r.Payment.ID+`"`, "SUCCESS", "CARD",
		`href="/console/sessions" class="on"`)
	if strings.Contains(page.Text, `href="`+paid.NormalURL+`"`) {
		t.Error("the page links the checkout page of a completed session")
	}

	filtered := h.page("/console/sessions?paymentRequestId=SES_OPEN")
	if strings.Contains(filtered.Text, "SES_PAID") || !strings.Contains(filtered.Text, "SES_OPEN") {
		t.Errorf("the filter by paymentRequestId shows other sessions:\n%s", filtered.Text)
	}

	h.g.Clock().Advance(time.Hour)
	mustContain(t, "sessions page an hour later", h.page("/console/sessions?client="+h.g.ClientID()).Text, "EXPIRED", "COMPLETED")

	if got := h.get("/console/sessions?after=nope"); got.Status != 400 {
		t.Errorf("a bad cursor: status %d, want 400", got.Status)
	}
}
