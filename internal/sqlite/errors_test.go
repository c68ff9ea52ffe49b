package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

var at0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func openTest(tb testing.TB, path string, opts Options) *Store {
	tb.Helper()
	s, err := Open(context.Background(), path, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func bigPayment(i int) *gateway.Payment {
	return &gateway.Payment{ID: fmt.Sprintf("pay-%d", i), ClientID: "client-a", RequestID: fmt.Sprintf("req-%d", i),
		Amount: gateway.Money{Value: 1, Currency: "USD"}, Status: gateway.PaymentProcessing,
		ResultMessage: string(make([]byte, 2000))}
}

// TestDiskFull fills the database (max_page_count stands in for the disk)
// and checks that writes then fail as KindUnavailable, with nothing
// half-written, and that reads still work.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Memory, Options{})
	if _, err := s.writer.ExecContext(ctx, `PRAGMA max_page_count = 64`); err != nil {
		t.Fatal(err)
	}
	var err error
	inserted := 0
	for i := 0; i < 1000 && err == nil; i++ {
		err = s.Update(ctx, func(tx gateway.Tx) error { return tx.InsertPayment(bigPayment(i)) })
		if err == nil {
			inserted++
		}
	}
	if inserted == 0 {
		t.Fatalf("no insert succeeded before the database was full: %v", err)
	}
	if k := gateway.KindOf(err); k != gateway.KindUnavailable {
		t.Fatalf("error when full = %v (kind %v), want kind %v", err, k, gateway.KindUnavailable)
	}
	if _, err := s.Payment(ctx, "client-a", fmt.Sprintf("pay-%d", inserted)); err == nil {
		t.Errorf("the payment whose insert failed exists")
	}
	if _, err := s.Payment(ctx, "client-a", "pay-0"); err != nil {
		t.Errorf("read when full: %v", err)
	}
	_, err = s.Mark(ctx, string(make([]byte, 100000)), at0)
	if k := gateway.KindOf(err); k != gateway.KindUnavailable {
		t.Errorf("Mark when full = %v (kind %v), want kind %v", err, k, gateway.KindUnavailable)
	}
}

// TestReadOnly: a database that refuses writes (query_only stands in for a
// read-only file or mount) fails writes as KindUnavailable.
func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "antomgw.db"), Options{})
	if _, err := s.writer.ExecContext(ctx, `PRAGMA query_only = 1`); err != nil {
		t.Fatal(err)
	}
	err := s.Update(ctx, func(tx gateway.Tx) error { return tx.InsertPayment(bigPayment(1)) })
	if k := gateway.KindOf(err); k != gateway.KindUnavailable {
		t.Errorf("Update = %v (kind %v), want kind %v", err, k, gateway.KindUnavailable)
	}
	_, err = s.AddGatewayKey(ctx, []byte{1}, at0, false)
	if k := gateway.KindOf(err); k != gateway.KindUnavailable {
		t.Errorf("AddGatewayKey = %v (kind %v), want kind %v", err, k, gateway.KindUnavailable)
	}
	_, err = s.ClaimJobs(ctx, at0, time.Minute, 10)
	if k := gateway.KindOf(err); k != gateway.KindUnavailable {
		t.Errorf("ClaimJobs = %v (kind %v), want kind %v", err, k, gateway.KindUnavailable)
	}
	// Reads go on.
	if _, err := s.RegistryVersion(ctx); err != nil {
		t.Errorf("RegistryVersion: %v", err)
	}
}

// TestPragmas checks what every connection of a file store runs with.
func TestPragmas(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		opts       Options
		sync, busy int
	}{
		{Options{}, 2, 5000},
		{Options{Synchronous: "normal", BusyTimeout: 1500 * time.Millisecond}, 1, 1500},
	} {
		s := openTest(t, filepath.Join(t.TempDir(), "antomgw.db"), tc.opts)
		for _, pool := range []struct {
			name string
			q    queryer
		}{{"writer", s.writer}, {"reader", s.reader}} {
			var mode string
			var sync, fk, busy int
			if err := pool.q.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if err := pool.q.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
				t.Fatal(err)
			}
			if err := pool.q.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
				t.Fatal(err)
			}
			if err := pool.q.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil {
				t.Fatal(err)
			}
			if mode != "wal" || sync != tc.sync || fk != 1 || busy != tc.busy {
				t.Errorf("%+v %s: journal_mode %s, synchronous %d, foreign_keys %d, busy_timeout %d; want wal, %d, 1, %d",
					tc.opts, pool.name, mode, sync, fk, busy, tc.sync, tc.busy)
			}
		}
		// The writer keeps its savepoints' statement journals in memory
		// (2: MEMORY); readers keep the default (0).
		var wTemp, rTemp int
		if err := s.writer.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&wTemp); err != nil {
			t.Fatal(err)
		}
		if err := s.reader.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&rTemp); err != nil {
			t.Fatal(err)
		}
		if wTemp != 2 || rTemp != 0 {
			t.Errorf("temp_store: writer %d, reader %d; want 2 and 0", wTemp, rTemp)
		}
	}
}

// TestCountPendingPlan: the backlog count the metrics read every second
// reads the partial index notifications_pending, not the notifications
// table, which grows by a row per payment.
func TestCountPendingPlan(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "antomgw.db"), Options{Synchronous: "NORMAL"})
	r, err := s.reader.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+rows.CountPending)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var plan []string
	for r.Next() {
		var id, parent, unused int
		var detail string
		if err := r.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if len(plan) != 1 || !strings.Contains(plan[0], "INDEX notifications_pending") {
		t.Errorf("plan of %q = %q, want one step reading INDEX notifications_pending", rows.CountPending, plan)
	}
}
