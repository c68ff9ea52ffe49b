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
	testRecords(t, record[*gateway.Payment]{
		name:     "Payment",
		newStore: newStore,
		full:     newPayment,
		bare: func(clientID, requestID, id string) *gateway.Payment {
			return &gateway.Payment{ID: id, ClientID: clientID, RequestID: requestID,
				Amount: gateway.Money{Value: 1, Currency: "JPY"}, Status: gateway.PaymentProcessing}
		},
		undecided: func(p *gateway.Payment) *gateway.Payment {
			u := *p
			u.ActionURL, u.Status, u.Decided, u.ResultCode, u.ResultMessage = "", gateway.PaymentProcessing, false, "", ""
			u.UpdatedAt, u.ExpiresAt, u.PaidAt, u.CancelledAt, u.Refunded = u.CreatedAt, time.Time{}, time.Time{}, time.Time{}, 0
			return &u
		},
		times:       paymentTimes,
		get:         gateway.Store.Payment,
		byRequestID: gateway.Store.PaymentByRequestID,
		forUpdate:   gateway.Tx.PaymentForUpdate,
		insert:      gateway.Tx.InsertPayment,
		update:      gateway.Tx.UpdatePayment,
	})

	t.Run("TimesUTCToTheMillisecond", func(t *testing.T) {
		s := newStore(t)
		zone := time.FixedZone("UTC+8", 8*3600)
		p := newPayment("client-a", "req-1", "pay-1")
		p.CreatedAt = time.Date(2025, 3, 1, 18, 0, 0, 123456789, zone)
		p.PaidAt = time.Date(2025, 3, 1, 18, 0, 1, 999999999, zone)
		p.ExpiresAt = time.Date(2025, 3, 1, 10, 14, 0, 1, time.UTC)
		insert(t, s, gateway.Tx.InsertPayment, p)
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

	t.Run("ErrConflictInsideLargerTransaction", func(t *testing.T) {
		// The conflict comes back from InsertPayment itself, so fn can
		// return it and nothing else of the transaction is kept.
		s := newStore(t)
		insert(t, s, gateway.Tx.InsertPayment, newPayment("client-a", "req-1", "pay-1"))
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
}

func testRefunds(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()
	// Refunds belong to a payment: client-a's pay-1 and client-b's pay-2.
	paymentOf := map[string]string{"client-a": "pay-1", "client-b": "pay-2"}
	refunds := record[*gateway.Refund]{
		name: "Refund",
		newStore: func(t *testing.T) gateway.Store {
			s := newStore(t)
			insert(t, s, gateway.Tx.InsertPayment, newPayment("client-a", "req-1", "pay-1"), newPayment("client-b", "req-1", "pay-2"))
			return s
		},
		full: func(clientID, requestID, id string) *gateway.Refund {
			return newRefund(clientID, requestID, id, paymentOf[clientID], at(time.Hour))
		},
		bare: func(clientID, requestID, id string) *gateway.Refund {
			return &gateway.Refund{ID: id, ClientID: clientID, RequestID: requestID, PaymentID: paymentOf[clientID],
				Amount: gateway.Money{Value: 1, Currency: "USD"}, Status: gateway.RefundProcessing}
		},
		undecided: func(r *gateway.Refund) *gateway.Refund {
			u := *r
			u.Status, u.ResultCode, u.ResultMessage, u.UpdatedAt, u.RefundedAt = gateway.RefundProcessing, "", "", u.CreatedAt, time.Time{}
			return &u
		},
		times:       refundTimes,
		get:         gateway.Store.Refund,
		byRequestID: gateway.Store.RefundByRequestID,
		forUpdate:   gateway.Tx.RefundForUpdate,
		insert:      gateway.Tx.InsertRefund,
		update:      gateway.Tx.UpdateRefund,
	}
	testRecords(t, refunds)

	t.Run("RefundsOldestFirst", func(t *testing.T) {
		s := refunds.newStore(t)
		// Inserted newest first, in separate transactions, plus one of
		// another payment.
		insert(t, s, gateway.Tx.InsertRefund, newRefund("client-a", "rreq-3", "ref-3", "pay-1", at(3*time.Hour)))
		insert(t, s, gateway.Tx.InsertRefund, newRefund("client-a", "rreq-1", "ref-1", "pay-1", at(1*time.Hour)))
		insert(t, s, gateway.Tx.InsertRefund, newRefund("client-b", "rreq-9", "ref-9", "pay-2", at(2*time.Hour)))
		insert(t, s, gateway.Tx.InsertRefund, newRefund("client-a", "rreq-2", "ref-2", "pay-1", at(2*time.Hour)))
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
}

// testPaymentList checks Payments: every filter, newest-first order with
// the id breaking ties, the limit and the cursor.
func testPaymentList(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()
	s := newStore(t)
	mk := func(client, req, id string, created time.Duration, st gateway.PaymentStatus) *gateway.Payment {
		p := newPayment(client, req, id)
		p.CreatedAt, p.UpdatedAt, p.Status = at(created), at(created), st
		return p
	}
	insert(t, s, gateway.Tx.InsertPayment,
		mk("client-a", "r1", "pay-1", 1*time.Minute, gateway.PaymentSuccess),
		mk("client-b", "r1", "pay-2", 2*time.Minute, gateway.PaymentProcessing),
		mk("client-a", "r2", "pay-3", 3*time.Minute, gateway.PaymentFail),
		mk("client-a", "r3", "pay-4", 3*time.Minute, gateway.PaymentProcessing), // same time as pay-3
		mk("client-b", "r2", "pay-5", 5*time.Minute, gateway.PaymentSuccess),
	)
	list := func(f gateway.PaymentFilter) []string {
		t.Helper()
		got, err := s.Payments(ctx, f)
		if err != nil {
			t.Fatalf("Payments(%+v): %v", f, err)
		}
		return idsOf(got, func(p *gateway.Payment) string { return p.ID })
	}
	for _, c := range []struct {
		name string
		f    gateway.PaymentFilter
		want []string
	}{
		{"All", gateway.PaymentFilter{}, []string{"pay-5", "pay-4", "pay-3", "pay-2", "pay-1"}},
		{"Client", gateway.PaymentFilter{ClientID: "client-a"}, []string{"pay-4", "pay-3", "pay-1"}},
		{"Status", gateway.PaymentFilter{Status: gateway.PaymentProcessing}, []string{"pay-4", "pay-2"}},
		{"RequestID", gateway.PaymentFilter{RequestID: "r1"}, []string{"pay-2", "pay-1"}},
		{"ClientAndRequestID", gateway.PaymentFilter{ClientID: "client-b", RequestID: "r1"}, []string{"pay-2"}},
		{"PaymentID", gateway.PaymentFilter{PaymentID: "pay-3"}, []string{"pay-3"}},
		{"From", gateway.PaymentFilter{From: at(3 * time.Minute)}, []string{"pay-5", "pay-4", "pay-3"}},
		{"To", gateway.PaymentFilter{To: at(3 * time.Minute)}, []string{"pay-2", "pay-1"}},
		{"Limit", gateway.PaymentFilter{Limit: 2}, []string{"pay-5", "pay-4"}},
		{"AfterTie", gateway.PaymentFilter{After: &gateway.PaymentCursor{CreatedAt: at(3 * time.Minute), ID: "pay-4"}}, []string{"pay-3", "pay-2", "pay-1"}},
		{"AfterWithClient", gateway.PaymentFilter{ClientID: "client-a", After: &gateway.PaymentCursor{CreatedAt: at(3 * time.Minute), ID: "pay-3"}}, []string{"pay-1"}},
		{"None", gateway.PaymentFilter{ClientID: "client-z"}, nil},
	} {
		if diff := cmp.Diff(c.want, list(c.f)); diff != "" {
			t.Errorf("%s: Payments(%+v) mismatch (-want +got):\n%s", c.name, c.f, diff)
		}
	}
	// A listed payment reads back whole.
	got, err := s.Payments(ctx, gateway.PaymentFilter{PaymentID: "pay-2"})
	if err != nil || len(got) != 1 {
		t.Fatalf("Payments(pay-2) = %v, %v", got, err)
	}
	if diff := cmp.Diff(mk("client-b", "r1", "pay-2", 2*time.Minute, gateway.PaymentProcessing), got[0]); diff != "" {
		t.Errorf("listed payment mismatch (-want +got):\n%s", diff)
	}
}
