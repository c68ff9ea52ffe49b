package storetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// amountLater is the amount for which fakeProcessor answers PROCESSING and
// succeeds a minute later.
const amountLater = 9999

// fakeProcessor is a wallet that admits everything, pays everything (at
// once, or a minute later for amountLater) and refunds everything at once.
type fakeProcessor struct{ clock *clock }

func (f fakeProcessor) Admit(context.Context, *gateway.Payment) (bool, error) { return true, nil }

func (f fakeProcessor) Authorize(_ context.Context, p *gateway.Payment) (gateway.Decision, error) {
	if p.Amount.Value == amountLater {
		return gateway.Decision{Status: gateway.PaymentProcessing, Code: gateway.CodePaymentInProcess,
			Later: &gateway.Later{At: f.clock.Now().Add(time.Minute), Status: gateway.PaymentSuccess}}, nil
	}
	return gateway.Decision{Status: gateway.PaymentSuccess}, nil
}

func (f fakeProcessor) Refund(context.Context, *gateway.Payment, *gateway.Refund) (gateway.RefundDecision, error) {
	return gateway.RefundDecision{Status: gateway.RefundSuccess}, nil
}

// clock is a time the test moves by hand: base, plus what Add added. It
// is safe for concurrent use.
type clock struct{ elapsed atomic.Int64 } // nanoseconds

func (c *clock) Now() time.Time      { return base.Add(time.Duration(c.elapsed.Load())) }
func (c *clock) Add(d time.Duration) { c.elapsed.Add(int64(d)) }

