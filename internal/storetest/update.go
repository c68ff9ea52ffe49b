package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

func testUpdate(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()

	// writeSome writes a payment, a refund of it and a job in tx.
	writeSome := func(tx gateway.Tx) error {
		if err := tx.InsertPayment(newPayment("client-a", "req-1", "pay-1")); err != nil {
			return err
		}
		if err := tx.InsertRefund(newRefund("client-a", "rreq-1", "ref-1", "pay-1", at(0))); err != nil {
			return err
		}
		return tx.InsertJob(&gateway.Job{Kind: gateway.JobPaymentExpire, ClientID: "client-a", TargetID: "pay-1", DueAt: at(0)})
	}
	// nothingWritten checks that writeSome left no trace.
	nothingWritten := func(t *testing.T, s gateway.Store) {
		t.Helper()
		_, err := s.Payment(ctx, "client-a", "pay-1")
		wantErr(t, "Payment after rollback", err, gateway.ErrNotFound)
		_, err = s.Refund(ctx, "client-a", "ref-1")
		wantErr(t, "Refund after rollback", err, gateway.ErrNotFound)
		if jobs := claimAll(t, s, at(time.Hour)); len(jobs) != 0 {
			t.Errorf("jobs after rollback = %+v, want none", jobs)
		}
	}

	t.Run("Commit", func(t *testing.T) {
		s := newStore(t)
		update(t, s, writeSome)
		if _, err := s.Payment(ctx, "client-a", "pay-1"); err != nil {
			t.Errorf("Payment after commit: %v", err)
		}
		if _, err := s.Refund(ctx, "client-a", "ref-1"); err != nil {
			t.Errorf("Refund after commit: %v", err)
		}
		if jobs := claimAll(t, s, at(time.Hour)); len(jobs) != 1 {
			t.Errorf("jobs after commit = %+v, want one", jobs)
		}
	})

	t.Run("RollbackOnError", func(t *testing.T) {
		s := newStore(t)
		errBoom := errors.New("boom")
		err := s.Update(ctx, func(tx gateway.Tx) error {
			if err := writeSome(tx); err != nil {
				return err
			}
			return errBoom
		})
		if err != errBoom { //nolint:errorlint // fn's error must come back unchanged, not wrapped
			t.Errorf("Update = %v, want fn's error unchanged", err)
		}
		nothingWritten(t, s)
	})

	t.Run("DomainErrorUnchanged", func(t *testing.T) {
		s := newStore(t)
		domain := gateway.Errorf(gateway.KindRefundExceed, "too much")
		err := s.Update(ctx, func(tx gateway.Tx) error {
			if err := writeSome(tx); err != nil {
				return err
			}
			return domain
		})
		var got *gateway.Error
		if !errors.As(err, &got) || got != domain || gateway.KindOf(err) != gateway.KindRefundExceed {
			t.Errorf("Update = %v, want the *gateway.Error fn returned", err)
		}
		nothingWritten(t, s)
	})

	t.Run("RollbackOnPanic", func(t *testing.T) {
		s := newStore(t)
		type boom struct{}
		func() {
			defer func() {
				if r := recover(); r != (boom{}) {
					t.Errorf("recovered %v, want fn's panic value", r)
				}
			}()
			_ = s.Update(ctx, func(tx gateway.Tx) error {
				if err := writeSome(tx); err != nil {
					return err
				}
				panic(boom{})
			})
			t.Errorf("Update returned; want fn's panic")
		}()
		nothingWritten(t, s)
		// The store is usable after the panic: the transaction did not
		// keep its connection or its lock.
		update(t, s, writeSome)
	})
}
