// Package postgres implements gateway.Store on PostgreSQL with pgx/v5 and a
// connection pool, so that several gateway nodes can share one database.
//
// Every guarantee the gateway needs across nodes lives in the database,
// never in process memory:
//
//   - one payment (refund) per request id: INSERT … ON CONFLICT (client_id,
//     request_id) DO NOTHING, a unique constraint checked by the server;
//   - read-modify-write of a payment or refund: SELECT … FOR UPDATE row locks
//     held until the transaction of Update ends;
//   - each due job and notification worked by one node at a time: UPDATE …
//     WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) sets a lease, and
//     a lease that ran out (its node died) makes the row due again;
//   - a registry change seen by every node: a counter row bumped in every
//     registry write, read by each node's gateway.Keyring.
//
// Update runs at READ COMMITTED, which suffices because of the above: every
// read that a write depends on is either locked (FOR UPDATE, so a concurrent
// writer waits and the read returns the latest committed row) or guarded by
// a unique constraint, so no transaction acts on a stale row. Serialisation
// failures and deadlocks (SQLSTATE 40001, 40P01) are retried a few times, so
// fn may run more than once.
//
// The schema lives in migrations/NNNN_name.sql, embedded in the binary and
// applied by Open in one transaction that holds a transaction-level advisory
// lock, so nodes starting together take turns and the schema is created once.
//
// Gateway private keys are stored sealed with AES-256-GCM under a
// key-encryption key when Options.KEK is set, and as plain PKCS #8 DER
// otherwise (see [Store.Sealed]).
package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

var _ gateway.Store = (*Store)(nil)

// Options tunes Open. The zero value is what production wants when the
// gateway keys need not be sealed.
type Options struct {
	// Schema, when set, is the one schema every connection of the pool
	// uses (its search_path); Open creates it when missing. Defaults to
	// the database's search_path (normally "$user", public). Tests use it
	// to give each test its own tables in one database.
	Schema string
	// MaxConns is the largest number of connections the pool opens.
	// Defaults to pool_max_conns of the URL when it has one, else the
	// greater of 4 and the number of CPUs. N nodes open up to N×MaxConns
	// connections: keep that under the server's max_connections.
	MaxConns int
	// KEK is the 32-byte key-encryption key that seals gateway private
	// keys at rest (AES-256-GCM). Optional: without it, keys are stored as
	// plain PKCS #8 DER and a sealed key does not load. A store with a KEK
	// still reads keys stored plain. See seal.ParseKEK.
	KEK []byte
	// Now stamps schema_migrations.applied_at. Defaults to time.Now.
	Now func() time.Time
}

// Store is a gateway.Store on one PostgreSQL database (and schema). It is
// safe for concurrent use, also by several processes (nodes) sharing the
// database.
//
// The function given to Update should use only its Tx: calling the Store
// from inside it takes a second connection from the pool, and when every
// connection is held by such a transaction, they wait for each other.
type Store struct {
	pool *pgxpool.Pool
	kek  *sealer // nil: gateway keys are stored plain
	// enqueued counts the notifications this Store committed, for
	// NotificationStats.
	enqueued atomic.Int64
}

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string, as pgx reads them, pool_* parameters included), checks
// the connection, and brings the schema up to date. It fails when the
// database was migrated by a newer version of antomgw, and when
// Options.KEK is set but not 32 bytes long.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if url == "" {
		return nil, errors.New("postgres: empty database URL")
	}
	var kek *sealer
	if opts.KEK != nil {
		var err error
		if kek, err = newSealer(opts.KEK); err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(min(opts.MaxConns, 1<<20))
	}
	if opts.Schema != "" {
		// Sent in the startup message of every connection: no extra round
		// trip, and no connection of the pool ever runs without it.
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, kek: kek}
	if err := s.migrate(ctx, opts.Schema, now); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes every connection of the pool, waiting for those in use to be
// given back.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Sealed reports whether the store seals the gateway keys it adds (it was
// opened with a KEK). When it is false, anyone who can read the database
// (a backup, a replica, a read-only role) holds the gateway's signing keys.
func (s *Store) Sealed() bool { return s.kek != nil }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return storeErr("ping", s.pool.Ping(ctx))
}

// SQLSTATE codes the store reacts to.
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeReadOnlyTransaction  = "25006"
	codeAdminShutdown        = "57P01"
	codeCrashShutdown        = "57P02"
	codeCannotConnectNow     = "57P03"
)

