//go:build unix

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/postgres"
	"github.com/antomgw/antomgw/wire"
)

// pgSchema makes a fresh, migrated schema on TEST_DATABASE_URL for one test
// (dropped at its end) and returns a URL whose connections use it. Without
// TEST_DATABASE_URL the test is skipped.
func pgSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Skip("PostgreSQL tests need TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "e2e_" + hex.EncodeToString(b)
	ctx := context.Background()
	st, err := postgres.Open(ctx, base, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	st.Close()
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// pgStore opens the test's schema (a URL from pgSchema) as a store, for
// the questions a test asks it; it is closed when the test ends.
func pgStore(t *testing.T, dbURL string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), dbURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestE2EMultiNodePostgres: three `antomgw serve` processes on one
// PostgreSQL database. 1,000 pay requests with 100 distinct request ids,
// each duplicate sent to a different node at the same time, make exactly
// 100 payments; every answer for one request id carries the same paymentId
// and verifies with the one key from `keys export`. Then 500 asynchronous
// payments give 500 delivered notifications: no duplicate while all nodes
// live, and all of them still delivered after one node is SIGKILLed
// mid-run (a repeat after the takeover is allowed and counted).
func TestE2EMultiNodePostgres(t *testing.T) {
	gatewaytest.Binary(t) // skips under -short
	dbURL := pgSchema(t)
	t.Setenv("ANTOMGW_DATABASE_URL", dbURL) // every command and node below
	e := newE2E(t)
	m, sink := e.addNotifiedMerchant("MULTI_NODE")

	// Three servers, PostgreSQL and 1,000 requests at once saturate the
	// machine (under -race, for many seconds): the read timeouts, which
	// count a request's wait for a CPU, are lifted so that they cannot drop
	// requests here. The timeouts have their own test (fault's
	// TestHardeningTimeouts).
	flags := []string{"--notify-schedule", "fast", "--sim-delay", "300ms", "--read-header-timeout", "2m", "--read-timeout", "2m"}
	nodes := []*gatewaytest.Process{e.start(flags...), e.start(flags...), e.start(flags...)}
	t.Cleanup(func() {
		if t.Failed() {
			for i, n := range nodes {
				t.Logf("node %d (%s), its warnings and errors:\n%s", i, n.URL, grepLines(n.Stderr(), "level=WARN")+grepLines(n.Stderr(), "level=ERROR"))
			}
		}
	})
	// One merchant per node, safe for the goroutines below.
	senders := make([]*gatewaytest.Merchant, len(nodes))
	for i, n := range nodes {
		senders[i] = &gatewaytest.Merchant{URL: n.URL, ClientID: m.id, Key: m.keys[1], GatewayKeys: e.gatewayKeys, Client: n.Client}
	}
	pay := func(node int, body string) (paymentID string, res wire.Result, err error) {
		rep, err := senders[node].Try(gatewaytest.Request{Path: e2ePayPath, Body: body})
		if err != nil {
			return "", res, err
		}
		var a struct {
			PaymentID string `json:"paymentId"`
		}
		if err := json.Unmarshal(rep.Plain, &a); err != nil {
			return "", res, err
		}
		return a.PaymentID, rep.Result, nil
	}

	// 1. Duplicates across nodes.
	const ids, dups = 100, 10
	type got struct {
		id, paymentID string
		res           wire.Result
		err           error
	}
	answers := make(chan got, ids*dups)
	var wg sync.WaitGroup
	for i := range ids {
		reqID := fmt.Sprintf("MULTI_%03d", i)
		body := payJSON(reqID, 100)
		start := make(chan struct{})
		for d := range dups {
			node := (i + d) % len(nodes)
			wg.Go(func() {
				<-start
				pid, res, err := pay(node, body)
				answers <- got{reqID, pid, res, err}
			})
		}
		close(start) // the duplicates of one id leave together
	}
	wg.Wait()
	close(answers)
	byID := map[string]map[string]bool{}
	codes := map[string]int{}
	for a := range answers {
		if a.err != nil {
			t.Errorf("%s: %v", a.id, a.err)
			continue
		}
		codes[string(a.res.Status)+" "+a.res.Code]++
		if a.res.Status == wire.StatusFail || a.paymentID == "" {
			t.Errorf("%s: answer %v paymentId %q, want S or U with a paymentId", a.id, a.res, a.paymentID)
			continue
		}
		if byID[a.id] == nil {
			byID[a.id] = map[string]bool{}
		}
		byID[a.id][a.paymentID] = true
	}
	for id, pids := range byID {
		if len(pids) != 1 {
			t.Errorf("%s: answers carry %d paymentIds, want 1", id, len(pids))
		}
	}
	st := pgStore(t, dbURL)
	ctx := context.Background()
	if ps, err := st.Payments(ctx, gateway.PaymentFilter{ClientID: m.id, Limit: 10 * ids}); err != nil || len(ps) != ids {
		t.Errorf("payments in the database = %d (%v), want %d", len(ps), err, ids)
	}
	t.Logf("%d requests for %d ids over %d nodes: answers %v", ids*dups, ids, len(nodes), codes)

	// 2. Notifications, each delivered by one node at a time.
	const async = 500
	send := func(from, to int, targets ...int) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for i := from; i < to; i++ {
			node := targets[i%len(targets)]
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				_, res, err := pay(node, payJSON(fmt.Sprintf("ASYNC_%04d", i), 9903))
				if err != nil || res.Code != wire.CodePaymentInProcess {
					t.Errorf("async pay %d: %v %v, want U PAYMENT_IN_PROCESS", i, res, err)
				}
			})
		}
		wg.Wait()
	}
	waitDelivered := func(want int) {
		if !gatewaytest.WaitFor(90*time.Second, func() bool { distinct, _, _ := sink.Counts(); return distinct >= want }) {
			distinct, _, _ := sink.Counts()
			t.Fatalf("after 90s the merchant has %d of %d notifications\n%s", distinct, want, nodes[0].Tail())
		}
	}
	// The 100 SUCCESS payments above notify too: ids+async in all.
	send(0, async/2, 0, 1, 2)
	waitDelivered(ids + async/2)
	// While every node lives, a notification reaches the merchant twice
	// only when the gateway recorded a failed attempt first (at least
	// once: an attempt that timed out on a loaded machine may still have
	// arrived), never because two nodes held it at once.
	distinct, deliveries, _ := sink.Counts()
	redelivered := 0
	for paymentID, n := range sink.Deliveries() {
		if n < 2 {
			continue
		}
		redelivered++
		ns, err := st.Notifications(ctx, gateway.NotificationFilter{PaymentID: paymentID})
		if err != nil || len(ns) != 1 {
			t.Fatalf("payment %s: %d notifications (%v), want 1", paymentID, len(ns), err)
		}
		attempts, err := st.NotificationAttempts(ctx, ns[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		failedFirst := len(attempts) >= n
		for _, a := range attempts[:max(0, len(attempts)-1)] {
			failedFirst = failedFirst && a.Outcome != gateway.OutcomeDelivered
		}
		if !failedFirst {
			t.Errorf("with all nodes alive: payment %s delivered %d times with attempts %+v; want each repeat to follow a failed attempt", paymentID, n, attempts)
		}
	}
	t.Logf("with all nodes alive: %d notifications, %d deliveries (%d repeated after a failed attempt)", distinct, deliveries, redelivered)
	// Pays go to the two nodes that live; the killed one was claiming
	// notifications and delayed completions when it died, a hundred pays
	// into the second half.
	send(async/2, async/2+100, 0, 2)
	nodes[1].Kill()
	send(async/2+100, async, 0, 2)
	waitDelivered(ids + async)
	distinct, deliveries, invalid := sink.Counts()
	if len(invalid) != 0 {
		t.Errorf("%d notifications had an invalid signature or body; first: %s", len(invalid), invalid[0])
	}
	// A notification the killed node had delivered but not yet recorded
	// stays pending, leased by the dead node, until its lease runs out and
	// another node delivers it again (at least once). Any other pending
	// notification was lost.
	ns, err := st.Notifications(ctx, gateway.NotificationFilter{Undelivered: true, Limit: 10 * async})
	if err != nil {
		t.Fatal(err)
	}
	delivered := sink.Deliveries()
	for _, n := range ns {
		if delivered[n.PaymentID] == 0 {
			t.Errorf("notification %s of payment %s is undelivered in the database and never reached the merchant", n.ID, n.PaymentID)
		}
	}
	if len(ns) > 0 {
		t.Logf("%d notifications were in flight on the killed node: delivered, not yet recorded; they are delivered again after their lease", len(ns))
	}
	t.Logf("notifications: %d delivered, %d deliveries (%d repeats after the SIGKILL of one node)", distinct, deliveries, deliveries-distinct)
}
