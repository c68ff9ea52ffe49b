package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/sim"
)

func (h *harness) notifications(paymentID string) []gateway.Notification {
	h.t.Helper()
	list, err := h.g.Service().Notifications(h.t.Context(), gateway.NotificationFilter{PaymentID: paymentID})
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

// TestResolveForms: a 9905 payment (PROCESSING until it expires) resolved
// through each form reaches the state asked for, with a notification.
func TestResolveForms(t *testing.T) {
	h := newHarness(t)
	h.withSink()
	for _, c := range []struct {
		name         string
		form         url.Values
		status, code string
	}{
		{"success", url.Values{"outcome": {"success"}}, "SUCCESS", "SUCCESS"},
		{"fail default", url.Values{"outcome": {"fail"}}, "FAIL", "PROCESS_FAIL"},
		{"fail with code", url.Values{"outcome": {"fail"}, "code": {"RISK_REJECT"}}, "FAIL", "RISK_REJECT"},
		{"close", url.Values{"outcome": {"close"}}, "FAIL", "ORDER_IS_CLOSED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := h.pay("REQ_RESOLVE_"+strings.ReplaceAll(c.name, " ", "_"), sim.AmountNever)
			if p := h.payment(id); p.Status != gateway.PaymentProcessing {
				t.Fatalf("9905 payment is %s, want PROCESSING", p.Status)
			}
			loc, next := h.submit("/console/payments/"+id+"/resolve", c.form)
			if loc != "/console/payments/"+id {
				t.Errorf("redirected to %q, want the payment's page", loc)
			}
			mustContain(t, "page after resolving", next.Text, "payment "+id+" is "+c.status)
			p := h.payment(id)
			if string(p.Status) != c.status || p.ResultCode != c.code {
				t.Errorf("payment is %s %s, want %s %s", p.Status, p.ResultCode, c.status, c.code)
			}
			if n := h.notifications(id); len(n) != 1 || n[0].Kind != gateway.NotifyPayment {
				t.Errorf("notifications %+v, want one notifyPayment", n)
			}
			// Resolving again is refused: 409, the page says why.
			r := h.post("/console/payments/"+id+"/resolve", url.Values{"outcome": {"success"}})
			if r.Status != http.StatusConflict {
				t.Errorf("resolving a final payment: status %d, want 409", r.Status)
			}
			mustContain(t, "refused resolve", r.Text, "resolve refused", "not PROCESSING")
		})
	}
	id := h.pay("REQ_RESOLVE_BAD", sim.AmountNever)
	r := h.post("/console/payments/"+id+"/resolve", url.Values{"outcome": {"fail"}, "code": {"NOT_A_CODE"}})
	if r.Status != http.StatusBadRequest || h.payment(id).Status != gateway.PaymentProcessing {
		t.Errorf("an unknown code: status %d, payment %s; want 400 and PROCESSING", r.Status, h.payment(id).Status)
	}
	mustContain(t, "refused code", r.Text, "result code", "NOT_A_CODE")
}

// TestRefundAndCancelForms: refunds by amount and of the rest, refusals
// naming the field, and a cancel.
func TestRefundAndCancelForms(t *testing.T) {
	h := newHarness(t)
	id := h.pay("REQ_REFUND_1", 1000)

	_, next := h.submit("/console/payments/"+id+"/refund", url.Values{"amount": {"300"}})
	mustContain(t, "page after a refund", next.Text, "of 3.00 USD: SUCCESS", "requested", "console-")
	if p := h.payment(id); p.Refunded != 300 {
		t.Fatalf("refunded %d, want 300", p.Refunded)
	}
	// The form offers what is left.
	mustContain(t, "refund form", next.Body, `name="amount" type="number" min="1" max="700" value="700"`)

	r := h.post("/console/payments/"+id+"/refund", url.Values{"amount": {"ten"}})
	if r.Status != http.StatusBadRequest {
		t.Errorf("amount ten: status %d, want 400", r.Status)
	}
	mustContain(t, "refused amount", r.Text, "refund refused", "amount", `"ten" is not a positive whole number`)
	r = h.post("/console/payments/"+id+"/refund", url.Values{"amount": {"701"}})
	if r.Status != http.StatusConflict {
		t.Errorf("amount 701: status %d, want 409", r.Status)
	}
	mustContain(t, "refused amount", r.Text, "refund refused", "exceeds the refundable amount 700")

	h.submit("/console/payments/"+id+"/refund", url.Values{}) // the rest
	if p := h.payment(id); p.Refunded != 1000 {
		t.Fatalf("refunded %d after refunding the rest, want 1000", p.Refunded)
	}
	if r := h.post("/console/payments/"+id+"/cancel", nil); r.Status != http.StatusConflict {
		t.Errorf("cancelling a refunded payment: status %d, want 409", r.Status)
	}

	open := h.pay("REQ_CANCEL_1", sim.AmountNever)
	_, next = h.submit("/console/payments/"+open+"/cancel", nil)
	mustContain(t, "page after cancel", next.Text, "is CANCELLED", "ORDER_IS_CANCELED")
	if p := h.payment(open); p.Status != gateway.PaymentCancelled {
		t.Errorf("payment is %s, want CANCELLED", p.Status)
	}
	if r := h.post("/console/payments/NO_SUCH/cancel", nil); r.Status != http.StatusNotFound {
		t.Errorf("cancel of an unknown payment: status %d, want 404", r.Status)
	}
}

// TestResendNotification: a delivered notification resent from the
// notifications page is delivered again.
func TestResendNotification(t *testing.T) {
	h := newHarness(t)
	sink := h.withSink()
	id := h.pay("REQ_RESEND_1", 1000)
	if n := h.g.DeliverNotifications(t); n != 1 {
		t.Fatalf("%d delivery attempts, want 1", n)
	}
	ns := h.notifications(id)
	if len(ns) != 1 || ns[0].State() != gateway.NotificationDelivered {
		t.Fatalf("notifications %+v, want one delivered", ns)
	}
	list := h.page("/console/notifications")
	mustContain(t, "notifications page", list.Text, ns[0].ID, "notifyPayment", id, "delivered", "/console/notifications/"+ns[0].ID+"/resend")
	mustContain(t, "undelivered page", h.page("/console/notifications?undelivered=1").Text, "No notifications waiting")
	mustContain(t, "payment page", h.page("/console/payments/"+id).Text, "notifyPayment attempt #1", "Resend now")

	loc, next := h.submit("/console/notifications/"+ns[0].ID+"/resend", url.Values{"back": {"/console/notifications?undelivered=1"}})
	if loc != "/console/notifications?undelivered=1" {
		t.Errorf("redirected to %q, want back where the form was", loc)
	}
	mustContain(t, "page after resend", next.Text, "is due again now", ns[0].ID)
	if st := h.notifications(id)[0].State(); st != gateway.NotificationPending {
		t.Errorf("after resend the notification is %s, want pending", st)
	}
	h.g.DeliverNotifications(t)
	if got := sink.Deliveries()[id]; got != 2 {
		t.Errorf("the sink got %d deliveries, want 2", got)
	}
	if r := h.post("/console/notifications/NO_SUCH/resend", nil); r.Status != http.StatusNotFound {
		t.Errorf("resend of an unknown notification: status %d, want 404", r.Status)
	}
	// back must stay in the console.
	r := h.post("/console/notifications/"+ns[0].ID+"/resend", url.Values{"back": {"https://evil.example/"}})
	if loc := r.Header.Get("Location"); loc != "/console/" {
		t.Errorf("back=https://evil.example/: redirected to %q, want /console/", loc)
	}
}