// storeErr adds op to err and classifies it: a unique violation wraps
// gateway.ErrConflict; a failure that means "the database cannot take this
// now, nothing was changed, try again later" (no connection, class 08
// connection exceptions, class 53 insufficient resources such as a full
// disk, a read-only server, a shutdown, a serialisation failure or deadlock
// that outlived its retries) is a *gateway.Error of KindUnavailable.
func storeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if unavailable(err) {
		return &gateway.Error{Kind: gateway.KindUnavailable, Message: "the database is unavailable", Err: fmt.Errorf("%s: %w", op, err)}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == codeUniqueViolation {
		return fmt.Errorf("%s: %w: %w", op, gateway.ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// unavailable reports whether err says the database could not be reached
// or could not take the statement, as opposed to a bug or bad data.
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the caller gave up; not the database's state
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "53"):
			return true
		}
		switch pe.Code {
		case codeReadOnlyTransaction, codeAdminShutdown, codeCrashShutdown, codeCannotConnectNow,
			codeSerializationFailure, codeDeadlockDetected:
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		pgconn.SafeToRetry(err)
}

// retryable reports whether a transaction that hit err may simply be run
// again: a serialisation failure or a deadlock, which PostgreSQL resolves by
// aborting one of the transactions.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == codeSerializationFailure || pe.Code == codeDeadlockDetected)
}

// boolean encodes a boolean argument as the schema stores it: PostgreSQL
// binds a bool to its BOOLEAN columns as it is. This is the PostgreSQL
// store's own; SQLite's stores INTEGER 0 or 1.
func boolean(b bool) any { return b }

// querier is what *pgxpool.Pool and pgx.Tx have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

var (
	_ querier = (*pgxpool.Pool)(nil)
	_ querier = pgx.Tx(nil)
)

// sortClaimed sorts claimed rows by due time, then id, the order claims
// return them in: RETURNING comes in no promised order. key returns a row's
// due time and id.
func sortClaimed[T any, I cmp.Ordered](claimed []T, key func(T) (time.Time, I)) {
	slices.SortFunc(claimed, func(a, b T) int {
		aDue, aID := key(a)
		bDue, bID := key(b)
		return cmp.Or(aDue.Compare(bDue), cmp.Compare(aID, bID))
	})
}

// queryAll runs query through q and reads every row it returns with scan;
// op names the read in errors.
func queryAll[T any](ctx context.Context, q querier, op string, scan func(rows.Scanner) (T, error), query string, args ...any) ([]T, error) {
	rs, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, storeErr(op, err)
	}
	out, err := pgx.AppendRows([]T(nil), rs, rowTo(scan))
	return out, storeErr(op, err)
}

// queryOne runs query through q and reads the row it returns with scan;
// an error wrapping gateway.ErrNotFound, named op, when there is none. On
// an error it returns the zero T.
func queryOne[T any](ctx context.Context, q querier, op string, scan func(rows.Scanner) (T, error), query string, args ...any) (T, error) {
	var v T
	rs, err := q.Query(ctx, query, args...)
	if err == nil {
		v, err = pgx.CollectOneRow(rs, rowTo(scan))
	}
	if err != nil {
		var zero T
		if errors.Is(err, pgx.ErrNoRows) {
			return zero, fmt.Errorf("%s: %w", op, gateway.ErrNotFound)
		}
		return zero, storeErr(op, err)
	}
	return v, nil
}

// rowTo adapts a scan function of package rows to pgx's collecting
// functions: a pgx.CollectableRow is a rows.Scanner.
func rowTo[T any](scan func(rows.Scanner) (T, error)) pgx.RowToFunc[T] {
	return func(row pgx.CollectableRow) (T, error) { return scan(row) }
}

// Warnings returns what the operator should hear about the database at
// start. With autovacuum off, nothing ever analyses the tables: each
// connection keeps the generic plans it made while they were empty (a
// payment looked up by paymentRequestId through the client's date index,
// filtering every row of the client), and pays slow down as the tables grow
// (from 605 to 200 pays/s after 5,000 payments, measured for issue 18).
func (s *Store) Warnings(ctx context.Context) []string {
	var on string
	if err := s.pool.QueryRow(ctx, `SHOW autovacuum`).Scan(&on); err != nil || on == "on" {
		return nil
	}
	return []string{"PostgreSQL runs with autovacuum off: nothing analyses the gateway's tables, so its cached query plans stay those of empty tables and requests slow down as the tables grow; turn autovacuum on, or run ANALYZE after loading data and regularly"}
}
