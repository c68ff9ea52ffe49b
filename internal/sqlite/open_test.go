package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/sqlite"
	"github.com/antomgw/antomgw/internal/storetest"
)

// migrationRows returns the versions recorded in schema_migrations, read
// with a connection of its own.
func migrationRows(tb testing.TB, path string) []int64 {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		tb.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			tb.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestMigrations starts several processes at once on a new file, and
// one more after them: every Open succeeds, and each migration is applied
// once. Several rounds, as a race hides.
func TestMigrations(t *testing.T) {
	for round := range 5 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("antomgw-%d.db", round))
		open := func() (storetest.Closer, error) { return sqlite.Open(context.Background(), path, sqlite.Options{}) }
		storetest.OpenTogether(t, 4, open)
		storetest.OpenTogether(t, 1, open)
		if got, want := migrationRows(t, path), allMigrations(t); !slices.Equal(got, want) {
			t.Errorf("round %d: schema_migrations = %v, want %v", round, got, want)
		}
	}
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "antomgw.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	p := &gateway.Payment{ID: "pay-1", ClientID: "client-a", RequestID: "req-1",
		Amount: gateway.Money{Value: 100, Currency: "USD"}, Status: gateway.PaymentProcessing, CreatedAt: now, UpdatedAt: now}
	if err := s.Update(ctx, func(tx gateway.Tx) error { return tx.InsertPayment(p) }); err != nil {
		t.Fatalf("InsertPayment: %v", err)
	}
	if err := s.AddClient(ctx, gateway.Client{ID: "client-a", CreatedAt: now}, gateway.ClientKey{Version: 1, PublicKey: []byte{1}, CreatedAt: now}); err != nil {
		t.Fatalf("AddClient: %v", err)
	}
	version, err := s.RegistryVersion(ctx)
	if err != nil {
		t.Fatalf("RegistryVersion: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t, path, sqlite.Options{})
	got, err := s.Payment(ctx, "client-a", "pay-1")
	if err != nil {
		t.Fatalf("Payment after reopen: %v", err)
	}
	if got.RequestID != "req-1" || got.CreatedAt != now {
		t.Errorf("Payment after reopen = %+v, want req-1 created at %v", got, now)
	}
	reg, err := s.LoadRegistry(ctx)
	if err != nil {
		t.Fatalf("LoadRegistry: %v", err)
	}
	if reg.Version != version || len(reg.Clients) != 1 {
		t.Errorf("registry after reopen = version %d, %d clients, want %d, 1", reg.Version, len(reg.Clients), version)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "antomgw.db")
	s := open(t, path, sqlite.Options{})
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err := sqlite.Open(context.Background(), path, sqlite.Options{}); err == nil {
		s.Close()
		t.Errorf("Open of a database from a newer antomgw succeeded, want an error")
	}
}

func TestOpenBadOptions(t *testing.T) {
	if s, err := sqlite.Open(context.Background(), sqlite.Memory, sqlite.Options{Synchronous: "FULL; DROP TABLE x"}); err == nil {
		s.Close()
		t.Errorf("Open with a bad Synchronous succeeded, want an error")
	}
	if s, err := sqlite.Open(context.Background(), "", sqlite.Options{}); err == nil {
		s.Close()
		t.Errorf("Open of an empty path succeeded, want an error")
	}
}

// allMigrations is the version of every file in migrations/, in order: each
// must be applied exactly once.
func allMigrations(tb testing.TB) []int64 {
	tb.Helper()
	entries, err := os.ReadDir("migrations")
	if err != nil {
		tb.Fatal(err)
	}
	var out []int64
	for _, e := range entries {
		var v int64
		if _, err := fmt.Sscanf(e.Name(), "%04d_", &v); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// TestCheck: a healthy database passes the integrity check.
func TestCheck(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Check(context.Background()); err != nil {
		t.Errorf("Check of a new database: %v, want nil", err)
	}
}
