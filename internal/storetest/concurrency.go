package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// testConcurrency checks the guarantees the Service builds idempotency and
// money on: one winner per request id, no lost update under the write lock,
// one claimant per job.
func testConcurrency(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()

	t.Run("InsertPaymentOneWinner", func(t *testing.T) {
		s := newStore(t)
		const n = 50
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				p := newPayment("client-a", "req-1", fmt.Sprintf("pay-%02d", i))
				errs[i] = s.Update(ctx, func(tx gateway.Tx) error { return tx.InsertPayment(p) })
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Errorf("inserts %d and %d both succeeded", winner, i)
				}
				winner = i
			case !errors.Is(err, gateway.ErrConflict):
				t.Errorf("insert %d: error = %v, want nil or %v", i, err, gateway.ErrConflict)
			}
		}
		if winner < 0 {
			t.Fatalf("no insert succeeded")
		}
		p, err := s.PaymentByRequestID(ctx, "client-a", "req-1")
		if err != nil {
			t.Fatalf("PaymentByRequestID: %v", err)
		}
		if want := fmt.Sprintf("pay-%02d", winner); p.ID != want {
			t.Errorf("ID = %s, want the winner's %s", p.ID, want)
		}
	})

	t.Run("ReadModifyWriteUnderLock", func(t *testing.T) {
		s := newStore(t)
		p := newPayment("client-a", "req-1", "pay-1")
		p.Refunded = 0
		insertPayments(t, s, p)
		const n = 50
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				err := s.Update(ctx, func(tx gateway.Tx) error {
					p, err := tx.PaymentForUpdate("client-a", "pay-1")
					if err != nil {
						return err
					}
					p.Refunded++
					return tx.UpdatePayment(p)
				})
				if err != nil {
					t.Errorf("Update: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		got, err := s.Payment(ctx, "client-a", "pay-1")
		if err != nil {
			t.Fatalf("Payment: %v", err)
		}
		if got.Refunded != n {
			t.Errorf("Refunded = %d, want %d: an update was lost", got.Refunded, n)
		}
	})

	t.Run("ClaimJobsEachOnce", func(t *testing.T) {
		s := newStore(t)
		const jobs, workers = 100, 20
		var all []*gateway.Job
		for i := range jobs {
			all = append(all, &gateway.Job{Kind: gateway.JobPaymentExpire, TargetID: fmt.Sprintf("pay-%03d", i),
				DueAt: at(time.Duration(i%7) * time.Millisecond)})
		}
		insertJobs(t, s, all...)

		var mu sync.Mutex
		claims := map[int64]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range workers {
			wg.Go(func() {
				<-start
				for {
					got, err := s.ClaimJobs(ctx, at(time.Second), time.Hour, 3)
					if err != nil {
						t.Errorf("ClaimJobs: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, j := range got {
						claims[j.ID]++
						if j.Attempts != 1 {
							t.Errorf("job %d Attempts = %d, want 1", j.ID, j.Attempts)
						}
					}
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		for _, j := range all {
			if claims[j.ID] != 1 {
				t.Errorf("job %d claimed %d times, want once", j.ID, claims[j.ID])
			}
		}
		if len(claims) != jobs {
			t.Errorf("claimed %d distinct jobs, want %d", len(claims), jobs)
		}
	})
}
