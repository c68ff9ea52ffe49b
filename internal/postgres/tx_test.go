package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

func testPayment(id, requestID string) *gateway.Payment {
	return &gateway.Payment{ID: id, ClientID: "client-a", RequestID: requestID,
		Amount: gateway.Money{Value: 100, Currency: "USD"}, Status: gateway.PaymentProcessing, CreatedAt: nodeTime}
}

// raise makes the server fail the current statement with SQLSTATE code.
func raise(t *tx, code string) error {
	_, err := t.tx.Exec(t.ctx, fmt.Sprintf(`DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '%s'; END $$`, code))
	return t.fail("injected", err)
}

// TestUpdateRetriesSerializationFailure: a transaction that fails with
// 40001 runs again, whether fn returns the error, wraps it, or drops it.
func TestUpdateRetriesSerializationFailure(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{})
	for _, tc := range []struct {
		name string
		ret  func(err error) error
	}{
		{"Returned", func(err error) error { return err }},
		{"Wrapped", func(err error) error { return &gateway.Error{Kind: gateway.KindInternal, Message: "store", Err: err} }},
		{"Dropped", func(error) error { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls int
			p := testPayment("pay-"+tc.name, "req-"+tc.name)
			err := s.update(ctx, func(t *tx) error {
				calls++
				if err := t.InsertPayment(p); err != nil {
					return err
				}
				if calls < 3 {
					return tc.ret(raise(t, codeSerializationFailure))
				}
				return nil
			})
			if err != nil || calls != 3 {
				t.Errorf("Update = %v after %d calls, want nil after 3", err, calls)
			}
			if _, err := s.Payment(ctx, "client-a", p.ID); err != nil {
				t.Errorf("Payment after the retried transaction: %v", err)
			}
		})
	}
}

// TestUpdateRetriesExhausted: a transaction that always fails with 40001
// gives up after maxAttempts with KindUnavailable, and writes nothing.
func TestUpdateRetriesExhausted(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{})
	var calls int
	err := s.update(ctx, func(t *tx) error {
		calls++
		if err := t.InsertPayment(testPayment("pay-1", "req-1")); err != nil {
			return err
		}
		return raise(t, codeSerializationFailure)
	})
	if k := gateway.KindOf(err); k != gateway.KindUnavailable || calls != maxAttempts {
		t.Errorf("Update = %v (kind %v) after %d calls, want kind %v after %d", err, k, calls, gateway.KindUnavailable, maxAttempts)
	}
	if _, err := s.Payment(ctx, "client-a", "pay-1"); !errors.Is(err, gateway.ErrNotFound) {
		t.Errorf("Payment after the failed transaction: %v, want %v", err, gateway.ErrNotFound)
	}
}

// TestUpdateRetriesDeadlock: two transactions lock two payments in opposite
// orders; PostgreSQL aborts one (40P01, after deadlock_timeout), and Update
// runs it again, so both succeed and neither update is lost.
func TestUpdateRetriesDeadlock(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{})
	if err := s.Update(ctx, func(tx gateway.Tx) error {
		if err := tx.InsertPayment(testPayment("pay-a", "req-a")); err != nil {
			return err
		}
		return tx.InsertPayment(testPayment("pay-b", "req-b"))
	}); err != nil {
		t.Fatal(err)
	}
	var holding sync.WaitGroup // both hold their first lock
	holding.Add(2)
	var calls atomic.Int32
	bump := func(first, second string) error {
		attempt := 0
		return s.Update(ctx, func(tx gateway.Tx) error {
			calls.Add(1)
			attempt++
			for i, id := range []string{first, second} {
				p, err := tx.PaymentForUpdate("client-a", id)
				if err != nil {
					return err
				}
				p.Refunded++
				if err := tx.UpdatePayment(p); err != nil {
					return err
				}
				if i == 0 && attempt == 1 {
					holding.Done()
					holding.Wait()
				}
			}
			return nil
		})
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = bump("pay-a", "pay-b") })
	wg.Go(func() { errs[1] = bump("pay-b", "pay-a") })
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	// At least one retry. More are possible: the retry may meet the other
	// transaction in a second deadlock before that one has taken its lock.
	if n := calls.Load(); n < 3 {
		t.Errorf("fn ran %d times, want at least 3: a deadlocked transaction once more", n)
	}
	for _, id := range []string{"pay-a", "pay-b"} {
		p, err := s.Payment(ctx, "client-a", id)
		if err != nil || p.Refunded != 2 {
			t.Errorf("%s Refunded = %v, %v, want 2", id, p, err)
		}
	}
}

