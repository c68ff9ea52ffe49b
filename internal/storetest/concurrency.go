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

// RunShared runs the suite's concurrency tests on several stores that
// share one database, as processes (gateway nodes) sharing a database file
// or server do: one winner per request id, no lost update, one claimant per
// job and notification, whichever store each call goes through. newStores
// must return new stores, all on one new, empty database, and close them
// when t ends. Run runs the same tests on a single store.
func RunShared(t *testing.T, newStores func(t *testing.T) []gateway.Store) {
	t.Helper()
	testConcurrency(t, newStores)
}

// Closer is a store that can be closed, as a store's Open returns it.
type Closer interface {
	gateway.Store
	Close() error
}

// OpenTogether calls open n times at one moment, as processes (gateway
// nodes) starting together on one database do, writes a job through each
// store at once, and closes them; it fails the test for each store whose
// open, write or close fails.
func OpenTogether(t *testing.T, n int, open func() (Closer, error)) {
	t.Helper()
	errs := make([]error, n)
	together(n, func(i int) {
		s, err := open()
		if err != nil {
			errs[i] = err
			return
		}
		errs[i] = s.Update(context.Background(), func(tx gateway.Tx) error {
			return tx.InsertJob(&gateway.Job{Kind: gateway.JobPaymentExpire, TargetID: fmt.Sprintf("pay-%d", i)})
		})
		if err := s.Close(); err != nil && errs[i] == nil {
			errs[i] = err
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("store %d: %v", i, err)
		}
	}
}

// together calls fn(0) … fn(n-1) in goroutines that start at one moment,
// and waits for them.
func together(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// claimEachOnce runs workers goroutines per store, each calling claim on
// its store until a claim comes back empty, and checks that the ids claimed
// are want, each claimed once.
func claimEachOnce[I comparable](t *testing.T, stores []gateway.Store, workers int, want []I, claim func(s gateway.Store) ([]I, error)) {
	t.Helper()
	var mu sync.Mutex
	claims := map[I]int{}
	together(len(stores)*workers, func(i int) {
		for {
			ids, err := claim(stores[i%len(stores)])
			if err != nil {
				t.Errorf("claim: %v", err)
				return
			}
			if len(ids) == 0 {
				return
			}
			mu.Lock()
			for _, id := range ids {
				claims[id]++
			}
			mu.Unlock()
		}
	})
	if len(claims) != len(want) {
		t.Errorf("claimed %d distinct ids, want %d", len(claims), len(want))
	}
	for _, id := range want {
		if claims[id] != 1 {
			t.Errorf("%v claimed %d times, want once", id, claims[id])
		}
	}
}

// testConcurrency checks the guarantees the Service builds idempotency and
// money on: one winner per request id, no lost update under the write lock,
// one claimant per job and per notification.
func testConcurrency(t *testing.T, newStores func(t *testing.T) []gateway.Store) {
	ctx := context.Background()

	t.Run("InsertPaymentOneWinner", func(t *testing.T) {
		stores := newStores(t)
		// Each request id is sent tries times at once, spread over the
		// stores.
		const requests, tries = 8, 12
		ids := func(i int) (request, payment string) {
			return fmt.Sprintf("req-%d", i/tries), fmt.Sprintf("pay-%d-%02d", i/tries, i%tries)
		}
		errs := make([]error, requests*tries)
		together(len(errs), func(i int) {
			request, id := ids(i)
			p := newPayment("client-a", request, id)
			errs[i] = stores[i%len(stores)].Update(ctx, func(tx gateway.Tx) error { return tx.InsertPayment(p) })
		})
		winners := map[string]string{}
		for i, err := range errs {
			request, id := ids(i)
			switch {
			case err == nil:
				if w, ok := winners[request]; ok {
					t.Errorf("%s: inserts %s and %s both succeeded", request, w, id)
				}
				winners[request] = id
			case !errors.Is(err, gateway.ErrConflict):
				t.Errorf("insert %s: error = %v, want nil or %v", id, err, gateway.ErrConflict)
			}
		}
		for r := range requests {
			request, _ := ids(r * tries)
			w, ok := winners[request]
			if !ok {
				t.Errorf("%s: no insert succeeded", request)
				continue
			}
			// Every store reads the winner.
			for i, s := range stores {
				if p, err := s.PaymentByRequestID(ctx, "client-a", request); err != nil || p.ID != w {
					t.Errorf("store %d: PaymentByRequestID(%s) = %v, %v, want the winner's %s", i, request, p, err, w)
				}
			}
		}
		if all, err := stores[0].Payments(ctx, gateway.PaymentFilter{Limit: 1000}); err != nil || len(all) != requests {
			t.Errorf("Payments = %d payments, %v, want %d", len(all), err, requests)
		}
	})

	t.Run("ReadModifyWriteUnderLock", func(t *testing.T) {
		stores := newStores(t)
		p := newPayment("client-a", "req-1", "pay-1")
		p.Refunded = 0
		insert(t, stores[0], gateway.Tx.InsertPayment, p)
		const n = 50
		together(n, func(i int) {
			err := stores[i%len(stores)].Update(ctx, func(tx gateway.Tx) error {
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
		for i, s := range stores {
			if got, err := s.Payment(ctx, "client-a", "pay-1"); err != nil || got.Refunded != n {
				t.Errorf("store %d: Payment = %v, %v, want Refunded %d: an update was lost", i, got, err, n)
			}
		}
	})

	t.Run("ClaimJobsEachOnce", func(t *testing.T) {
		stores := newStores(t)
		var jobs []*gateway.Job
		var want []int64
		for i := range 100 {
			jobs = append(jobs, &gateway.Job{Kind: gateway.JobPaymentExpire, TargetID: fmt.Sprintf("pay-%03d", i),
				DueAt: at(time.Duration(i%7) * time.Millisecond)})
		}
		insert(t, stores[len(stores)-1], gateway.Tx.InsertJob, jobs...)
		for _, j := range jobs {
			want = append(want, j.ID)
		}
		claimEachOnce(t, stores, 8, want, func(s gateway.Store) ([]int64, error) {
			got, err := s.ClaimJobs(ctx, at(time.Second), time.Hour, 3)
			for _, j := range got {
				if j.Attempts != 1 {
					t.Errorf("job %d Attempts = %d, want 1", j.ID, j.Attempts)
				}
			}
			return jobIDs(got), err
		})
	})

	t.Run("ClaimNotificationsEachOnce", func(t *testing.T) {
		stores := newStores(t)
		var ns []*gateway.Notification
		var want []string
		for i := range 100 {
			ns = append(ns, newNotification(fmt.Sprintf("n-%03d", i), at(0), at(time.Duration(i%5)*time.Millisecond)))
			want = append(want, ns[i].ID)
		}
		insert(t, stores[0], gateway.Tx.InsertNotification, ns...)
		claimEachOnce(t, stores, 8, want, func(s gateway.Store) ([]string, error) {
			got, err := s.ClaimNotifications(ctx, at(time.Second), time.Hour, 4)
			return notificationIDs(got), err
		})
	})
}
