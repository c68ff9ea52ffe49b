package postgres

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/migrate"
	"github.com/antomgw/antomgw/internal/storetest"
	"github.com/jackc/pgx/v5"
)

// allMigrations returns the versions of the embedded migrations.
func allMigrations(tb testing.TB) []int64 {
	tb.Helper()
	ms, err := migrate.Load(migrationFiles, "migrations")
	if err != nil {
		tb.Fatal(err)
	}
	var out []int64
	for _, m := range ms {
		out = append(out, m.Version)
	}
	return out
}

// migrationRows returns the versions recorded in schema_migrations of
// schema, read on a connection of its own.
func migrationRows(tb testing.TB, schema string) []int64 {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, databaseURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT version FROM `+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+` ORDER BY version`)
	if err != nil {
		tb.Fatalf("read schema_migrations: %v", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		tb.Fatalf("read schema_migrations: %v", err)
	}
	return out
}

// TestMigrations starts several nodes at once on a schema that does not
// exist yet, and one more after them: every Open succeeds, the schema and
// its tables are created once, and each migration is applied once.
func TestMigrations(t *testing.T) {
	for round := range 3 {
		schema := newSchema(t)
		open := func() (storetest.Closer, error) {
			return Open(context.Background(), databaseURL(t), Options{Schema: schema})
		}
		storetest.OpenTogether(t, 3, open)
		storetest.OpenTogether(t, 1, open)
		if got, want := migrationRows(t, schema), allMigrations(t); !slices.Equal(got, want) {
			t.Errorf("round %d: schema_migrations = %v, want %v", round, got, want)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	s := openTest(t, Options{Schema: schema})
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	p := &gateway.Payment{ID: "pay-1", ClientID: "client-a", RequestID: "req-1",
		Amount: gateway.Money{Value: 100, Currency: "USD"}, Status: gateway.PaymentProcessing, CreatedAt: now, UpdatedAt: now}
	if err := s.Update(ctx, func(tx gateway.Tx) error { return tx.InsertPayment(p) }); err != nil {
		t.Fatalf("InsertPayment: %v", err)
	}
	s.Close()
	s = openTest(t, Options{Schema: schema})
	got, err := s.Payment(ctx, "client-a", "pay-1")
	if err != nil || got.RequestID != "req-1" {
		t.Errorf("Payment after reopening = %+v, %v, want req-1's payment", got, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	s := openTest(t, Options{Schema: schema})
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, databaseURL(t), Options{Schema: schema})
	if err == nil || !strings.Contains(err.Error(), "newer than this antomgw") {
		t.Errorf("Open of a schema at version 9999 = %v, want an error saying it is newer", err)
	}
}

// TestSchemaIsolation: two stores in two schemas of one database do not see
// each other's rows, and every pooled connection stays in its schema.
func TestSchemaIsolation(t *testing.T) {
	ctx := context.Background()
	a := openTest(t, Options{MaxConns: 3})
	b := openTest(t, Options{})
	if _, err := a.Mark(ctx, "only-in-a", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if first, err := b.Mark(ctx, "only-in-a", time.Time{}); err != nil || !first {
		t.Errorf("Mark in b = %v, %v, want true: b has its own marks", first, err)
	}
	// Hold all three connections of a at once: each one must have the
	// search_path, not just the first.
	var conns []interface{ Release() }
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range 3 {
		c, err := a.pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var n int
		if err := c.QueryRow(ctx, `SELECT count(*) FROM marks WHERE key = 'only-in-a'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("marks seen on a pooled connection = %d, %v, want 1", n, err)
		}
	}
}

// TestOpenUnreachable: a database that does not answer is
// KindUnavailable, so the caller can say so.
func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", Options{})
	if k := gateway.KindOf(err); err == nil || k != gateway.KindUnavailable {
		t.Errorf("Open of a closed port = %v (kind %v), want kind %v", err, k, gateway.KindUnavailable)
	}
}

func TestOpenBadOptions(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		url  string
		opts Options
		want string
	}{
		{"", Options{}, "empty database URL"},
		{"postgres://x@127.0.0.1:1/x", Options{KEK: make([]byte, 31)}, "KEK is 31 bytes, want 32"},
		{"postgres://x@127.0.0.1:1/x?pool_max_conns=zero", Options{}, "pool_max_conns"},
	} {
		_, err := Open(ctx, tc.url, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q, KEK %d bytes) = %v, want an error containing %q", tc.url, len(tc.opts.KEK), err, tc.want)
		}
	}
}
