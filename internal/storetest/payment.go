package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/google/go-cmp/cmp"
)

func paymentTimes(p *gateway.Payment) []time.Time {
	return []time.Time{p.CreatedAt, p.UpdatedAt, p.ExpiresAt, p.PaidAt, p.CancelledAt}
}

func refundTimes(r *gateway.Refund) []time.Time {
	return []time.Time{r.CreatedAt, r.UpdatedAt, r.RefundedAt}
}

// sameTimes checks that times read back are == the ones written, not only
// Equal: same instant, UTC, no monotonic reading; so callers may compare
// them with == and use them as map keys.
func sameTimes(tb testing.TB, what string, got, want []time.Time) {
	tb.Helper()
	for i := range want {
		if got[i] != want[i] {
			tb.Errorf("%s time #%d = %#v, want == %#v", what, i, got[i], want[i])
		}
	}
}

func testPayments(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()

	t.Run("InsertAndRead", func(t *testing.T) {
		s := newStore(t)
		want := newPayment("client-a", "req-1", "pay-1")
		insertPayments(t, s, want)

		got, err := s.Payment(ctx, "client-a", "pay-1")
		if err != nil {
			t.Fatalf("Payment: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Payment mismatch (-want +got):\n%s", diff)
		}
		sameTimes(t, "Payment", paymentTimes(got), paymentTimes(want))

		got, err = s.PaymentByRequestID(ctx, "client-a", "req-1")
		if err != nil {
			t.Fatalf("PaymentByRequestID: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("PaymentByRequestID mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("ZeroValues", func(t *testing.T) {
		// A fresh PROCESSING payment: the optional times are zero and must
		// read back as the zero time, not as 1970.
		s := newStore(t)
		want := &gateway.Payment{ID: "pay-1", ClientID: "client-a", RequestID: "req-1",
			Amount: gateway.Money{Value: 1, Currency: "JPY"}, Status: gateway.PaymentProcessing}
		insertPayments(t, s, want)
		got, err := s.Payment(ctx, "client-a", "pay-1")
		if err != nil {
			t.Fatalf("Payment: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Payment mismatch (-want +got):\n%s", diff)
		}
		sameTimes(t, "Payment", paymentTimes(got), paymentTimes(want))
	})

	t.Run("TimesUTCToTheMillisecond", func(t *testing.T) {
		s := newStore(t)
		zone := time.FixedZone("UTC+8", 8*3600)
		p := newPayment("client-a", "req-1", "pay-1")
		p.CreatedAt = time.Date(2025, 3, 1, 18, 0, 0, 123456789, zone)
		p.PaidAt = time.Date(2025, 3, 1, 18, 0, 1, 999999999, zone)
		p.ExpiresAt = time.Date(2025, 3, 1, 10, 14, 0, 1, time.UTC)
		insertPayments(t, s, p)
		got, err := s.Payment(ctx, "client-a", "pay-1")
		if err != nil {
			t.Fatalf("Payment: %v", err)
		}
		want := []time.Time{
			time.Date(2025, 3, 1, 10, 0, 0, 123000000, time.UTC),
			time.Date(2025, 3, 1, 10, 0, 1, 999000000, time.UTC),
			time.Date(2025, 3, 1, 10, 14, 0, 0, time.UTC),
		}
		sameTimes(t, "Payment", []time.Time{got.CreatedAt, got.PaidAt, got.ExpiresAt}, want)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		insertPayments(t, s, newPayment("client-a", "req-1", "pay-1"))
		_, err := s.Payment(ctx, "client-a", "pay-2")
		wantErr(t, "Payment of an unknown id", err, gateway.ErrNotFound)
		_, err = s.PaymentByRequestID(ctx, "client-a", "req-2")
		wantErr(t, "PaymentByRequestID of an unknown request id", err, gateway.ErrNotFound)
	})

	t.Run("ClientScoping", func(t *testing.T) {
		s := newStore(t)
		insertPayments(t, s, newPayment("client-a", "req-1", "pay-1"))
		_, err := s.Payment(ctx, "client-b", "pay-1")
		wantErr(t, "Payment of another client's id", err, gateway.ErrNotFound)
		_, err = s.PaymentByRequestID(ctx, "client-b", "req-1")
		wantErr(t, "PaymentByRequestID of another client's request id", err, gateway.ErrNotFound)
		err = s.Update(ctx, func(tx gateway.Tx) error {
			_, err := tx.PaymentForUpdate("client-b", "pay-1")
			return err
		})
		wantErr(t, "PaymentForUpdate of another client's id", err, gateway.ErrNotFound)

		// Another client cannot overwrite it either.
		other := newPayment("client-b", "req-1", "pay-1")
		other.Status = gateway.PaymentCancelled
		err = s.Update(ctx, func(tx gateway.Tx) error { return tx.UpdatePayment(other) })
		wantErr(t, "UpdatePayment of another client's payment", err, gateway.ErrNotFound)
		got, err := s.Payment(ctx, "client-a", "pay-1")
		if err != nil {
			t.Fatalf("Payment: %v", err)
		}
		if got.Status != gateway.PaymentSuccess {
			t.Errorf("Status = %v, want %v", got.Status, gateway.PaymentSuccess)
		}
	})

	t.Run("ErrConflictDuplicateRequestID", func(t *testing.T) {
		s := newStore(t)
		first := newPayment("client-a", "req-1", "pay-1")
		insertPayments(t, s, first)

		dup := newPayment("client-a", "req-1", "pay-2")
		dup.Amount.Value = 1
		err := s.Update(ctx, func(tx gateway.Tx) error { return tx.InsertPayment(dup) })
		wantErr(t, "InsertPayment of a taken request id", err, gateway.ErrConflict)
		_, err = s.Payment(ctx, "client-a", "pay-2")
		wantErr(t, "Payment of the refused insert", err, gateway.ErrNotFound)
		got, err := s.PaymentByRequestID(ctx, "client-a", "req-1")
		if err != nil {
			t.Fatalf("PaymentByRequestID: %v", err)
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("payment after a refused duplicate mismatch (-want +got):\n%s", diff)
		}

		// The same request id is another client's own.
		insertPayments(t, s, newPayment("client-b", "req-1", "pay-3"))
		if got, err := s.PaymentByRequestID(ctx, "client-b", "req-1"); err != nil || got.ID != "pay-3" {
			t.Errorf("PaymentByRequestID(client-b) = %v, %v, want pay-3", got, err)
		}
	})

	t.Run("ErrConflictInsideLargerTransaction", func(t *testing.T) {
		// The conflict comes back from InsertPayment itself, so fn can
		// return it and nothing else of the transaction is kept.
		s := newStore(t)
		insertPayments(t, s, newPayment("client-a", "req-1", "pay-1"))
		err := s.Update(ctx, func(tx gateway.Tx) error {
			if err := tx.InsertJob(&gateway.Job{Kind: gateway.JobPaymentResolve, ClientID: "client-a", TargetID: "pay-2", DueAt: at(0)}); err != nil {
				return err
			}
			return tx.InsertPayment(newPayment("client-a", "req-1", "pay-2"))
		})
		wantErr(t, "InsertPayment of a taken request id", err, gateway.ErrConflict)
		if jobs := claimAll(t, s, at(time.Hour)); len(jobs) != 0 {
			t.Errorf("jobs after the rolled back transaction = %+v, want none", jobs)
		}
	})

	t.Run("UpdatePayment", func(t *testing.T) {
		s := newStore(t)
		p := newPayment("client-a", "req-1", "pay-1")
		p.Status, p.Decided, p.ResultCode, p.ResultMessage = gateway.PaymentProcessing, false, "", ""
		p.PaidAt, p.CancelledAt, p.Refunded, p.ActionURL = time.Time{}, time.Time{}, 0, ""
		insertPayments(t, s, p)

		var want *gateway.Payment
		update(t, s, func(tx gateway.Tx) error {
			got, err := tx.PaymentForUpdate("client-a", "pay-1")
			if err != nil {
				return err
			}
			if diff := cmp.Diff(p, got); diff != "" {
				t.Errorf("PaymentForUpdate mismatch (-want +got):\n%s", diff)
			}
			got.Status = gateway.PaymentSuccess
			got.Decided = true
			got.ResultCode, got.ResultMessage = gateway.CodeSuccess, "success"
			got.ActionURL = "https://gateway.example/order/pay-1"
			got.UpdatedAt = at(3*time.Second + 7*time.Millisecond)
			got.PaidAt = got.UpdatedAt
			got.ExpiresAt = at(20 * time.Minute)
			got.Refunded = 42
			want = got
			return tx.UpdatePayment(got)
		})
		got, err := s.Payment(ctx, "client-a", "pay-1")
		if err != nil {
			t.Fatalf("Payment: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Payment after UpdatePayment mismatch (-want +got):\n%s", diff)
		}

		// And back to zero: a cleared time is cleared in the store.
		update(t, s, func(tx gateway.Tx) error {
			got, err := tx.PaymentForUpdate("client-a", "pay-1")
			if err != nil {
				return err
			}
			got.PaidAt, got.ActionURL, got.Refunded = time.Time{}, "", 0
			want = got
			return tx.UpdatePayment(got)
		})
		got, err = s.Payment(ctx, "client-a", "pay-1")
		if err != nil {
			t.Fatalf("Payment: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Payment after clearing fields mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("UpdatePaymentErrNotFound", func(t *testing.T) {
		s := newStore(t)
		err := s.Update(ctx, func(tx gateway.Tx) error { return tx.UpdatePayment(newPayment("client-a", "req-1", "pay-1")) })
		wantErr(t, "UpdatePayment of a missing payment", err, gateway.ErrNotFound)
		err = s.Update(ctx, func(tx gateway.Tx) error {
			_, err := tx.PaymentForUpdate("client-a", "pay-1")
			return err
		})
		wantErr(t, "PaymentForUpdate of a missing payment", err, gateway.ErrNotFound)
	})
}

func testRefunds(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()
	// withPayment returns a store holding client-a's pay-1 and client-b's
	// pay-2: refunds belong to a payment.
	withPayment := func(t *testing.T) gateway.Store {
		s := newStore(t)
		insertPayments(t, s, newPayment("client-a", "req-1", "pay-1"), newPayment("client-b", "req-1", "pay-2"))
		return s
	}

	t.Run("InsertAndRead", func(t *testing.T) {
		s := withPayment(t)
		want := newRefund("client-a", "rreq-1", "ref-1", "pay-1", at(time.Hour))
		insertRefunds(t, s, want)

		got, err := s.Refund(ctx, "client-a", "ref-1")
		if err != nil {
			t.Fatalf("Refund: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Refund mismatch (-want +got):\n%s", diff)
		}
		sameTimes(t, "Refund", refundTimes(got), refundTimes(want))
		got, err = s.RefundByRequestID(ctx, "client-a", "rreq-1")
		if err != nil {
			t.Fatalf("RefundByRequestID: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("RefundByRequestID mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("ZeroValues", func(t *testing.T) {
		s := withPayment(t)
		want := &gateway.Refund{ID: "ref-1", ClientID: "client-a", RequestID: "rreq-1", PaymentID: "pay-1",
			Amount: gateway.Money{Value: 1, Currency: "USD"}, Status: gateway.RefundProcessing}
		insertRefunds(t, s, want)
		got, err := s.Refund(ctx, "client-a", "ref-1")
		if err != nil {
			t.Fatalf("Refund: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Refund mismatch (-want +got):\n%s", diff)
		}
		sameTimes(t, "Refund", refundTimes(got), refundTimes(want))
	})

	t.Run("ErrNotFoundAndClientScoping", func(t *testing.T) {
		s := withPayment(t)
		insertRefunds(t, s, newRefund("client-a", "rreq-1", "ref-1", "pay-1", at(time.Hour)))
		_, err := s.Refund(ctx, "client-a", "ref-2")
		wantErr(t, "Refund of an unknown id", err, gateway.ErrNotFound)
		_, err = s.RefundByRequestID(ctx, "client-a", "rreq-2")
		wantErr(t, "RefundByRequestID of an unknown request id", err, gateway.ErrNotFound)
		_, err = s.Refund(ctx, "client-b", "ref-1")
		wantErr(t, "Refund of another client's id", err, gateway.ErrNotFound)
		_, err = s.RefundByRequestID(ctx, "client-b", "rreq-1")
		wantErr(t, "RefundByRequestID of another client's request id", err, gateway.ErrNotFound)
		err = s.Update(ctx, func(tx gateway.Tx) error {
			_, err := tx.RefundForUpdate("client-b", "ref-1")
			return err
		})
		wantErr(t, "RefundForUpdate of another client's id", err, gateway.ErrNotFound)
		other := newRefund("client-b", "rreq-1", "ref-1", "pay-1", at(time.Hour))
		other.Status = gateway.RefundFail
		err = s.Update(ctx, func(tx gateway.Tx) error { return tx.UpdateRefund(other) })
		wantErr(t, "UpdateRefund of another client's refund", err, gateway.ErrNotFound)
	})

	t.Run("ErrConflictDuplicateRequestID", func(t *testing.T) {
		s := withPayment(t)
		first := newRefund("client-a", "rreq-1", "ref-1", "pay-1", at(time.Hour))
		insertRefunds(t, s, first)
		err := s.Update(ctx, func(tx gateway.Tx) error {
			return tx.InsertRefund(newRefund("client-a", "rreq-1", "ref-2", "pay-1", at(2*time.Hour)))
		})
		wantErr(t, "InsertRefund of a taken request id", err, gateway.ErrConflict)
		_, err = s.Refund(ctx, "client-a", "ref-2")
		wantErr(t, "Refund of the refused insert", err, gateway.ErrNotFound)
		if got, err := s.RefundByRequestID(ctx, "client-a", "rreq-1"); err != nil || got.ID != "ref-1" {
			t.Errorf("RefundByRequestID = %v, %v, want ref-1", got, err)
		}
		// Another client's request id space is its own.
		insertRefunds(t, s, newRefund("client-b", "rreq-1", "ref-3", "pay-2", at(time.Hour)))
	})

	t.Run("RefundsOldestFirst", func(t *testing.T) {
		s := withPayment(t)
		// Inserted newest first, in separate transactions, plus one of
		// another payment.
		insertRefunds(t, s, newRefund("client-a", "rreq-3", "ref-3", "pay-1", at(3*time.Hour)))
		insertRefunds(t, s, newRefund("client-a", "rreq-1", "ref-1", "pay-1", at(1*time.Hour)))
		insertRefunds(t, s, newRefund("client-b", "rreq-9", "ref-9", "pay-2", at(2*time.Hour)))
		insertRefunds(t, s, newRefund("client-a", "rreq-2", "ref-2", "pay-1", at(2*time.Hour)))
		got, err := s.Refunds(ctx, "pay-1")
		if err != nil {
			t.Fatalf("Refunds: %v", err)
		}
		want := []*gateway.Refund{
			newRefund("client-a", "rreq-1", "ref-1", "pay-1", at(1*time.Hour)),
			newRefund("client-a", "rreq-2", "ref-2", "pay-1", at(2*time.Hour)),
			newRefund("client-a", "rreq-3", "ref-3", "pay-1", at(3*time.Hour)),
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Refunds mismatch (-want +got):\n%s", diff)
		}
		none, err := s.Refunds(ctx, "pay-none")
		if err != nil || len(none) != 0 {
			t.Errorf("Refunds of a payment without refunds = %v, %v, want none, nil", none, err)
		}
	})

	t.Run("UpdateRefund", func(t *testing.T) {
		s := withPayment(t)
		r := newRefund("client-a", "rreq-1", "ref-1", "pay-1", at(time.Hour))
		r.Status, r.ResultCode, r.ResultMessage, r.RefundedAt = gateway.RefundProcessing, "", "", time.Time{}
		insertRefunds(t, s, r)
		var want *gateway.Refund
		update(t, s, func(tx gateway.Tx) error {
			got, err := tx.RefundForUpdate("client-a", "ref-1")
			if err != nil {
				return err
			}
			if diff := cmp.Diff(r, got); diff != "" {
				t.Errorf("RefundForUpdate mismatch (-want +got):\n%s", diff)
			}
			got.Status = gateway.RefundSuccess
			got.ResultCode, got.ResultMessage = gateway.CodeSuccess, "success"
			got.UpdatedAt = at(2*time.Hour + 1*time.Millisecond)
			got.RefundedAt = got.UpdatedAt
			want = got
			return tx.UpdateRefund(got)
		})
		got, err := s.Refund(ctx, "client-a", "ref-1")
		if err != nil {
			t.Fatalf("Refund: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Refund after UpdateRefund mismatch (-want +got):\n%s", diff)
		}
		err = s.Update(ctx, func(tx gateway.Tx) error {
			return tx.UpdateRefund(newRefund("client-a", "rreq-7", "ref-7", "pay-1", at(0)))
		})
		wantErr(t, "UpdateRefund of a missing refund", err, gateway.ErrNotFound)
	})
}
