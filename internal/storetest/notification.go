package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/google/go-cmp/cmp"
)

// newNotification returns a notification of payment pay-1 due at due.
func newNotification(id string, created, due time.Time) *gateway.Notification {
	return &gateway.Notification{
		ID: id, ClientID: "client-a", Kind: gateway.NotifyPayment, PaymentID: "pay-1",
		URL: "https://merchant.example/notify", Body: []byte(`{"paymentId":"pay-1","x":"` + id + `"}`),
		CreatedAt: created, DueAt: due,
	}
}

func claimNotifications(tb testing.TB, s gateway.Store, now time.Time, lease time.Duration) []gateway.Notification {
	tb.Helper()
	got, err := s.ClaimNotifications(context.Background(), now, lease, 1000)
	return must(tb, "ClaimNotifications", got, err)
}

// notificationIDs returns the ids of ns, sorted: claims come in no
// promised order.
func notificationIDs(ns []gateway.Notification) []string {
	ids := idsOf(ns, func(n gateway.Notification) string { return n.ID })
	slices.Sort(ids)
	return ids
}

func getNotification(tb testing.TB, s gateway.Store, id string) *gateway.Notification {
	tb.Helper()
	n, err := s.Notification(context.Background(), id)
	return must(tb, "Notification("+id+")", n, err)
}