// testService drives gateway.Service over the store, the way the server
// does: a smoke test that the store's pieces fit the use cases.
func testService(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()
	newService := func(t *testing.T) (*gateway.Service, *clock) {
		c := &clock{}
		return &gateway.Service{Store: newStore(t), Processor: fakeProcessor{c}, Now: c.Now}, c
	}
	pay := func(t *testing.T, svc *gateway.Service, requestID string, value int64) *gateway.PayResult {
		t.Helper()
		res, err := svc.Pay(ctx, gateway.PayInput{ClientID: "client-a", RequestID: requestID,
			ProductCode: gateway.ProductInStore, Scenario: gateway.ScenarioPaymentCode,
			Amount: gateway.Money{Value: value, Currency: "USD"}, MethodType: "CONNECT_WALLET", MethodID: "2810"})
		if err != nil {
			t.Fatalf("Pay(%s): %v", requestID, err)
		}
		return res
	}

	t.Run("PayAndReplay", func(t *testing.T) {
		svc, _ := newService(t)
		first := pay(t, svc, "req-1", 10000)
		if first.Payment.Status != gateway.PaymentSuccess || first.Replay {
			t.Fatalf("Pay = %+v, want SUCCESS, not a replay", first)
		}
		again := pay(t, svc, "req-1", 10000)
		if !again.Replay || again.Payment.ID != first.Payment.ID {
			t.Errorf("second Pay = %+v, want a replay of %s", again, first.Payment.ID)
		}
		_, err := svc.Pay(ctx, gateway.PayInput{ClientID: "client-a", RequestID: "req-1",
			ProductCode: gateway.ProductInStore, Amount: gateway.Money{Value: 1, Currency: "USD"}})
		if k := gateway.KindOf(err); k != gateway.KindIdempotencyMismatch {
			t.Errorf("Pay with other fields: kind = %v (%v), want %v", k, err, gateway.KindIdempotencyMismatch)
		}
		p, refunds, err := svc.InquirePayment(ctx, "client-a", "", "req-1")
		if err != nil {
			t.Fatalf("InquirePayment: %v", err)
		}
		if p.ID != first.Payment.ID || p.Status != gateway.PaymentSuccess || len(refunds) != 0 {
			t.Errorf("InquirePayment = %+v, %v, want %s SUCCESS with no refunds", p, refunds, first.Payment.ID)
		}
		_, _, err = svc.InquirePayment(ctx, "client-b", first.Payment.ID, "")
		if k := gateway.KindOf(err); k != gateway.KindNotFound {
			t.Errorf("InquirePayment by another client: kind = %v (%v), want %v", k, err, gateway.KindNotFound)
		}
	})

	t.Run("Refunds", func(t *testing.T) {
		svc, _ := newService(t)
		p := pay(t, svc, "req-1", 10000).Payment
		refund := func(requestID string, value int64) (*gateway.RefundResult, error) {
			return svc.Refund(ctx, gateway.RefundInput{ClientID: "client-a", RequestID: requestID,
				PaymentID: p.ID, Amount: gateway.Money{Value: value, Currency: "USD"}})
		}
		r1, err := refund("rreq-1", 6000)
		if err != nil {
			t.Fatalf("Refund: %v", err)
		}
		if r1.Refund.Status != gateway.RefundSuccess || r1.Replay {
			t.Errorf("Refund = %+v, want SUCCESS, not a replay", r1)
		}
		again, err := refund("rreq-1", 6000)
		if err != nil || !again.Replay || again.Refund.ID != r1.Refund.ID {
			t.Errorf("second Refund = %+v, %v, want a replay of %s", again, err, r1.Refund.ID)
		}
		_, err = refund("rreq-2", 4001)
		if k := gateway.KindOf(err); k != gateway.KindRefundExceed {
			t.Errorf("Refund over the rest: kind = %v (%v), want %v", k, err, gateway.KindRefundExceed)
		}
		if _, err := refund("rreq-3", 4000); err != nil {
			t.Fatalf("Refund of the rest: %v", err)
		}
		got, refunds, err := svc.InquirePayment(ctx, "client-a", p.ID, "")
		if err != nil {
			t.Fatalf("InquirePayment: %v", err)
		}
		if got.Refunded != 10000 || len(refunds) != 2 || refunds[0].RequestID != "rreq-1" || refunds[1].RequestID != "rreq-3" {
			t.Errorf("InquirePayment = Refunded %d, %d refunds, want 10000 and rreq-1, rreq-3", got.Refunded, len(refunds))
		}
		if _, err := refund("rreq-4", 1); gateway.KindOf(err) != gateway.KindRefundExceed {
			t.Errorf("Refund of a fully refunded payment: %v, want %v", err, gateway.KindRefundExceed)
		}
	})

	t.Run("DelayedSettle", func(t *testing.T) {
		svc, c := newService(t)
		res := pay(t, svc, "req-1", amountLater)
		if res.Payment.Status != gateway.PaymentProcessing {
			t.Fatalf("Pay = %+v, want PROCESSING", res)
		}
		if n, err := svc.RunJobs(ctx, 10); err != nil || n != 0 {
			t.Errorf("RunJobs before the settle time = %d, %v, want 0, nil", n, err)
		}
		c.Add(time.Minute)
		if n, err := svc.RunJobs(ctx, 10); err != nil || n != 1 {
			t.Errorf("RunJobs at the settle time = %d, %v, want 1, nil", n, err)
		}
		p, _, err := svc.InquirePayment(ctx, "client-a", res.Payment.ID, "")
		if err != nil {
			t.Fatalf("InquirePayment: %v", err)
		}
		if p.Status != gateway.PaymentSuccess || !p.PaidAt.Equal(c.Now()) {
			t.Errorf("payment = %v paid at %v, want SUCCESS paid at %v", p.Status, p.PaidAt, c.Now())
		}
		// Settling removed the expiry job: nothing is left to run.
		c.Add(time.Hour)
		if n, err := svc.RunJobs(ctx, 10); err != nil || n != 0 {
			t.Errorf("RunJobs after settling = %d, %v, want 0, nil", n, err)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		svc, _ := newService(t)
		p := pay(t, svc, "req-1", 10000).Payment
		got, err := svc.Cancel(ctx, "client-a", p.ID, "")
		if err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		if got.Status != gateway.PaymentCancelled {
			t.Errorf("Status = %v, want %v", got.Status, gateway.PaymentCancelled)
		}
		if res := pay(t, svc, "req-1", 10000); res.Payment.Status != gateway.PaymentCancelled || !res.Replay {
			t.Errorf("Pay with a cancelled request id = %+v, want the cancelled payment %s again", res, gateway.CodeOrderCancelled)
		}
	})
}
