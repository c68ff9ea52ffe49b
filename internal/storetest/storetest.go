// Package storetest is the conformance suite of gateway.Store: every
// storage behaviour the gateway relies on (idempotent inserts, client
// scoping, transactions that roll back, the write lock of Update, job
// claims and leases, the registry and its version, marks), written once and
// run against each store. A store is done when it passes Run.
//
// The suite uses fixed times and no sleeps, so it runs in well under a
// second on an in-memory database.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/google/go-cmp/cmp"
)

// Run runs the suite. newStore must return a new, empty store that no other
// test uses, and close it when t ends (t.Cleanup). Each subtest calls it.
func Run(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	t.Helper()
	t.Run("Registry", func(t *testing.T) { testRegistry(t, newStore) })
	t.Run("Payments", func(t *testing.T) { testPayments(t, newStore) })
	t.Run("PaymentList", func(t *testing.T) { testPaymentList(t, newStore) })
	t.Run("Refunds", func(t *testing.T) { testRefunds(t, newStore) })
	t.Run("Captures", func(t *testing.T) { testCaptures(t, newStore) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, newStore) })
	t.Run("Jobs", func(t *testing.T) { testJobs(t, newStore) })
	t.Run("Mark", func(t *testing.T) { testMark(t, newStore) })
	t.Run("Notifications", func(t *testing.T) { testNotifications(t, newStore) })
	t.Run("Concurrency", func(t *testing.T) {
		testConcurrency(t, func(t *testing.T) []gateway.Store { return []gateway.Store{newStore(t)} })
	})
	t.Run("Service", func(t *testing.T) { testService(t, newStore) })
	t.Run("Operator", func(t *testing.T) { testOperator(t, newStore) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, newStore) })
	t.Run("Scenarios", func(t *testing.T) { testScenarios(t, newStore) })
}

// base is the suite's "now": every time is an offset from it, to the
// millisecond, in UTC, as the gateway writes them.
var base = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return base.Add(d) }

// update runs fn through s.Update and fails the test when it fails.
func update(tb testing.TB, s gateway.Store, fn func(tx gateway.Tx) error) {
	tb.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

// insert writes xs with insertOne, in order, in one transaction, as in
// insert(t, s, gateway.Tx.InsertPayment, p1, p2).
func insert[T any](tb testing.TB, s gateway.Store, insertOne func(gateway.Tx, T) error, xs ...T) {
	tb.Helper()
	update(tb, s, func(tx gateway.Tx) error {
		for _, x := range xs {
			if err := insertOne(tx, x); err != nil {
				return err
			}
		}
		return nil
	})
}

// newPayment returns a payment with every field set, so that a round trip
// that drops one is seen.
func newPayment(clientID, requestID, id string) *gateway.Payment {
	return &gateway.Payment{
		ID:          id,
		ClientID:    clientID,
		RequestID:   requestID,
		ProductCode: gateway.ProductInStore,
		Scenario:    gateway.ScenarioOrderCode,
		Amount:      gateway.Money{Value: 10000, Currency: "USD"},
		MethodType:  "CONNECT_WALLET",
		MethodID:    "281012020300001234",
		NotifyURL:   "https://merchant.example/notify",
		RedirectURL: "https://merchant.example/return",
		ReferenceID: "order-" + requestID,
		Fingerprint: "fp-" + requestID,
		ActionURL:   "https://gateway.example/pay/" + id,
		Status:      gateway.PaymentSuccess,
		Decided:     true,
		ResultCode:  gateway.CodeSuccess,
		// A message with quotes and non-ASCII text survives too.
		ResultMessage: `success "ok" — 成功`,
		CreatedAt:     at(0),
		UpdatedAt:     at(1500 * time.Millisecond),
		ExpiresAt:     at(14 * time.Minute),
		PaidAt:        at(1500 * time.Millisecond),
		CancelledAt:   at(2 * time.Hour),
		Refunded:      2500,
	}
}

// newRefund returns a refund of paymentID with every field set.
func newRefund(clientID, requestID, id, paymentID string, created time.Time) *gateway.Refund {
	return &gateway.Refund{
		ID:            id,
		ClientID:      clientID,
		RequestID:     requestID,
		PaymentID:     paymentID,
		Amount:        gateway.Money{Value: 2500, Currency: "USD"},
		Reason:        "customer returned the goods",
		ReferenceID:   "ref-" + requestID,
		NotifyURL:     "https://merchant.example/refund-notify",
		Async:         true,
		Fingerprint:   "fp-" + requestID,
		Status:        gateway.RefundSuccess,
		ResultCode:    gateway.CodeSuccess,
		ResultMessage: "success",
		CreatedAt:     created,
		UpdatedAt:     created.Add(time.Second),
		RefundedAt:    created.Add(time.Second),
	}
}

// wantErr fails the test unless errors.Is(err, want).
func wantErr(tb testing.TB, what string, err, want error) {
	tb.Helper()
	if !errors.Is(err, want) {
		tb.Errorf("%s: error = %v, want %v", what, err, want)
	}
}

// wantEqual fails the test unless got is want, showing how they differ.
func wantEqual(tb testing.TB, what string, want, got any) {
	tb.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		tb.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// idsOf returns id(x) for each of xs, in order; nil for none.
func idsOf[T, I any](xs []T, id func(T) I) []I {
	var ids []I
	for _, x := range xs {
		ids = append(ids, id(x))
	}
	return ids
}

// must returns v, failing the test now when err is set; what names the
// call that returned them.
func must[T any](tb testing.TB, what string, v T, err error) T {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
	return v
}
