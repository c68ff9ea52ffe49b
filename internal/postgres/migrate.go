package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/antomgw/antomgw/internal/migrate"
	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the key of the advisory lock that Open holds while it
// migrates: "antomgw" in ASCII. It is one lock for the whole database, so
// stores of different schemas in one database also take turns; migrating is
// quick and rare.
const migrationLock int64 = 0x616e746f6d6777

// migrate creates schema when it is set and missing, and applies the
// migrations the database lacks, all in one transaction that first takes
// pg_advisory_xact_lock(migrationLock). Nodes that start together queue on
// the lock; each one after the first finds the work done when it reads
// schema_migrations. The lock ends with the transaction, also when the
// connection dies, so it cannot be left behind.
func (s *Store) migrate(ctx context.Context, schema string, now func() time.Time) error {
	all, err := migrate.Load(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return storeErr("postgres: migrate: begin", err)
	}
	defer rollback(ctx, tx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return storeErr("postgres: migrate: lock", err)
	}
	if schema != "" {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
			return storeErr("postgres: migrate: create schema "+schema, err)
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT NOT NULL PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return storeErr("postgres: migrate: create schema_migrations", err)
	}
	var applied int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
		return storeErr("postgres: migrate: read schema_migrations", err)
	}
	pending, err := migrate.Pending(all, applied)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	for _, m := range pending {
		// No arguments: pgx sends it with the simple protocol, which runs
		// the file's several statements in this transaction.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return storeErr("postgres: migrate: "+m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.Version, m.Name, now().UnixMilli()); err != nil {
			return storeErr("postgres: migrate: record "+m.Name, err)
		}
	}
	return storeErr("postgres: migrate: commit", tx.Commit(ctx))
}

// rollback ends tx when it was not committed (a no-op after Commit), also
// when ctx is done, so the connection goes back to the pool clean.
func rollback(ctx context.Context, tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = tx.Rollback(ctx) // the error that matters is the one that ended the transaction
}
