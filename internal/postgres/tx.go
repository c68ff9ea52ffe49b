package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var _ gateway.Tx = (*tx)(nil)

// maxAttempts is how many times Update runs a transaction that keeps ending
// in a serialisation failure or a deadlock.
const maxAttempts = 5

// tx is the gateway.Tx of one Update: a READ COMMITTED transaction on one
// pooled connection.
type tx struct {
	ctx context.Context
	tx  pgx.Tx
	// retry is the first statement error that aborted the transaction in a
	// way a new attempt may cure (40001, 40P01). It is kept here because fn
	// may wrap, replace or drop the error it got; the transaction is
	// aborted either way.
	retry error
	// notified counts the notifications fn inserted, added to the store's
	// count when the transaction commits.
	notified int64
}

// fail records a retryable err and returns it classified, with op.
func (t *tx) fail(op string, err error) error {
	t.note(err)
	return storeErr(op, err)
}

// note records err when it is retryable (also when wrapped) and returns it.
func (t *tx) note(err error) error {
	if err != nil && t.retry == nil && retryable(err) {
		t.retry = err
	}
	return err
}

// execOne runs a statement that changes at most one row (an UPDATE by key,
// an INSERT … ON CONFLICT DO NOTHING) and reports whether it changed one;
// op names it in errors.
func (t *tx) execOne(op, query string, args ...any) (bool, error) {
	tag, err := t.tx.Exec(t.ctx, query, args...)
	if err != nil {
		return false, t.fail(op, err)
	}
	return tag.RowsAffected() > 0, nil
}

// Update runs fn in a READ COMMITTED transaction and commits it when fn
// returns nil. When fn returns an error, or panics, the transaction is
// rolled back and the error (or panic) reaches the caller unchanged.
//
// READ COMMITTED suffices: every read that a write of the gateway depends
// on goes through PaymentForUpdate or RefundForUpdate (SELECT … FOR UPDATE,
// which waits for a concurrent writer and then returns the row as it
// committed), and every "insert once" is a unique constraint (INSERT … ON
// CONFLICT DO NOTHING). When a statement fails with a serialisation failure
// or a deadlock (PostgreSQL aborts one transaction of a lock cycle), the
// whole transaction is rolled back and fn runs again, up to 5 times in all,
// after a short random pause. A failure that outlives its retries, a lost
// connection, a read-only server or a full disk is of kind
// gateway.KindUnavailable: nothing was written.
//
// A commit whose answer was lost with the connection is the one case where
// the outcome is unknown; it is returned as a plain (KindInternal) error.
func (s *Store) Update(ctx context.Context, fn func(tx gateway.Tx) error) error {
	return s.update(ctx, func(t *tx) error { return fn(t) })
}

// update is Update with the concrete tx, for the store's own transactions.
func (s *Store) update(ctx context.Context, fn func(t *tx) error) error {
	for attempt := 1; ; attempt++ {
		err, again := s.updateOnce(ctx, fn)
		if !again || attempt == maxAttempts {
			return err
		}
		// 1–2ms, 2–4ms, 4–8ms, 8–16ms: the other transaction of the
		// conflict usually finishes in that time, and a random share keeps
		// two retrying nodes from meeting again.
		d := time.Duration(1<<(attempt-1)) * time.Millisecond
		d += rand.N(d)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
	}
}

// updateOnce runs one attempt of a transaction and reports whether it may
// be run again.
func (s *Store) updateOnce(ctx context.Context, fn func(t *tx) error) (err error, again bool) {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return storeErr("begin", err), false
	}
	// Rolls back when fn fails or panics (also runtime.Goexit, as from
	// t.FailNow in a test); a no-op after Commit.
	defer rollback(ctx, ptx)
	t := &tx{ctx: ctx, tx: ptx}
	if err := fn(t); err != nil {
		return err, t.retry != nil
	}
	if t.retry != nil {
		// fn went on after a statement failed: PostgreSQL aborted the
		// transaction at that statement, and Commit would roll it back.
		return storeErr("transaction", t.retry), true
	}
	if err := ptx.Commit(ctx); err != nil {
		if retryable(err) {
			return storeErr("commit", err), true
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) &&
			!pgconn.SafeToRetry(err) {
			// The connection failed after COMMIT may have been sent: the
			// transaction may or may not have committed.
			return &gateway.Error{Kind: gateway.KindInternal, Message: "commit outcome unknown", Err: err}, false
		}
		return storeErr("commit", err), false
	}
	s.enqueued.Add(t.notified)
	return nil, false
}
