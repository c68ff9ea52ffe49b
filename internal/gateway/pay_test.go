package gateway_test

import (
	"context"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// TestPayIdempotent: a pay request sent again never starts a second
// payment: after a final result it answers that result again (a replay);
// while the payment is PROCESSING it answers U PAYMENT_IN_PROCESS with the
// same paymentId; with other key fields it is refused with
// KindIdempotencyMismatch (REPEAT_REQ_INCONSISTENT).
func TestPayIdempotent(t *testing.T) {
	ctx := context.Background()
	eachProcessor(t, func(t *testing.T, e *env) {
		first := e.pay(t, "paid", 1000)
		if first.Payment.Status != gateway.PaymentSuccess || first.Replay {
			t.Fatalf("Pay = %s (replay %v), want SUCCESS, not a replay", first.Payment.Status, first.Replay)
		}
		e.clock.Add(time.Hour)
		again := e.pay(t, "paid", 1000)
		if !again.Replay || again.Payment.Status != gateway.PaymentSuccess || again.Payment.ID != first.Payment.ID {
			t.Errorf("Pay again = %s %s (replay %v) for %s, want SUCCESS, a replay of %s", again.Payment.Status, again.Code,
				again.Replay, again.Payment.ID, first.Payment.ID)
		}
		if !again.Payment.PaidAt.Equal(t0) {
			t.Errorf("replayed payment paid at %v, want t0 (the first call's)", again.Payment.PaidAt)
		}

		for name, change := range map[string]func(in *gateway.PayInput){
			"amount":   func(in *gateway.PayInput) { in.Amount.Value++ },
			"currency": func(in *gateway.PayInput) { in.Amount.Currency = "EUR" },
			"method":   func(in *gateway.PayInput) { in.MethodID = "28100000000000000002" },
			"product":  func(in *gateway.PayInput) { in.ProductCode = gateway.ProductCashier },
		} {
			in := payInput("paid", 1000)
			change(&in)
			_, err := e.svc.Pay(ctx, in)
			wantKind(t, "Pay again with another "+name, err, gateway.KindIdempotencyMismatch)
		}

		pending := e.pay(t, "pending", amountLater)
		for range 2 {
			dup := e.pay(t, "pending", amountLater)
			if dup.Payment.Status != gateway.PaymentProcessing || dup.Replay || dup.Payment.ID != pending.Payment.ID {
				t.Errorf("Pay of a PROCESSING request = %s %s (replay %v) for %s, want PROCESSING %s for %s", dup.Payment.Status, dup.Code,
					dup.Replay, dup.Payment.ID, gateway.CodePaymentInProcess, pending.Payment.ID)
			}
		}
		// The completion reaches the duplicate too.
		e.clock.Add(time.Minute)
		e.runJobs(t)
		if done := e.pay(t, "pending", amountLater); done.Payment.Status != gateway.PaymentSuccess || !done.Replay || done.Payment.ID != pending.Payment.ID {
			t.Errorf("Pay after the completion = %s (replay %v) for %s, want SUCCESS, a replay of %s", done.Payment.Status, done.Replay,
				done.Payment.ID, pending.Payment.ID)
		}

		for req, want := range map[string]string{"paid": first.Payment.ID, "pending": pending.Payment.ID} {
			page, err := e.svc.Payments(ctx, gateway.PaymentFilter{ClientID: client, RequestID: req})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Payments) != 1 || page.Payments[0].ID != want {
				t.Errorf("payments of request %s: %d, want one, %s", req, len(page.Payments), want)
			}
		}
		if n := e.proc.authorized.Load(); n != 2 {
			t.Errorf("the wallet was asked %d times, want 2 (once per payment)", n)
		}
	})
}

// TestPayConcurrentDuplicates: the same pay request sent many times at once
// creates one payment and asks the wallet once; every answer names that
// payment.
func TestPayConcurrentDuplicates(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		const n = 10
		results, errs := atOnce(n, func(int) (*gateway.PayResult, error) {
			return e.svc.Pay(context.Background(), payInput("same", 1000))
		})
		firsts := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			r := results[i]
			if r.Payment.ID != results[0].Payment.ID {
				t.Errorf("call %d answered payment %s, call 0 %s: want one payment", i, r.Payment.ID, results[0].Payment.ID)
			}
			switch {
			case r.Payment.Status == gateway.PaymentSuccess && !r.Replay:
				firsts++
			case r.Payment.Status == gateway.PaymentSuccess && r.Replay:
			case r.Payment.Status == gateway.PaymentProcessing && !r.Replay:
			default:
				t.Errorf("call %d = %s %s (replay %v), want SUCCESS, or PROCESSING (in flight)", i, r.Payment.Status, r.Code, r.Replay)
			}
		}
		if firsts != 1 {
			t.Errorf("%d calls answered S without being replays, want 1", firsts)
		}
		if got := e.proc.authorized.Load(); got != 1 {
			t.Errorf("the wallet was asked %d times, want once", got)
		}
		page, err := e.svc.Payments(context.Background(), gateway.PaymentFilter{ClientID: client})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Payments) != 1 {
			t.Errorf("%d payments, want 1", len(page.Payments))
		}
		if ns := paymentNotifications(e.show(t, results[0].Payment.ID)); len(ns) != 1 {
			t.Errorf("%d notifyPayment, want 1", len(ns))
		}
	})
}
