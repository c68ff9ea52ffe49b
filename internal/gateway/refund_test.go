package gateway_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
)

// TestRefundsNeverExceedPayment: refunds of one payment made at the same
// time never add up to more than the payment; exactly as many succeed as
// fit, the others are refused with KindRefundExceed.
func TestRefundsNeverExceedPayment(t *testing.T) {
	for _, tc := range []struct {
		name       string
		total      int64 // the payment
		each       int64 // every refund
		n          int   // refunds at once
		wantOK     int
		wantRefund int64
	}{
		{name: "Exact", total: 10000, each: 1000, n: 20, wantOK: 10, wantRefund: 10000},
		{name: "Uneven", total: 10000, each: 3000, n: 12, wantOK: 3, wantRefund: 9000},
		{name: "OneFits", total: 10000, each: 10000, n: 8, wantOK: 1, wantRefund: 10000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, true)
			p := e.pay(t, "pay", tc.total).Payment
			_, errs := atOnce(tc.n, func(i int) (*gateway.RefundResult, error) {
				return e.refund(fmt.Sprintf("refund-%d", i), p.ID, tc.each)
			})

			ok := 0
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
				case gateway.KindOf(err) != gateway.KindRefundExceed:
					t.Errorf("refund-%d: %v, want success or kind %v", i, err, gateway.KindRefundExceed)
				}
			}
			if ok != tc.wantOK {
				t.Errorf("%d refunds of %d succeeded, want %d", ok, tc.each, tc.wantOK)
			}
			d := e.show(t, p.ID)
			var sum int64
			for _, r := range d.Refunds {
				if r.Status != gateway.RefundSuccess {
					t.Errorf("refund %s is %s, want SUCCESS", r.RequestID, r.Status)
				}
				sum += r.Amount.Value
			}
			if len(d.Refunds) != tc.wantOK || sum != tc.wantRefund || d.Payment.Refunded != tc.wantRefund {
				t.Errorf("payment has %d refunds adding up to %d, Refunded %d; want %d adding up to %d",
					len(d.Refunds), sum, d.Payment.Refunded, tc.wantOK, tc.wantRefund)
			}
			if sum > tc.total {
				t.Errorf("refunds add up to %d, more than the payment's %d", sum, tc.total)
			}

			// What is left can still be refunded, and no more.
			if left := tc.total - tc.wantRefund; left > 0 {
				if _, err := e.refund("refund-rest", p.ID, left+1); gateway.KindOf(err) != gateway.KindRefundExceed {
					t.Errorf("Refund of %d with %d left: %v, want kind %v", left+1, left, err, gateway.KindRefundExceed)
				}
				if _, err := e.refund("refund-rest", p.ID, left); err != nil {
					t.Errorf("Refund of the %d left: %v", left, err)
				}
			}
			if _, err := e.refund("refund-more", p.ID, 1); gateway.KindOf(err) != gateway.KindRefundExceed {
				t.Errorf("Refund of a fully refunded payment: %v, want kind %v", err, gateway.KindRefundExceed)
			}
		})
	}
}

// TestRefundConcurrentDuplicates: the same refund request sent many times
// at once refunds once; every answer is that refund.
func TestRefundConcurrentDuplicates(t *testing.T) {
	e := newEnv(t, true)
	p := e.pay(t, "pay", 10000).Payment
	const n = 10
	results, errs := atOnce(n, func(int) (*gateway.RefundResult, error) {
		return e.refund("refund-1", p.ID, 4000)
	})
	first := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if !results[i].Replay {
			first++
		}
		if results[i].Refund.ID != results[0].Refund.ID {
			t.Errorf("call %d answered refund %s, call 0 %s: want one refund", i, results[i].Refund.ID, results[0].Refund.ID)
		}
	}
	if first != 1 {
		t.Errorf("%d calls were not replays, want 1", first)
	}
	if d := e.show(t, p.ID); len(d.Refunds) != 1 || d.Payment.Refunded != 4000 {
		t.Errorf("payment has %d refunds, Refunded %d; want 1 and 4000", len(d.Refunds), d.Payment.Refunded)
	}
	// The same request id with another amount is another request.
	_, err := e.svc.Refund(context.Background(), gateway.RefundInput{ClientID: client, RequestID: "refund-1",
		PaymentID: p.ID, Amount: gateway.Money{Value: 1, Currency: "USD"}})
	wantKind(t, "Refund reusing refund-1 with another amount", err, gateway.KindIdempotencyMismatch)
}
