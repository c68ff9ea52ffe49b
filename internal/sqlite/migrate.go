package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one file of migrations/, NNNN_name.sql.
type migration struct {
	version int64
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		digits, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseInt(digits, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", name)
		}
		b, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// migrate applies the migrations the database lacks, all in one write
// transaction. The transaction starts with BEGIN IMMEDIATE, so two processes
// opening the same file at once take turns, and the second finds the work
// done when it reads schema_migrations inside its transaction.
func (s *Store) migrate(ctx context.Context, now func() time.Time) error {
	all, err := migrations()
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if len(all) == 0 {
		return fmt.Errorf("sqlite: no migrations embedded")
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
	if known := all[len(all)-1].version; applied > known {
		return fmt.Errorf("sqlite: the database schema is at version %d, newer than this antomgw's %d; upgrade antomgw", applied, known)
	}
	for _, m := range all {
		if m.version <= applied {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return storeErr("sqlite: migrate: "+m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			m.version, now().UnixMilli()); err != nil {
			return storeErr("sqlite: migrate: record "+m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return storeErr("sqlite: migrate: commit", err)
	}
	return nil
}
