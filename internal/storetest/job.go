package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// claimAll claims every job due at now, with a long lease.
func claimAll(tb testing.TB, s gateway.Store, now time.Time) []gateway.Job {
	tb.Helper()
	jobs, err := s.ClaimJobs(context.Background(), now, time.Hour, 1000)
	return must(tb, "ClaimJobs", jobs, err)
}

// wantNext checks what NextJobDue or NextNotificationDue (next) says: want,
// or none when want is zero.
func wantNext(tb testing.TB, what string, next func(context.Context) (time.Time, bool, error), want time.Time) {
	tb.Helper()
	got, ok, err := next(context.Background())
	switch {
	case err != nil:
		tb.Fatalf("%s: %v", what, err)
	case want.IsZero() && ok:
		tb.Errorf("%s = %v, want none", what, got)
	case !want.IsZero() && (!ok || !got.Equal(want)):
		tb.Errorf("%s = %v (ok %v), want %v", what, got, ok, want)
	}
}

// jobIDs returns the IDs of jobs, sorted: ClaimJobs promises no order.
func jobIDs(jobs []gateway.Job) []int64 {
	ids := idsOf(jobs, func(j gateway.Job) int64 { return j.ID })
	slices.Sort(ids)
	return ids
}

func testJobs(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()

	t.Run("InsertAssignsIDs", func(t *testing.T) {
		s := newStore(t)
		a := &gateway.Job{Kind: gateway.JobPaymentExpire, TargetID: "pay-1", DueAt: at(0)}
		b := &gateway.Job{Kind: gateway.JobPaymentExpire, TargetID: "pay-2", DueAt: at(0)}
		insert(t, s, gateway.Tx.InsertJob, a, b)
		if a.ID == 0 || b.ID == 0 || a.ID == b.ID {
			t.Errorf("job IDs = %d, %d, want two distinct non-zero IDs", a.ID, b.ID)
		}
	})

	t.Run("ClaimOnlyDue", func(t *testing.T) {
		s := newStore(t)
		early := &gateway.Job{Kind: gateway.JobPaymentSettle, ClientID: "client-a", TargetID: "pay-1",
			DueAt: at(-time.Minute), Status: string(gateway.PaymentSuccess), Code: gateway.CodeSuccess, Message: "later success"}
		onTime := &gateway.Job{Kind: gateway.JobRefundSettle, ClientID: "client-b", TargetID: "ref-1", DueAt: at(0)}
		future := &gateway.Job{Kind: gateway.JobPaymentExpire, ClientID: "client-a", TargetID: "pay-2", DueAt: at(time.Millisecond)}
		insert(t, s, gateway.Tx.InsertJob, onTime, future, early)

		got, err := s.ClaimJobs(ctx, at(0), 30*time.Second, 10)
		if err != nil {
			t.Fatalf("ClaimJobs: %v", err)
		}
		want := []gateway.Job{*onTime, *early} // by ID
		want[0].Attempts, want[1].Attempts = 1, 1
		byID := cmpopts.SortSlices(func(a, b gateway.Job) bool { return a.ID < b.ID })
		if diff := cmp.Diff(want, got, byID); diff != "" {
			t.Errorf("ClaimJobs mismatch (-want +got):\n%s", diff)
		}
		for _, j := range got {
			if j.ID == early.ID && j.DueAt != early.DueAt {
				t.Errorf("DueAt = %#v, want == %#v", j.DueAt, early.DueAt)
			}
		}
	})

	t.Run("ZeroDueAtIsDueAtOnce", func(t *testing.T) {
		s := newStore(t)
		j := &gateway.Job{Kind: gateway.JobRefundSettle, TargetID: "ref-1"}
		insert(t, s, gateway.Tx.InsertJob, j)
		got := claimAll(t, s, at(0))
		if len(got) != 1 || got[0].ID != j.ID || !got[0].DueAt.IsZero() {
			t.Errorf("ClaimJobs = %+v, want the job, with a zero DueAt", got)
		}
	})

	t.Run("Limit", func(t *testing.T) {
		s := newStore(t)
		var jobs []*gateway.Job
		for i := range 5 {
			jobs = append(jobs, &gateway.Job{Kind: gateway.JobPaymentExpire, TargetID: "pay", DueAt: at(time.Duration(5-i) * time.Second)})
		}
		insert(t, s, gateway.Tx.InsertJob, jobs...)
		got, err := s.ClaimJobs(ctx, at(time.Minute), time.Minute, 2)
		if err != nil {
			t.Fatalf("ClaimJobs: %v", err)
		}
		if diff := cmp.Diff([]int64{jobs[3].ID, jobs[4].ID}, jobIDs(got)); diff != "" {
			t.Errorf("claimed IDs mismatch, want the two due first (-want +got):\n%s", diff)
		}
	})

	t.Run("Lease", func(t *testing.T) {
		s := newStore(t)
		j := &gateway.Job{Kind: gateway.JobPaymentResolve, ClientID: "client-a", TargetID: "pay-1", DueAt: at(0)}
		insert(t, s, gateway.Tx.InsertJob, j)
		const lease = 30 * time.Second
		claim := func(now time.Time) []gateway.Job {
			t.Helper()
			got, err := s.ClaimJobs(ctx, now, lease, 10)
			if err != nil {
				t.Fatalf("ClaimJobs: %v", err)
			}
			return got
		}
		if got := claim(at(0)); len(got) != 1 || got[0].Attempts != 1 {
			t.Fatalf("first claim = %+v, want the job with Attempts 1", got)
		}
		if got := claim(at(0)); len(got) != 0 {
			t.Errorf("claim again at once = %+v, want none: the job is leased", got)
		}
		if got := claim(at(lease - time.Millisecond)); len(got) != 0 {
			t.Errorf("claim 1ms before the lease ends = %+v, want none", got)
		}
		got := claim(at(lease))
		if len(got) != 1 || got[0].ID != j.ID || got[0].Attempts != 2 {
			t.Fatalf("claim when the lease ends = %+v, want the job with Attempts 2", got)
		}
		// The new lease counts from the new claim.
		if got := claim(at(2*lease - time.Millisecond)); len(got) != 0 {
			t.Errorf("claim inside the second lease = %+v, want none", got)
		}
		if got := claim(at(2 * lease)); len(got) != 1 || got[0].Attempts != 3 {
			t.Errorf("claim after the second lease = %+v, want the job with Attempts 3", got)
		}
	})

	t.Run("NextJobDue", func(t *testing.T) {
		s := newStore(t)
		wantNext(t, "NextJobDue with no jobs", s.NextJobDue, time.Time{})
		a := &gateway.Job{Kind: gateway.JobPaymentExpire, TargetID: "pay-1", DueAt: at(time.Minute)}
		b := &gateway.Job{Kind: gateway.JobPaymentSettle, TargetID: "pay-2", DueAt: at(2 * time.Minute)}
		insert(t, s, gateway.Tx.InsertJob, a, b)
		wantNext(t, "NextJobDue", s.NextJobDue, at(time.Minute))
		// A leased job counts from the end of its lease.
		if got, err := s.ClaimJobs(ctx, at(time.Minute), 5*time.Minute, 10); err != nil || len(got) != 1 {
			t.Fatalf("ClaimJobs = %v, %v; want the first job", got, err)
		}
		wantNext(t, "NextJobDue with the first leased until +6m", s.NextJobDue, at(2*time.Minute))
		update(t, s, func(tx gateway.Tx) error { return tx.DeleteJob(b.ID) })
		wantNext(t, "NextJobDue of the leased job alone", s.NextJobDue, at(6*time.Minute))
	})

	t.Run("LimitZero", func(t *testing.T) {
		s := newStore(t)
		insert(t, s, gateway.Tx.InsertJob, &gateway.Job{Kind: gateway.JobPaymentExpire, TargetID: "pay-1", DueAt: at(0)})
		got, err := s.ClaimJobs(ctx, at(0), time.Minute, 0)
		if err != nil || len(got) != 0 {
			t.Errorf("ClaimJobs(limit 0) = %+v, %v, want none", got, err)
		}
		if got := claimAll(t, s, at(0)); len(got) != 1 || got[0].Attempts != 1 {
			t.Errorf("ClaimJobs after a limit-0 claim = %+v, want the unleased job, Attempts 1", got)
		}
	})

	t.Run("DeleteJob", func(t *testing.T) {
		s := newStore(t)
		a := &gateway.Job{Kind: gateway.JobPaymentExpire, TargetID: "pay-1", DueAt: at(0)}
		b := &gateway.Job{Kind: gateway.JobPaymentExpire, TargetID: "pay-2", DueAt: at(0)}
		insert(t, s, gateway.Tx.InsertJob, a, b)
		update(t, s, func(tx gateway.Tx) error { return tx.DeleteJob(a.ID) })
		if diff := cmp.Diff([]int64{b.ID}, jobIDs(claimAll(t, s, at(0)))); diff != "" {
			t.Errorf("jobs after DeleteJob mismatch (-want +got):\n%s", diff)
		}
		// A job that is gone already (another transaction finished it, or
		// DeleteJobs made it obsolete) deletes without error: the worker
		// holding its claim must still be able to finish.
		update(t, s, func(tx gateway.Tx) error { return tx.DeleteJob(a.ID) })
		// Deleting a leased job is how a worker finishes it.
		update(t, s, func(tx gateway.Tx) error { return tx.DeleteJob(b.ID) })
		if got := claimAll(t, s, at(2*time.Hour)); len(got) != 0 {
			t.Errorf("jobs after deleting both = %+v, want none", got)
		}
	})

	t.Run("DeleteJobs", func(t *testing.T) {
		s := newStore(t)
		settle := &gateway.Job{Kind: gateway.JobPaymentSettle, TargetID: "pay-1", DueAt: at(0)}
		expire := &gateway.Job{Kind: gateway.JobPaymentExpire, TargetID: "pay-1", DueAt: at(0)}
		resolve := &gateway.Job{Kind: gateway.JobPaymentResolve, TargetID: "pay-1", DueAt: at(0)}
		other := &gateway.Job{Kind: gateway.JobPaymentResolve, TargetID: "pay-2", DueAt: at(0)}
		insert(t, s, gateway.Tx.InsertJob, settle, expire, resolve, other)

		// Two kinds of one target; the others stay.
		update(t, s, func(tx gateway.Tx) error {
			return tx.DeleteJobs("pay-1", gateway.JobPaymentResolve, gateway.JobPaymentSettle)
		})
		if diff := cmp.Diff([]int64{expire.ID, other.ID}, jobIDs(claimAll(t, s, at(0)))); diff != "" {
			t.Errorf("jobs after DeleteJobs(pay-1, resolve, settle) mismatch (-want +got):\n%s", diff)
		}
		// No kinds: every job of the target.
		insert(t, s, gateway.Tx.InsertJob, &gateway.Job{Kind: gateway.JobPaymentSettle, TargetID: "pay-1", DueAt: at(0)})
		update(t, s, func(tx gateway.Tx) error { return tx.DeleteJobs("pay-1") })
		if got := claimAll(t, s, at(3*time.Hour)); len(got) != 1 || got[0].ID != other.ID {
			t.Errorf("jobs after DeleteJobs(pay-1) = %+v, want only pay-2's", got)
		}
		// A target without jobs is not an error.
		update(t, s, func(tx gateway.Tx) error { return tx.DeleteJobs("pay-9", gateway.JobPaymentSettle) })
	})
}

func testMark(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()
	s := newStore(t)
	mark := func(key string) bool {
		t.Helper()
		first, err := s.Mark(ctx, key, at(0))
		if err != nil {
			t.Fatalf("Mark(%s): %v", key, err)
		}
		return first
	}
	if !mark("notify:pay-1:SUCCESS") {
		t.Errorf("first Mark = false, want true")
	}
	if mark("notify:pay-1:SUCCESS") {
		t.Errorf("second Mark of the same key = true, want false")
	}
	if !mark("notify:pay-1:CANCELLED") {
		t.Errorf("first Mark of another key = false, want true")
	}
}
