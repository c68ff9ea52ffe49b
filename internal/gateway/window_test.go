package gateway_test

import (
	"context"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// TestCancelWindow: a successful payment can be cancelled until the cancel
// window after its payment has passed (its last instant included), and the
// cancel notifies nothing (the merchant asked for it); after the window the
// cancel is refused with KindCancelWindow and the payment stays SUCCESS.
func TestCancelWindow(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		inside := e.pay(t, "inside", 1000).Payment
		after := e.pay(t, "after", 1000).Payment
		for _, p := range []*gateway.Payment{inside, after} {
			if p.Status != gateway.PaymentSuccess || !p.PaidAt.Equal(t0) {
				t.Fatalf("payment %s: %s paid at %v, want SUCCESS paid at t0", p.RequestID, p.Status, p.PaidAt)
			}
		}

		e.clock.Add(cancelWindow)
		got, err := e.svc.Cancel(ctx, client, inside.ID, "")
		if err != nil {
			t.Fatalf("Cancel at the end of the window: %v", err)
		}
		if got.Status != gateway.PaymentCancelled || !got.CancelledAt.Equal(e.clock.Now()) || got.ResultCode != gateway.CodeOrderCancelled {
			t.Errorf("Cancel = %s %s cancelled at %v, want CANCELLED %s at %v", got.Status, got.ResultCode, got.CancelledAt,
				gateway.CodeOrderCancelled, e.clock.Now())
		}
		d := e.show(t, inside.ID)
		if d.Payment.Status != gateway.PaymentCancelled || !d.Payment.PaidAt.Equal(t0) {
			t.Errorf("stored payment: %s paid at %v, want CANCELLED, paid at t0 (kept)", d.Payment.Status, d.Payment.PaidAt)
		}
		// The one notification is the SUCCESS one; the cancel added none.
		if ns := paymentNotifications(d); len(ns) != 1 || !ns[0].CreatedAt.Equal(t0) {
			t.Errorf("notifications after the cancel: %+v, want only the one of the payment at t0", ns)
		}
		// Cancelling a cancelled payment succeeds again, and changes nothing.
		if again, err := e.svc.Cancel(ctx, client, inside.ID, ""); err != nil || again.Status != gateway.PaymentCancelled ||
			!again.CancelledAt.Equal(got.CancelledAt) {
			t.Errorf("second Cancel = %+v, %v; want the same CANCELLED payment", again, err)
		}

		e.clock.Add(time.Millisecond)
		_, err = e.svc.Cancel(ctx, client, after.ID, "")
		wantKind(t, "Cancel a millisecond after the window", err, gateway.KindCancelWindow)
		d = e.show(t, after.ID)
		if d.Payment.Status != gateway.PaymentSuccess || !d.Payment.CancelledAt.IsZero() {
			t.Errorf("payment after the refused cancel: %s cancelled at %v, want SUCCESS, never cancelled", d.Payment.Status, d.Payment.CancelledAt)
		}
		if ns := paymentNotifications(d); len(ns) != 1 {
			t.Errorf("payment after the refused cancel has %d notifyPayment, want 1", len(ns))
		}
	})
}

// TestCancelRefundedPayment: a payment with a refund can no longer be
// cancelled, even inside the cancel window.
func TestCancelRefundedPayment(t *testing.T) {
	e := newEnv(t, true)
	p := e.pay(t, "pay", 1000).Payment
	if _, err := e.refund("refund", p.ID, 1); err != nil {
		t.Fatalf("Refund: %v", err)
	}
	_, err := e.svc.Cancel(context.Background(), client, p.ID, "")
	wantKind(t, "Cancel a refunded payment", err, gateway.KindInvalidTransition)
	if d := e.show(t, p.ID); d.Payment.Status != gateway.PaymentSuccess || d.Payment.Refunded != 1 {
		t.Errorf("payment: %s refunded %d, want SUCCESS refunded 1", d.Payment.Status, d.Payment.Refunded)
	}
}

// TestRefundWindow: a successful payment can be refunded until the refund
// window after its payment has passed (its last instant included); after
// that the refund is refused with KindRefundWindow and nothing is refunded.
// A payment that is not SUCCESS cannot be refunded at all.
func TestRefundWindow(t *testing.T) {
	e := newEnv(t, true)
	inside := e.pay(t, "inside", 1000).Payment
	after := e.pay(t, "after", 1000).Payment
	pending := e.pay(t, "pending", amountPending).Payment

	_, err := e.refund("refund-pending", pending.ID, 100)
	wantKind(t, "Refund a PROCESSING payment", err, gateway.KindInvalidTransition)

	e.clock.Add(refundWindow)
	res, err := e.refund("refund-inside", inside.ID, 100)
	if err != nil {
		t.Fatalf("Refund at the end of the window: %v", err)
	}
	if res.Refund.Status != gateway.RefundSuccess || !res.Refund.RefundedAt.Equal(e.clock.Now()) {
		t.Errorf("Refund = %s at %v, want SUCCESS at %v", res.Refund.Status, res.Refund.RefundedAt, e.clock.Now())
	}
	if d := e.show(t, inside.ID); d.Payment.Refunded != 100 || len(d.Refunds) != 1 {
		t.Errorf("payment inside the window: refunded %d with %d refunds, want 100 with 1", d.Payment.Refunded, len(d.Refunds))
	}

	e.clock.Add(time.Millisecond)
	_, err = e.refund("refund-after", after.ID, 100)
	wantKind(t, "Refund a millisecond after the window", err, gateway.KindRefundWindow)
	if d := e.show(t, after.ID); d.Payment.Refunded != 0 || len(d.Refunds) != 0 || d.Payment.Status != gateway.PaymentSuccess {
		t.Errorf("payment after the window: %s refunded %d with %d refunds, want SUCCESS with none", d.Payment.Status, d.Payment.Refunded, len(d.Refunds))
	}
	// The refused request id was not used up.
	if _, err := e.svc.InquireRefund(context.Background(), client, "", "refund-after"); gateway.KindOf(err) != gateway.KindNotFound {
		t.Errorf("InquireRefund of the refused request: %v, want kind %v", err, gateway.KindNotFound)
	}
}