// TestReadOnlyUnavailable: a server that refuses writes (a standby, or
// default_transaction_read_only) fails writes as KindUnavailable; reads
// go on.
func TestReadOnlyUnavailable(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	openTest(t, Options{Schema: schema}) // migrate
	cfg, err := pgxpool.ParseConfig(databaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{pool: pool}
	defer s.Close()

	for name, err := range map[string]error{
		"Update":        s.Update(ctx, func(tx gateway.Tx) error { return tx.InsertPayment(testPayment("pay-1", "req-1")) }),
		"AddGatewayKey": func() error { _, err := s.AddGatewayKey(ctx, []byte{1}, nodeTime, false); return err }(),
		"ClaimJobs":     func() error { _, err := s.ClaimJobs(ctx, nodeTime, time.Minute, 10); return err }(),
		"Mark":          func() error { _, err := s.Mark(ctx, "k", nodeTime); return err }(),
	} {
		if k := gateway.KindOf(err); k != gateway.KindUnavailable {
			t.Errorf("%s = %v (kind %v), want kind %v", name, err, k, gateway.KindUnavailable)
		}
	}
	if _, err := s.RegistryVersion(ctx); err != nil {
		t.Errorf("RegistryVersion: %v", err)
	}
	if _, err := s.LoadRegistry(ctx); err != nil {
		t.Errorf("LoadRegistry: %v", err)
	}
}

// TestUpdateClosedStore: a store used after Close fails, it does not hang.
func TestUpdateClosedStore(t *testing.T) {
	s := openTest(t, Options{})
	s.Close()
	err := s.Update(context.Background(), func(tx gateway.Tx) error { return nil })
	if err == nil {
		t.Errorf("Update on a closed store = nil, want an error")
	}
}

func TestStoreErrKinds(t *testing.T) {
	for _, tc := range []struct {
		err      error
		kind     gateway.Kind
		conflict bool
	}{
		{&pgconn.PgError{Code: "08006"}, gateway.KindUnavailable, false}, // connection_failure
		{&pgconn.PgError{Code: "53100"}, gateway.KindUnavailable, false}, // disk_full
		{&pgconn.PgError{Code: "53300"}, gateway.KindUnavailable, false}, // too_many_connections
		{&pgconn.PgError{Code: "25006"}, gateway.KindUnavailable, false}, // read_only_sql_transaction
		{&pgconn.PgError{Code: "57P01"}, gateway.KindUnavailable, false}, // admin_shutdown
		{&pgconn.PgError{Code: "57P03"}, gateway.KindUnavailable, false}, // cannot_connect_now
		{&pgconn.PgError{Code: "40001"}, gateway.KindUnavailable, false}, // serialization_failure, retries spent
		{&pgconn.PgError{Code: "40P01"}, gateway.KindUnavailable, false}, // deadlock_detected, retries spent
		{&pgconn.PgError{Code: "23505"}, gateway.KindInternal, true},     // unique_violation
		{&pgconn.PgError{Code: "42P01"}, gateway.KindInternal, false},    // undefined_table: a bug
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), gateway.KindUnavailable, false},
		{context.Canceled, gateway.KindInternal, false},
		{context.DeadlineExceeded, gateway.KindInternal, false},
	} {
		err := storeErr("op", tc.err)
		if k := gateway.KindOf(err); k != tc.kind {
			t.Errorf("storeErr(%v) kind = %v, want %v", tc.err, k, tc.kind)
		}
		if got := errors.Is(err, gateway.ErrConflict); got != tc.conflict {
			t.Errorf("storeErr(%v) is ErrConflict = %v, want %v", tc.err, got, tc.conflict)
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("storeErr(%v) = %v, want the cause in its chain", tc.err, err)
		}
	}
	if storeErr("op", nil) != nil {
		t.Errorf("storeErr(nil) != nil")
	}
}
