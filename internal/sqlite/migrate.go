package sqlite

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/antomgw/antomgw/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the migrations the database lacks, all in one write
// transaction. The transaction starts with BEGIN IMMEDIATE, so two processes
// opening the same file at once take turns, and the second finds the work
// done when it reads schema_migrations inside its transaction.
func (s *Store) migrate(ctx context.Context, now func() time.Time) error {
	all, err := migrate.Load(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return storeErr("sqlite: migrate: begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return storeErr("sqlite: migrate: create schema_migrations", err)
	}
	var applied int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
		return storeErr("sqlite: migrate: read schema_migrations", err)
	}
	pending, err := migrate.Pending(all, applied)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	for _, m := range pending {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return storeErr("sqlite: migrate: "+m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			m.Version, now().UnixMilli()); err != nil {
			return storeErr("sqlite: migrate: record "+m.Name, err)
		}
	}
	return storeErr("sqlite: migrate: commit", tx.Commit())
}
