// Package sqlite implements gateway.Store on SQLite with the pure-Go driver
// modernc.org/sqlite, so the gateway builds without cgo.
//
// A file database runs in WAL mode with two connection pools: one writer
// connection, through which every write goes and whose transactions start
// with BEGIN IMMEDIATE, and a few reader connections. Writers in one process
// queue for the writer connection; writers in different processes queue for
// SQLite's write lock (up to Options.BusyTimeout), so no write transaction
// ever fails half-way with SQLITE_BUSY. Readers never block the writer, and
// the writer never blocks readers.
//
// The special path ":memory:" opens a private in-memory database on a single
// connection (each SQLite connection to ":memory:" is its own database), for
// tests.
//
// The schema lives in migrations/NNNN_name.sql, embedded in the binary and
// applied in order by Open.
//
// The database and its -wal and -shm files are kept at mode 0600. Gateway
// private keys are stored sealed with AES-256-GCM under a key-encryption
// key when Options.KEK is set, and as plain PKCS #8 DER otherwise (see
// [Store.Sealed] and [Store.SealGatewayKeys]).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
	"github.com/antomgw/antomgw/internal/seal"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var _ gateway.Store = (*Store)(nil)

// Memory is the path that opens a private in-memory database.
const Memory = ":memory:"

// Options tunes Open. The zero value is what production wants.
type Options struct {
	// Synchronous is SQLite's PRAGMA synchronous: "OFF", "NORMAL", "FULL"
	// or "EXTRA". Defaults to "FULL": a transaction that committed survives
	// a power cut. "NORMAL" is faster in WAL mode, but the last transactions
	// before a power cut may be lost.
	Synchronous string
	// BusyTimeout is how long a statement waits for a lock held by another
	// process before it fails with gateway.KindUnavailable. Defaults to 5s.
	BusyTimeout time.Duration
	// MaxReaders is the number of pooled read connections of a file
	// database. Defaults to 4. A ":memory:" database has one connection.
	MaxReaders int
	// KEK is the 32-byte key-encryption key that seals gateway private
	// keys at rest (AES-256-GCM, package seal). Optional: without it, keys
	// are stored as plain PKCS #8 DER and a sealed key does not load. A
	// store with a KEK still reads keys stored plain; SealGatewayKeys seals
	// them. See seal.ParseKEK.
	KEK []byte
	// Now stamps schema_migrations.applied_at. Defaults to time.Now.
	Now func() time.Time
}

// Store is a gateway.Store on one SQLite database. It is safe for
// concurrent use, also by several processes opening the same file.
//
// The function given to Update must use only its Tx: calling the Store
// itself from inside it waits for the connection the transaction holds and
// never returns.
type Store struct {
	writer *sql.DB // one connection; every write
	reader *sql.DB // reads; the writer itself for ":memory:"
	group  groupCommit
	// wcache and rcache hold the prepared statements of each pool; wr and
	// rd run statements through them.
	wcache, rcache *stmtCache
	wr, rd         pooled
	kek            *seal.Sealer // nil: gateway keys are stored plain
	path           string       // the file; Memory for ":memory:"
	warnings       []string     // file modes Open narrowed
}

