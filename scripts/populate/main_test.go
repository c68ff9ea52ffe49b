package main

import (
	"context"
	"crypto/x509"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/node"
)

// TestPopulate writes 200 payments into a new SQLite store, twice, and
// checks through the store what the summary says: every payment decided,
// the refunds and the notification outbox as counted, nothing left due at
// the end, and a second run adding payments instead of colliding.
func TestPopulate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	end := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	register(t, dir, end)

	cfg := config{data: dir, synchronous: "NORMAL", clientID: "POP_CLIENT", payments: 200, workers: 4, seed: 7, days: 30,
		notifyURL: "http://127.0.0.1:1/notify", publicURL: "http://127.0.0.1:8080", end: end, runID: "PTESTA"}
	first, err := populate(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if first.Payments != 200 || first.Success+first.Fail+first.Cancelled+first.Processing != 200 {
		t.Fatalf("summary %+v: want 200 payments, each counted once by status", first)
	}
	if first.Processing != 0 {
		t.Errorf("%d payments left PROCESSING; every checkout is settled before the end", first.Processing)
	}
	if first.Success == 0 || first.Fail == 0 || first.Notifications == 0 || first.Attempts < first.Notifications-first.Pending {
		t.Errorf("summary %+v: want successes, failures, notifications and their attempts", first)
	}

	cfg.runID = "PTESTB"
	second, err := populate(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	// One seed, one history: the same outcomes under new request ids.
	if second.Success != first.Success || second.Refunds != first.Refunds || second.Notifications != first.Notifications {
		t.Errorf("second run with the same seed: %+v, first %+v", second, first)
	}

	st, _, err := node.OpenStore(ctx, node.StoreConfig{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	payments, err := st.Payments(ctx, gateway.PaymentFilter{ClientID: "POP_CLIENT", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(payments) != 400 {
		t.Fatalf("the store holds %d payments; want 400 from two runs", len(payments))
	}
	var refunds int64
	statuses := map[gateway.PaymentStatus]int64{}
	for _, p := range payments {
		if !strings.HasPrefix(p.RequestID, "PTESTA") && !strings.HasPrefix(p.RequestID, "PTESTB") {
			t.Errorf("payment %s has paymentRequestId %s; want one of the runs' ids", p.ID, p.RequestID)
		}
		if p.CreatedAt.After(end) || p.CreatedAt.Before(end.Add(-30*24*time.Hour)) {
			t.Errorf("payment %s created at %s, outside the 30 days before %s", p.ID, p.CreatedAt, end)
		}
		statuses[p.Status]++
		rs, err := st.Refunds(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		refunds += int64(len(rs))
		if p.Refunded > p.Amount.Value {
			t.Errorf("payment %s: refunded %d of %d", p.ID, p.Refunded, p.Amount.Value)
		}
	}
	if want := 2 * first.Refunds; refunds != want {
		t.Errorf("the store holds %d refunds; the runs counted %d", refunds, want)
	}
	if statuses[gateway.PaymentSuccess] != 2*first.Success || statuses[gateway.PaymentFail] != 2*first.Fail || statuses[gateway.PaymentCancelled] != 2*first.Cancelled {
		t.Errorf("statuses in the store %v; the runs counted %+v twice", statuses, first)
	}
	// NotificationStats counts what this Store value enqueued (nothing:
	// the runs wrote through their own), so the outbox is listed.
	outbox, err := st.Notifications(ctx, gateway.NotificationFilter{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	_, pending, err := st.NotificationStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(outbox)) != 2*first.Notifications || pending != 2*first.Pending {
		t.Errorf("outbox: %d notifications, %d pending; the runs counted %d and %d", len(outbox), pending, 2*first.Notifications, 2*first.Pending)
	}
	// Nothing is due at the end: serve's workers have no backlog to work
	// off when they start on the store.
	if at, ok, err := st.NextJobDue(ctx); err != nil {
		t.Fatal(err)
	} else if ok && !at.After(end) {
		t.Errorf("a job is due at %s, before the end %s", at, end)
	}
	if at, ok, err := st.NextNotificationDue(ctx); err != nil {
		t.Fatal(err)
	} else if ok && !at.After(end) {
		t.Errorf("a notification is due at %s, before the end %s", at, end)
	}
}

// TestPopulateUnknownClient refuses a client that is not registered.
func TestPopulateUnknownClient(t *testing.T) {
	dir := t.TempDir()
	register(t, dir, time.Now())
	_, err := populate(context.Background(), config{data: dir, clientID: "NOBODY", payments: 1, workers: 1, days: 1,
		notifyURL: "http://127.0.0.1:1/notify"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--client-id NOBODY is not registered") {
		t.Fatalf("err = %v; want the unregistered client named", err)
	}
}

// register creates a store in dir with the test gateway key and the
// client POP_CLIENT.
func register(t *testing.T, dir string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	st, _, err := node.OpenStore(ctx, node.StoreConfig{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := func() ([]byte, error) { return x509.MarshalPKCS8PrivateKey(gatewaytest.GatewayKey()) }
	if _, _, err := st.EnsureGatewayKey(ctx, key, at); err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&gatewaytest.MerchantKey().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddClient(ctx, gateway.Client{ID: "POP_CLIENT", CreatedAt: at},
		gateway.ClientKey{ClientID: "POP_CLIENT", Version: 1, PublicKey: pub, CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
}
