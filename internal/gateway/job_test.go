package gateway_test

import (
	"context"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// claimHook is a store that calls afterClaim once, right after a claim
// returned jobs and before the Service carries them out: to put a
// competing change exactly between the two.
type claimHook struct {
	gateway.Store
	afterClaim func()
}

func (h *claimHook) ClaimJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]gateway.Job, error) {
	jobs, err := h.Store.ClaimJobs(ctx, now, lease, limit)
	if len(jobs) > 0 && h.afterClaim != nil {
		f := h.afterClaim
		h.afterClaim = nil
		f()
	}
	return jobs, err
}

// TestCancelBeatsLateCompletion: a PROCESSING payment whose completion is
// due later (a settle job) is cancelled; when the completion's time comes
// the payment stays CANCELLED and no notifyPayment is created, whether the
// cancel came before the job was claimed or between its claim and its run.
func TestCancelBeatsLateCompletion(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, e *env, id string) {
		t.Helper()
		d := e.show(t, id)
		if d.Payment.Status != gateway.PaymentCancelled || d.Payment.ResultCode != gateway.CodeOrderCancelled || !d.Payment.PaidAt.IsZero() {
			t.Errorf("payment: %s %s paid at %v, want CANCELLED %s, never paid", d.Payment.Status, d.Payment.ResultCode,
				d.Payment.PaidAt, gateway.CodeOrderCancelled)
		}
		if len(d.Notifications) != 0 {
			t.Errorf("payment has %d notifications (first: %s), want none", len(d.Notifications), d.Notifications[0].Notification.Body)
		}
	}

	t.Run("BeforeClaim", func(t *testing.T) {
		eachProcessor(t, func(t *testing.T, e *env) {
			res := e.pay(t, "late", amountLater)
			if res.Payment.Status != gateway.PaymentProcessing {
				t.Fatalf("Pay = %s, want a PROCESSING payment", res.Payment.Status)
			}
			e.clock.Add(30 * time.Second)
			got, err := e.svc.Cancel(ctx, client, res.Payment.ID, "")
			if err != nil || got.Status != gateway.PaymentCancelled {
				t.Fatalf("Cancel = %v, %v; want CANCELLED", got, err)
			}
			e.clock.Add(time.Minute) // past the completion
			e.runJobs(t)
			check(t, e, res.Payment.ID)
			e.clock.Add(paymentExpiry) // past the expiry
			e.runJobs(t)
			check(t, e, res.Payment.ID)
		})
	})

	t.Run("AfterClaim", func(t *testing.T) {
		eachProcessor(t, func(t *testing.T, e *env) {
			res := e.pay(t, "late", amountLater)
			cancelled := false
			runner := &gateway.Service{Store: &claimHook{Store: e.store, afterClaim: func() {
				got, err := e.svc.Cancel(ctx, client, res.Payment.ID, "")
				if err != nil || got.Status != gateway.PaymentCancelled {
					t.Errorf("Cancel between claim and run = %v, %v; want CANCELLED", got, err)
				}
				cancelled = true
			}}, Processor: e.proc, Now: e.clock.Now, NotificationBody: notificationBody}

			e.clock.Add(time.Minute) // the completion is due
			n, err := runner.RunJobs(ctx, 100)
			if err != nil {
				t.Fatalf("RunJobs: %v", err)
			}
			if !cancelled || n != 1 {
				t.Fatalf("RunJobs did %d jobs, cancelled in between: %v; want the settle job claimed, then the cancel", n, cancelled)
			}
			check(t, e, res.Payment.ID)
			e.clock.Add(paymentExpiry)
			e.runJobs(t)
			check(t, e, res.Payment.ID)
		})
	})
}