func testNotifications(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()

	t.Run("InsertAndRead", func(t *testing.T) {
		s := newStore(t)
		want := newNotification("n-1", at(0), at(0))
		want.Kind, want.RefundID = gateway.NotifyRefund, "ref-1"
		want.Body = []byte{'{', 0x00, 0xff, '}'} // bytes, not text
		insert(t, s, gateway.Tx.InsertNotification, want)
		got := getNotification(t, s, "n-1")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Notification mismatch (-want +got):\n%s", diff)
		}
		if !got.Pending() {
			t.Errorf("Pending() of a new notification = false, want true")
		}
		_, err := s.Notification(ctx, "n-2")
		wantErr(t, "Notification of an unknown id", err, gateway.ErrNotFound)
	})

	t.Run("RolledBackWithItsStateChange", func(t *testing.T) {
		// The outbox: a notification exists only if its transaction commits.
		s := newStore(t)
		errBoom := errors.New("boom")
		err := s.Update(ctx, func(tx gateway.Tx) error {
			if err := tx.InsertNotification(newNotification("n-1", at(0), at(0))); err != nil {
				return err
			}
			return errBoom
		})
		wantErr(t, "Update", err, errBoom)
		_, err = s.Notification(ctx, "n-1")
		wantErr(t, "Notification after rollback", err, gateway.ErrNotFound)
		if got := claimNotifications(t, s, at(time.Hour), time.Minute); len(got) != 0 {
			t.Errorf("ClaimNotifications after rollback = %v, want none", notificationIDs(got))
		}
	})

	t.Run("ClaimDueAndLease", func(t *testing.T) {
		s := newStore(t)
		insert(t, s, gateway.Tx.InsertNotification,
			newNotification("n-late", at(0), at(time.Minute)),
			newNotification("n-due", at(0), at(0)),
			newNotification("n-early", at(0), at(-time.Second)))
		const lease = 30 * time.Second
		got := claimNotifications(t, s, at(0), lease)
		if diff := cmp.Diff([]string{"n-due", "n-early"}, notificationIDs(got)); diff != "" {
			t.Errorf("claimed mismatch, want the due ones (-want +got):\n%s", diff)
		}
		for _, n := range got {
			if n.Attempts != 0 {
				t.Errorf("%s Attempts after a claim = %d, want 0: a claim is not an attempt", n.ID, n.Attempts)
			}
		}
		if got := claimNotifications(t, s, at(lease-time.Millisecond), lease); len(got) != 0 {
			t.Errorf("claim inside the lease = %v, want none", notificationIDs(got))
		}
		// The lease ran out (the worker died): due again, attempts unchanged.
		got = claimNotifications(t, s, at(lease), lease)
		if diff := cmp.Diff([]string{"n-due", "n-early"}, notificationIDs(got)); diff != "" {
			t.Errorf("claimed after the lease mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("NextNotificationDue", func(t *testing.T) {
		s := newStore(t)
		wantNext(t, "NextNotificationDue with none", s.NextNotificationDue, time.Time{})
		insert(t, s, gateway.Tx.InsertNotification,
			newNotification("n-a", at(0), at(time.Minute)),
			newNotification("n-b", at(0), at(3*time.Minute)))
		wantNext(t, "NextNotificationDue", s.NextNotificationDue, at(time.Minute))
		// n-a claimed (leased until +6m) and then delivered: n-b is next.
		claimNotifications(t, s, at(time.Minute), 5*time.Minute)
		wantNext(t, "NextNotificationDue with n-a leased", s.NextNotificationDue, at(3*time.Minute))
		delivered := func(id string, t0 time.Time) gateway.Attempt {
			return gateway.Attempt{NotificationID: id, Number: 1, At: t0, Outcome: gateway.OutcomeDelivered, HTTPStatus: 200}
		}
		recordAttempt(t, s, delivered("n-a", at(time.Minute)), gateway.RetrySchedule{0})
		claimNotifications(t, s, at(3*time.Minute), 5*time.Minute)
		wantNext(t, "NextNotificationDue with n-b leased until +8m", s.NextNotificationDue, at(8*time.Minute))
		recordAttempt(t, s, delivered("n-b", at(3*time.Minute)), gateway.RetrySchedule{0})
		wantNext(t, "NextNotificationDue with all delivered", s.NextNotificationDue, time.Time{})
	})

	t.Run("ClaimLimit", func(t *testing.T) {
		s := newStore(t)
		for i := range 5 {
			insert(t, s, gateway.Tx.InsertNotification, newNotification(fmt.Sprintf("n-%d", i), at(0), at(time.Duration(i)*time.Second)))
		}
		got, err := s.ClaimNotifications(ctx, at(time.Minute), time.Minute, 2)
		if err != nil {
			t.Fatalf("ClaimNotifications: %v", err)
		}
		if diff := cmp.Diff([]string{"n-0", "n-1"}, notificationIDs(got)); diff != "" {
			t.Errorf("claimed mismatch (-want +got):\n%s", diff)
		}
		if got, err := s.ClaimNotifications(ctx, at(time.Minute), time.Minute, 0); err != nil || len(got) != 0 {
			t.Errorf("ClaimNotifications(limit 0) = %v, %v, want none", notificationIDs(got), err)
		}
	})

	t.Run("RecordAttemptFailedThenDelivered", func(t *testing.T) {
		s := newStore(t)
		insert(t, s, gateway.Tx.InsertNotification, newNotification("n-1", at(0), at(0)))
		claimNotifications(t, s, at(0), time.Hour)

		failed := gateway.Attempt{NotificationID: "n-1", Number: 1, At: at(time.Second), Duration: 1500 * time.Millisecond,
			Outcome: gateway.OutcomeHTTPStatus, HTTPStatus: 503, Error: "503 Service Unavailable"}
		next := at(2 * time.Minute)
		// The schedule's second delay counts from the end of the first
		// attempt.
		sched := gateway.RetrySchedule{0, next.Sub(failed.At.Add(failed.Duration))}
		recordAttempt(t, s, failed, sched)
		n := getNotification(t, s, "n-1")
		if n.Attempts != 1 || !n.DueAt.Equal(next) || !n.Pending() || n.LastError != failed.Error {
			t.Errorf("after a failed attempt: Attempts %d, DueAt %v, Pending %v, LastError %q; want 1, %v, true, %q",
				n.Attempts, n.DueAt, n.Pending(), n.LastError, next, failed.Error)
		}
		// The lease is released: due at next, not an hour later.
		if got := claimNotifications(t, s, next.Add(-time.Millisecond), time.Hour); len(got) != 0 {
			t.Errorf("claim before next = %v, want none", notificationIDs(got))
		}
		if got := claimNotifications(t, s, next, time.Hour); len(got) != 1 || got[0].Attempts != 1 {
			t.Fatalf("claim at next = %+v, want n-1 with Attempts 1", got)
		}

		delivered := gateway.Attempt{NotificationID: "n-1", Number: 2, At: at(3 * time.Minute), Duration: 20 * time.Millisecond,
			Outcome: gateway.OutcomeDelivered, HTTPStatus: 200}
		recordAttempt(t, s, delivered, sched)
		n = getNotification(t, s, "n-1")
		if n.Attempts != 2 || !n.DeliveredAt.Equal(delivered.At) || !n.GivenUpAt.IsZero() || n.Pending() {
			t.Errorf("after delivery: Attempts %d, DeliveredAt %v, GivenUpAt %v, Pending %v; want 2, %v, zero, false",
				n.Attempts, n.DeliveredAt, n.GivenUpAt, n.Pending(), delivered.At)
		}
		if got := claimNotifications(t, s, at(48*time.Hour), time.Hour); len(got) != 0 {
			t.Errorf("claim of a delivered notification = %v, want none", notificationIDs(got))
		}
		attempts, err := s.NotificationAttempts(ctx, "n-1")
		if err != nil {
			t.Fatalf("NotificationAttempts: %v", err)
		}
		if diff := cmp.Diff([]gateway.Attempt{failed, delivered}, attempts); diff != "" {
			t.Errorf("NotificationAttempts mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("RecordAttemptGivenUp", func(t *testing.T) {
		s := newStore(t)
		insert(t, s, gateway.Tx.InsertNotification, newNotification("n-1", at(0), at(0)))
		claimNotifications(t, s, at(0), time.Hour)
		last := gateway.Attempt{NotificationID: "n-1", Number: 1, At: at(time.Second), Outcome: gateway.OutcomeTimeout, Error: "timeout"}
		recordAttempt(t, s, last, gateway.RetrySchedule{0}) // no second attempt
		n := getNotification(t, s, "n-1")
		if !n.GivenUpAt.Equal(last.At) || !n.DeliveredAt.IsZero() || n.Pending() {
			t.Errorf("after giving up: GivenUpAt %v, DeliveredAt %v, Pending %v; want %v, zero, false",
				n.GivenUpAt, n.DeliveredAt, n.Pending(), last.At)
		}
		if got := claimNotifications(t, s, at(48*time.Hour), time.Hour); len(got) != 0 {
			t.Errorf("claim of a given-up notification = %v, want none", notificationIDs(got))
		}
		_, err := gateway.RecordAttempt(ctx, s, gateway.Attempt{NotificationID: "n-9", At: at(0), Outcome: gateway.OutcomeTimeout}, nil)
		wantErr(t, "RecordAttempt of an unknown notification", err, gateway.ErrNotFound)
	})

	t.Run("Defer", func(t *testing.T) {
		s := newStore(t)
		insert(t, s, gateway.Tx.InsertNotification, newNotification("n-1", at(0), at(0)))
		claimNotifications(t, s, at(0), time.Hour)
		until := at(5 * time.Second)
		if err := s.DeferNotification(ctx, "n-1", until); err != nil {
			t.Fatalf("DeferNotification: %v", err)
		}
		if got := claimNotifications(t, s, until.Add(-time.Millisecond), time.Hour); len(got) != 0 {
			t.Errorf("claim before until = %v, want none", notificationIDs(got))
		}
		got := claimNotifications(t, s, until, time.Hour)
		if len(got) != 1 || got[0].Attempts != 0 {
			t.Errorf("claim at until = %+v, want n-1 with Attempts 0", got)
		}
	})

	t.Run("Resend", func(t *testing.T) {
		s := newStore(t)
		insert(t, s, gateway.Tx.InsertNotification, newNotification("n-1", at(0), at(0)))
		claimNotifications(t, s, at(0), time.Hour)
		recordAttempt(t, s, gateway.Attempt{NotificationID: "n-1", At: at(time.Second),
			Outcome: gateway.OutcomeDelivered, HTTPStatus: 200}, nil)
		now := at(time.Hour)
		svc := &gateway.Service{Store: s, Now: func() time.Time { return now }}
		if _, err := svc.ResendNotification(ctx, "n-1"); err != nil {
			t.Fatalf("ResendNotification: %v", err)
		}
		n := getNotification(t, s, "n-1")
		if !n.Pending() || !n.DueAt.Equal(now) || n.Attempts != 1 {
			t.Errorf("after resend: Pending %v, DueAt %v, Attempts %d; want true, %v, 1", n.Pending(), n.DueAt, n.Attempts, now)
		}
		if got := claimNotifications(t, s, now, time.Hour); len(got) != 1 {
			t.Errorf("claim after resend = %v, want n-1", notificationIDs(got))
		}
		if _, err := svc.ResendNotification(ctx, "n-9"); gateway.KindOf(err) != gateway.KindNotFound {
			t.Errorf("ResendNotification of an unknown id: %v, want KindNotFound", err)
		}
	})

	t.Run("ListAndStats", func(t *testing.T) {
		s := newStore(t)
		a := newNotification("n-a", at(1*time.Second), at(0))
		b := newNotification("n-b", at(2*time.Second), at(0))
		c := newNotification("n-c", at(3*time.Second), at(0))
		c.PaymentID = "pay-2"
		insert(t, s, gateway.Tx.InsertNotification, b, c, a)
		claimNotifications(t, s, at(0), time.Hour)
		recordAttempt(t, s, gateway.Attempt{NotificationID: "n-b", At: at(time.Minute),
			Outcome: gateway.OutcomeDelivered, HTTPStatus: 200}, nil)
		list := func(f gateway.NotificationFilter) []string {
			t.Helper()
			got, err := s.Notifications(ctx, f)
			if err != nil {
				t.Fatalf("Notifications(%+v): %v", f, err)
			}
			return idsOf(got, func(n gateway.Notification) string { return n.ID }) // in the order listed: newest first
		}
		for _, tc := range []struct {
			f    gateway.NotificationFilter
			want []string
		}{
			{gateway.NotificationFilter{}, []string{"n-c", "n-b", "n-a"}},
			{gateway.NotificationFilter{Undelivered: true}, []string{"n-c", "n-a"}},
			{gateway.NotificationFilter{PaymentID: "pay-1"}, []string{"n-b", "n-a"}},
			{gateway.NotificationFilter{PaymentID: "pay-1", Undelivered: true}, []string{"n-a"}},
			{gateway.NotificationFilter{Limit: 2}, []string{"n-c", "n-b"}},
			{gateway.NotificationFilter{PaymentID: "pay-9"}, nil},
		} {
			if diff := cmp.Diff(tc.want, list(tc.f)); diff != "" {
				t.Errorf("Notifications(%+v) mismatch (-want +got):\n%s", tc.f, diff)
			}
		}
		created, pending, err := s.NotificationStats(ctx)
		if err != nil || created != 3 || pending != 2 {
			t.Errorf("NotificationStats = %d, %d, %v, want 3, 2, nil", created, pending, err)
		}
		// A transaction that inserts a notification and then fails leaves
		// both numbers alone; a given-up notification leaves the backlog.
		boom := errors.New("boom")
		err = s.Update(ctx, func(tx gateway.Tx) error {
			if err := tx.InsertNotification(newNotification("n-d", at(4*time.Second), at(0))); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update = %v, want boom", err)
		}
		recordAttempt(t, s, gateway.Attempt{NotificationID: "n-c", At: at(time.Minute),
			Outcome: gateway.OutcomeHTTPStatus, HTTPStatus: 500}, gateway.RetrySchedule{0}) // one attempt: given up
		created, pending, err = s.NotificationStats(ctx)
		if err != nil || created != 3 || pending != 1 {
			t.Errorf("after a rolled-back insert and a give-up: NotificationStats = %d, %d, %v, want 3, 1, nil", created, pending, err)
		}
	})

}

// recordAttempt records an attempt through the core's state machine and
// fails the test when it fails.
func recordAttempt(tb testing.TB, s gateway.Store, a gateway.Attempt, schedule gateway.RetrySchedule) {
	tb.Helper()
	if _, err := gateway.RecordAttempt(context.Background(), s, a, schedule); err != nil {
		tb.Fatalf("RecordAttempt: %v", err)
	}
}
