//go:build unix

package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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

// pgCount runs a count query on the test's schema.
func pgCount(t *testing.T, dbURL, query string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// signedPost sends a signed pay for m to base and verifies the answer with
// pub. It is safe to call from many goroutines (it never calls t.Fatal).
func signedPost(client *http.Client, base string, m *merchant, pub *rsa.PublicKey, path, body string) (paymentID string, res wire.Result, err error) {
	reqTime := wire.FormatTime(time.Now())
	sig, err := wire.Sign(m.keys[1], wire.SigningContent("POST", path, m.id, reqTime, []byte(body)))
	if err != nil {
		return "", res, err
	}
	req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
	if err != nil {
		return "", res, err
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Client-Id", m.id)
	req.Header.Set("Request-Time", reqTime)
	req.Header.Set("Signature", "algorithm=RSA256,keyVersion=1,signature="+sig)
	resp, err := client.Do(req)
	if err != nil {
		return "", res, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", res, err
	}
	sh, err := wire.ParseSignatureHeader(resp.Header.Get("signature"))
	if err != nil {
		return "", res, fmt.Errorf("answer signature header: %v", err)
	}
	if err := wire.Verify(pub, wire.SigningContent("POST", path, resp.Header.Get("client-id"), resp.Header.Get("response-time"), rb), sh.Signature); err != nil {
		return "", res, fmt.Errorf("answer does not verify with the exported gateway key: %v", err)
	}
	var a struct {
		Result    wire.Result `json:"result"`
		PaymentID string      `json:"paymentId"`
	}
	if err := json.Unmarshal(rb, &a); err != nil {
		return "", res, fmt.Errorf("answer %q: %v", rb, err)
	}
	return a.PaymentID, a.Result, nil
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
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binary")
	}
	dbURL := pgSchema(t)
	t.Setenv("ANTOMGW_DATABASE_URL", dbURL) // every command and node below
	e := newE2E(t)
	m := e.addMerchant("MULTI_NODE")
	pub, _ := e.exportGatewayKey(1)
	sink := &notifySink{pub: pub, delivered: map[string]int{}}
	hook := httptest.NewServer(sink)
	defer hook.Close()
	e.cli("clients", "update", "--client-id", m.id, "--notify-url", hook.URL+"/notify")

	flags := []string{"--notify-schedule", "fast", "--sim-delay", "300ms"}
	nodes := []*server{e.start(flags...), e.start(flags...), e.start(flags...)}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

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
			node := nodes[(i+d)%len(nodes)]
			wg.Go(func() {
				<-start
				pid, res, err := signedPost(client, node.base, m, pub, "/ams/api/v1/payments/pay", body)
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
	if n := pgCount(t, dbURL, "SELECT COUNT(*) FROM payments WHERE client_id = 'MULTI_NODE'"); n != ids {
		t.Errorf("payments in the database = %d, want %d", n, ids)
	}
	t.Logf("%d requests for %d ids over %d nodes: answers %v", ids*dups, ids, len(nodes), codes)

	// 2. Notifications, each delivered by one node at a time.
	const async = 500
	send := func(from, to int, targets []*server) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for i := from; i < to; i++ {
			node := targets[i%len(targets)]
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				_, res, err := signedPost(client, node.base, m, pub, "/ams/api/v1/payments/pay", payJSON(fmt.Sprintf("ASYNC_%04d", i), 9903))
				if err != nil || res.Code != wire.CodePaymentInProcess {
					t.Errorf("async pay %d: %v %v, want U PAYMENT_IN_PROCESS", i, res, err)
				}
			})
		}
		wg.Wait()
	}
	waitDelivered := func(want int) {
		deadline := time.Now().Add(90 * time.Second)
		for {
			if distinct, _, _ := sink.counts(); distinct >= want {
				return
			}
			if time.Now().After(deadline) {
				distinct, _, _ := sink.counts()
				nodes[0].fatalf("after 90s the merchant has %d of %d notifications", distinct, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// The 100 SUCCESS payments above notify too: ids+async in all.
	send(0, async/2, nodes)
	waitDelivered(ids + async/2)
	distinct, deliveries, invalid := sink.counts()
	if deliveries != distinct {
		t.Errorf("with all nodes alive: %d deliveries of %d notifications, want no duplicate", deliveries, distinct)
	}
	killed := nodes[1]
	var kill sync.WaitGroup
	kill.Go(func() {
		time.Sleep(300 * time.Millisecond)
		killed.stop(syscall.SIGKILL)
	})
	// Pays go to the two nodes that live; the killed one was claiming
	// notifications and delayed completions when it died.
	send(async/2, async, []*server{nodes[0], nodes[2]})
	kill.Wait()
	waitDelivered(ids + async)
	distinct, deliveries, invalid = sink.counts()
	if invalid != 0 {
		t.Errorf("%d notifications had an invalid signature or body", invalid)
	}
	if n := pgCount(t, dbURL, "SELECT COUNT(*) FROM notifications WHERE delivered_at IS NULL"); n != 0 {
		t.Errorf("%d notifications undelivered in the database, want 0", n)
	}
	t.Logf("notifications: %d delivered, %d deliveries (%d repeats after the SIGKILL of one node)", distinct, deliveries, deliveries-distinct)
}