// TestLateCompletion: without a cancel, the completion due later happens
// when the clock reaches it, not a millisecond before, and is notified.
func TestLateCompletion(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		res := e.pay(t, "late", amountLater)
		id := res.Payment.ID
		e.clock.Add(time.Minute - time.Millisecond)
		if n := e.runJobs(t); n != 0 {
			t.Errorf("RunJobs before the completion is due did %d jobs, want 0", n)
		}
		if d := e.show(t, id); d.Payment.Status != gateway.PaymentProcessing || len(d.Notifications) != 0 {
			t.Errorf("before the completion: %s with %d notifications, want PROCESSING with none", d.Payment.Status, len(d.Notifications))
		}
		e.clock.Add(time.Millisecond)
		if n := e.runJobs(t); n != 1 {
			t.Errorf("RunJobs when the completion is due did %d jobs, want 1", n)
		}
		d := e.show(t, id)
		if d.Payment.Status != gateway.PaymentSuccess || !d.Payment.PaidAt.Equal(e.clock.Now()) {
			t.Errorf("after the completion: %s paid at %v, want SUCCESS paid at %v", d.Payment.Status, d.Payment.PaidAt, e.clock.Now())
		}
		if ns := paymentNotifications(d); len(ns) != 1 || !ns[0].DueAt.Equal(e.clock.Now()) {
			t.Errorf("notifyPayment after the completion: %+v, want one, due now", ns)
		}
		// The completion removed the expiry: nothing is left to run.
		e.clock.Add(paymentExpiry)
		if n := e.runJobs(t); n != 0 {
			t.Errorf("RunJobs past the expiry of a paid payment did %d jobs, want 0", n)
		}
		if d := e.show(t, id); d.Payment.Status != gateway.PaymentSuccess || len(d.Notifications) != 1 {
			t.Errorf("past the expiry: %s with %d notifications, want SUCCESS with 1", d.Payment.Status, len(d.Notifications))
		}
	})
}

// TestExpiryClosesProcessingPayment: a payment still PROCESSING at its
// expiry is closed then (FAIL, ORDER_IS_CLOSED) and notified; a retry of
// its pay request answers that.
func TestExpiryClosesProcessingPayment(t *testing.T) {
	ctx := context.Background()
	eachProcessor(t, func(t *testing.T, e *env) {
		res := e.pay(t, "pending", amountPending)
		p := res.Payment
		if p.Status != gateway.PaymentProcessing || !p.ExpiresAt.Equal(t0.Add(paymentExpiry)) {
			t.Fatalf("Pay: %s expiring at %v, want PROCESSING expiring at t0+%s", p.Status, p.ExpiresAt, paymentExpiry)
		}
		e.clock.Add(paymentExpiry - time.Millisecond)
		e.runJobs(t)
		if d := e.show(t, p.ID); d.Payment.Status != gateway.PaymentProcessing || len(d.Notifications) != 0 {
			t.Errorf("a millisecond before the expiry: %s with %d notifications, want PROCESSING with none", d.Payment.Status, len(d.Notifications))
		}

		e.clock.Add(time.Millisecond)
		if n := e.runJobs(t); n != 1 {
			t.Errorf("RunJobs at the expiry did %d jobs, want 1", n)
		}
		d := e.show(t, p.ID)
		if d.Payment.Status != gateway.PaymentFail || d.Payment.ResultCode != gateway.CodeOrderIsClosed || !d.Payment.Closed() {
			t.Errorf("at the expiry: %s %s, want FAIL %s", d.Payment.Status, d.Payment.ResultCode, gateway.CodeOrderIsClosed)
		}
		ns := paymentNotifications(d)
		if len(ns) != 1 {
			t.Fatalf("at the expiry: %d notifyPayment, want 1", len(ns))
		}
		if ns[0].URL != notifyURL || !ns[0].CreatedAt.Equal(e.clock.Now()) || !ns[0].Pending() {
			t.Errorf("notification %+v, want one to %s created now, pending", ns[0], notifyURL)
		}

		again := e.pay(t, "pending", amountPending)
		if again.Payment.ID != p.ID || again.Payment.Status != gateway.PaymentFail || again.Payment.ResultCode != gateway.CodeOrderIsClosed || !again.Replay {
			t.Errorf("Pay again = %s %s (replay %v) for %s, want FAIL %s, a replay of %s", again.Payment.Status, again.Payment.ResultCode, again.Replay,
				again.Payment.ID, gateway.CodeOrderIsClosed, p.ID)
		}
		_, err := e.svc.Cancel(ctx, client, p.ID, "")
		wantKind(t, "Cancel a closed payment", err, gateway.KindInvalidTransition)
	})
}
