package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
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
