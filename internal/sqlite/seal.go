package sqlite

import (
	"context"
	"errors"

	"github.com/antomgw/antomgw/internal/rows"
	"github.com/antomgw/antomgw/internal/seal"
)

// scanSealedKey reads a gateway key row as stored (version, private_key,
// sealed).
func scanSealedKey(row rows.Scanner) (seal.Stored, error) {
	var k seal.Stored
	err := row.Scan(&k.Version, &k.Blob, &k.Sealed)
	return k, err
}

// CheckGatewayKeys opens every sealed gateway key with the store's KEK and
// returns the versions stored plain, oldest first. It fails with a
// *seal.KEKError (in the chain) for the first sealed key that does not
// open: the store was opened without a KEK, or with another one.
func (s *Store) CheckGatewayKeys(ctx context.Context) (plain []int, err error) {
	stored, err := queryAll(ctx, s.rd, "check gateway keys", scanSealedKey,
		`SELECT version, private_key, sealed FROM gateway_keys ORDER BY version`)
	if err != nil {
		return nil, err
	}
	return seal.Check(s.kek, stored)
}

// SealGatewayKeys seals, with the store's KEK, every gateway key stored
// plain, in one write transaction: all of them or none. It returns how
// many it sealed and how many were sealed already; running it again seals
// nothing. It fails when the store has no KEK, and with a *seal.KEKError
// when a key sealed already does not open with this KEK (so one database
// never mixes two KEKs).
//
// Then it rewrites the file (VACUUM) and empties the write-ahead log
// (checkpoint, truncate), so that no copy of a plain key is left in a page
// the update freed or in an old frame of the log; it does so on every run.
// That last step fails with an error saying so when another process keeps
// the log busy: the keys are sealed, but old copies may remain until it is
// run again with the server stopped. A server running without the KEK
// cannot load the keys once they are sealed either: stop it first.
func (s *Store) SealGatewayKeys(ctx context.Context) (sealed, already int, err error) {
	if s.kek == nil {
		return 0, 0, errors.New("seal gateway keys: the store was opened without a KEK")
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, storeErr("seal gateway keys: begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	stored, err := queryAll(ctx, tx, "seal gateway keys", scanSealedKey,
		`SELECT version, private_key, sealed FROM gateway_keys ORDER BY version`)
	if err != nil {
		return 0, 0, err
	}
	sealed, already, err = seal.SealAll(s.kek, stored, func(version int, blob []byte) error {
		if _, err := tx.ExecContext(ctx, `UPDATE gateway_keys SET private_key = ?, sealed = 1 WHERE version = ?`, blob, version); err != nil {
			return storeErr("seal gateway keys", err)
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	if sealed > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE registry_version SET version = version + 1 WHERE id = 1`); err != nil {
			return 0, 0, storeErr("seal gateway keys: bump registry version", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, storeErr("seal gateway keys: commit", err)
	}
	s.stampRegistry()
	if err := s.scrub(ctx); err != nil {
		return sealed, already, err
	}
	return sealed, already, nil
}

// scrub rewrites the database file from its live rows and empties the
// write-ahead log. For ":memory:" it does nothing.
func (s *Store) scrub(ctx context.Context) error {
	if s.path == Memory {
		return nil
	}
	// VACUUM rebuilds the database and writes every page of the file anew
	// (through the log), so freed space keeps nothing of what it held.
	if _, err := s.writer.ExecContext(ctx, `VACUUM`); err != nil {
		return storeErr("seal gateway keys: rewrite the database (VACUUM)", err)
	}
	var busy, logFrames, done int
	if err := s.writer.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
		return storeErr("seal gateway keys: checkpoint", err)
	}
	if busy != 0 {
		return errors.New("the keys are sealed, but the write-ahead log could not be emptied because another process uses the database: old copies of the plain keys may remain in it until this is run again with the server stopped")
	}
	return nil
}

// VacuumInto writes a consistent copy of the database, as of one moment,
// into the file at path, which must not exist or be empty (VACUUM INTO).
// The copy is compacted, holds no free pages, and is not synced to disk:
// the caller syncs it. Writers are not blocked while it runs. SQLite
// creates a missing file with the process's default mode: create it first
// with the mode the copy should have.
func (s *Store) VacuumInto(ctx context.Context, path string) error {
	if _, err := s.reader.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return storeErr("copy the database (VACUUM INTO)", err)
	}
	return nil
}
