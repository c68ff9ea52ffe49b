package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/google/go-cmp/cmp"
)

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
	insertPayments(t, s,
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
		var ids []string
		for _, p := range got {
			ids = append(ids, p.ID)
		}
		return ids
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
