package sqlite

import (
	"context"
	"database/sql"

	"github.com/antomgw/antomgw/internal/gateway"
)

var _ gateway.Tx = (*tx)(nil)

// tx is the gateway.Tx of one Update: a write transaction on the writer
// connection, begun with BEGIN IMMEDIATE, so it holds SQLite's write lock
// from its first statement to its end.
type tx struct {
	ctx context.Context
	tx  *sql.Tx
}

// Update runs fn in a write transaction and commits it when fn returns nil.
// When fn returns an error, or panics, the transaction is rolled back and
// the error (or panic) reaches the caller unchanged. Write transactions run
// one at a time, also across processes, so fn is called exactly once: there
// are no serialisation failures to retry. A lock that stays held past
// Options.BusyTimeout, a full disk or a read-only file is an error of kind
// gateway.KindUnavailable.
func (s *Store) Update(ctx context.Context, fn func(tx gateway.Tx) error) error {
	sqlTx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return storeErr("begin", err)
	}
	// Rolls back when fn fails or panics (also runtime.Goexit, as from
	// t.FailNow in a test), which would otherwise keep the only writer
	// connection; a no-op after Commit.
	defer sqlTx.Rollback() //nolint:errcheck // the error that matters is fn's
	if err := fn(&tx{ctx: ctx, tx: sqlTx}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return storeErr("commit", err)
	}
	return nil
}