// Open opens (creating it when missing, with mode 0600) the database at
// path, or a private in-memory database for ":memory:", and brings its
// schema up to date. An existing database, -wal or -shm file more open
// than 0600 is narrowed to 0600 first, with a warning (see Warnings). It
// fails when the database was migrated by a newer version of antomgw, and
// when Options.KEK is set but not 32 bytes long.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	var kek *seal.Sealer
	if opts.KEK != nil {
		var err error
		if kek, err = seal.New(opts.KEK); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	syncMode := strings.ToUpper(opts.Synchronous)
	switch syncMode {
	case "":
		syncMode = "FULL"
	case "OFF", "NORMAL", "FULL", "EXTRA":
	default:
		return nil, fmt.Errorf("sqlite: synchronous %q is not OFF, NORMAL, FULL or EXTRA", opts.Synchronous)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	readers := opts.MaxReaders
	if readers <= 0 {
		readers = 4
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}

	// Every connection of both pools runs these pragmas when it opens.
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+syncMode+")")

	s := &Store{kek: kek, path: path}
	if path == Memory {
		q.Set("_txlock", "immediate")
		db, err := sql.Open("sqlite", Memory+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("sqlite: open: %w", err)
		}
		// The database lives as long as its one connection: never close it
		// for being idle or old.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		s.writer, s.reader = db, db
	} else {
		warnings, err := narrowModes(path)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
		s.warnings = warnings
		created, err := createFile(path)
		if err != nil {
			return nil, fmt.Errorf("sqlite: create %s: %w", path, err)
		}
		wq := url.Values{}
		for k, v := range q {
			wq[k] = append([]string(nil), v...)
		}
		wq.Set("_txlock", "immediate")
		// Checkpoint the WAL every 256 pages (1 MiB) rather than SQLite's
		// 1000: the WAL file is reused, not grown, after a checkpoint, so
		// this bounds the disk it can take. On a nearly full disk a 4 MiB
		// WAL took all the space freed and never reached its checkpoint,
		// so writes kept failing (found by the fault suite).
		wq.Add("_pragma", "wal_autocheckpoint(256)")
		// Group commit runs each request in a SAVEPOINT, whose statement
		// journal SQLite writes to a temporary file by default: a pwrite
		// per statement, 19% of a bulk load's CPU. The writer keeps it in
		// memory (a transaction's worth of pages); readers, whose sorts
		// may be large, keep the default.
		wq.Add("_pragma", "temp_store(MEMORY)")
		s.writer, err = sql.Open("sqlite", fileDSN(path, wq))
		if err != nil {
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		s.writer.SetMaxOpenConns(1)
		s.writer.SetMaxIdleConns(1)
		s.writer.SetConnMaxLifetime(0)
		s.writer.SetConnMaxIdleTime(0)
		// WAL is a property of the file, set once, before any reader opens.
		if err := setWAL(ctx, s.writer, busy); err != nil {
			s.writer.Close()
			return nil, storeErr("open "+path, err)
		}
		s.reader, err = sql.Open("sqlite", fileDSN(path, q))
		if err != nil {
			s.writer.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		s.reader.SetMaxOpenConns(readers)
		s.reader.SetMaxIdleConns(readers)
		if created {
			// umask may have taken bits from the mode OpenFile was given,
			// never added them; make it exact anyway.
			if err := os.Chmod(path, 0o600); err != nil {
				s.Close()
				return nil, fmt.Errorf("sqlite: chmod %s: %w", path, err)
			}
		}
	}
	s.wcache, s.rcache = newStmtCache(s.writer), newStmtCache(s.reader)
	if s.reader == s.writer {
		s.rcache = s.wcache
	}
	s.wr, s.rd = pooled{s.wcache}, pooled{s.rcache}
	if err := s.migrate(ctx, now); err != nil {
		s.Close()
		return nil, err
	}
	if path != Memory {
		// SQLite gives -wal and -shm the database file's mode; do not rely
		// on it, they hold the same data.
		for _, suffix := range []string{"-wal", "-shm"} {
			if err := os.Chmod(path+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
				s.Close()
				return nil, fmt.Errorf("sqlite: chmod %s: %w", path+suffix, err)
			}
		}
	}
	return s, nil
}

// Sealed reports whether the store seals the gateway keys it adds (it was
// opened with a KEK). When it is false, anyone who can read the database
// file or a copy of it holds the gateway's signing keys.
func (s *Store) Sealed() bool { return s.kek != nil }

// Warnings returns what Open found wrong and put right, for the operator's
// log: database, -wal or -shm files whose mode was more open than 0600.
func (s *Store) Warnings() []string { return slices.Clone(s.warnings) }

// Check runs SQLite's full integrity check of the database file and
// returns nil when it reports "ok", else an error with what it found: for
// the fault suite after crashes, and for operators after a disk incident.
func (s *Store) Check(ctx context.Context) error {
	rs, err := s.reader.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return storeErr("integrity check", err)
	}
	defer rs.Close()
	var problems []string
	for rs.Next() {
		var line string
		if err := rs.Scan(&line); err != nil {
			return storeErr("integrity check", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rs.Err(); err != nil {
		return storeErr("integrity check", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("sqlite: integrity check: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	if s.wcache != nil {
		s.wcache.close()
		s.rcache.close()
	}
	werr := s.writer.Close()
	if s.reader != s.writer {
		if err := s.reader.Close(); err != nil && werr == nil {
			werr = err
		}
	}
	return werr
}

// setWAL switches the database to WAL mode. Switching a new file needs an
// exclusive lock, and SQLite answers SQLITE_BUSY at once instead of calling
// the busy handler when another process holds a lock meanwhile (two
// processes opening a new file together), so this retries until busy has
// passed. On a file in WAL mode already it takes no lock.
func setWAL(ctx context.Context, db *sql.DB, busy time.Duration) error {
	deadline := time.Now().Add(busy)
	wait := time.Millisecond
	for {
		var mode string
		err := db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
		if err == nil {
			if !strings.EqualFold(mode, "wal") {
				return fmt.Errorf("journal mode is %s, want wal", mode)
			}
			return nil
		}
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return fmt.Errorf("set WAL mode: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// createFile creates path with mode 0600 when it does not exist, so SQLite
// opens a file only its owner can read, whatever the umask.
func createFile(path string) (created bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, f.Close()
}

// fileDSN is the driver's name for path: a "file:" URI (so the query is
// SQLite's and the driver's) with the characters a URI gives meaning to
// escaped in the path.
func fileDSN(path string, q url.Values) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + q.Encode()
}

// storeErr adds op to err and marks the failures that mean "the database
// cannot take this write now, nothing changed, try again later" (disk full,
// read-only or unopenable file, I/O error, lock wait timed out) as
// gateway.KindUnavailable.
func storeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_BUSY:
			return &gateway.Error{Kind: gateway.KindUnavailable, Message: "the database is unavailable", Err: fmt.Errorf("%s: %w", op, err)}
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// queryer is what *sql.DB and *sql.Tx have in common.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// boolInt encodes a boolean argument as the schema stores it, INTEGER 1
// or 0: SQLite has no BOOLEAN type. This is the SQLite store's own;
// PostgreSQL's binds a bool to its BOOLEAN columns. Reading needs nothing
// of the kind: database/sql scans INTEGER 0 and 1 into a *bool, so the
// shared rows.Scan functions serve both stores.
func boolInt(b bool) any {
	if b {
		return int64(1)
	}
	return int64(0)
}

// queryAll runs query through q and reads every row it returns with scan;
// op names the read in errors.
func queryAll[T any](ctx context.Context, q queryer, op string, scan func(rows.Scanner) (T, error), query string, args ...any) ([]T, error) {
	rs, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, storeErr(op, err)
	}
	defer rs.Close()
	var out []T
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			return nil, storeErr(op, err)
		}
		out = append(out, v)
	}
	// Close too, not just Err: a write statement (UPDATE … RETURNING)
	// reports some failures only when it is reset.
	err = rs.Err()
	if cerr := rs.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, storeErr(op, err)
	}
	return out, nil
}

// queryOne runs query, which selects by a unique key, through q and reads
// the row it returns with scan; an error wrapping gateway.ErrNotFound,
// named op, when there is none. On an error it returns the zero T.
func queryOne[T any](ctx context.Context, q queryer, op string, scan func(rows.Scanner) (T, error), query string, args ...any) (T, error) {
	all, err := queryAll(ctx, q, op, scan, query, args...)
	if err == nil && len(all) == 0 {
		err = fmt.Errorf("%s: %w", op, gateway.ErrNotFound)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return all[0], nil
}

// changed takes the outcome of a statement that changes at most one row
// (an UPDATE by key, an INSERT … ON CONFLICT DO NOTHING) and reports
// whether it changed one.
func changed(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// execOne runs such a statement in the transaction; op names it in errors.
func (t *tx) execOne(op, query string, args ...any) (bool, error) {
	ok, err := changed(t.tx.ExecContext(t.ctx, query, args...))
	return ok, storeErr(op, err)
}
