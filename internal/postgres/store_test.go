package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
	"github.com/antomgw/antomgw/internal/storetest"
	"github.com/jackc/pgx/v5"
)

// TestStore runs the store conformance suite; each subtest gets a schema of
// its own.
func TestStore(t *testing.T) {
	databaseURL(t) // skip the whole suite at once without a database
	storetest.Run(t, func(t *testing.T) gateway.Store { return openTest(t, Options{}) })
}

// databaseURL returns TEST_DATABASE_URL, or skips the test when it is not
// set (a laptop without PostgreSQL; CI sets it).
func databaseURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		tb.Skip("TEST_DATABASE_URL is not set; set it to run the PostgreSQL tests, e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	return url
}

// newSchema returns the name of a schema no other test uses (it does not
// exist yet) and drops it, with everything in it, when tb ends.
func newSchema(tb testing.TB) string {
	tb.Helper()
	url := databaseURL(tb)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "antomgw_test_" + hex.EncodeToString(b)
	tb.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// openTest opens a store on TEST_DATABASE_URL in opts.Schema, or in a new
// schema of its own when opts.Schema is empty, and closes it when tb ends
// (before the schema is dropped).
func openTest(tb testing.TB, opts Options) *Store {
	tb.Helper()
	url := databaseURL(tb)
	if opts.Schema == "" {
		opts.Schema = newSchema(tb)
	}
	s, err := Open(context.Background(), url, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestWarningsAutovacuum: serve warns at start exactly when the server
// runs without autovacuum, and says what to do.
func TestWarningsAutovacuum(t *testing.T) {
	s := openTest(t, Options{})
	var on string
	if err := s.pool.QueryRow(context.Background(), `SHOW autovacuum`).Scan(&on); err != nil {
		t.Fatal(err)
	}
	w := s.Warnings(context.Background())
	switch {
	case on == "on" && len(w) != 0:
		t.Errorf("autovacuum on: warnings %q, want none", w)
	case on != "on" && (len(w) != 1 || !strings.Contains(w[0], "autovacuum off") || !strings.Contains(w[0], "ANALYZE")):
		t.Errorf("autovacuum %s: warnings %q, want one naming autovacuum and ANALYZE", on, w)
	}
}

// TestCountPendingPlan: the backlog count the metrics read every second can
// read the partial index notifications_pending rather than the
// notifications table, which grows by a row per payment. (With the
// sequential scan disabled the planner takes the index whenever the query
// matches its condition; on a table this small it would otherwise scan.)
func TestCountPendingPlan(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, `RESET enable_seqscan`) //nolint:errcheck // the connection goes back to the pool
	r, err := conn.Query(ctx, `EXPLAIN `+rows.CountPending)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(r, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "notifications_pending") || strings.Contains(text, "Seq Scan") {
		t.Errorf("plan of %q:\n%s\nwant a scan of the index notifications_pending", rows.CountPending, text)
	}
}
