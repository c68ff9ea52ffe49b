//go:build unix

package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// TestE2ENotifications1000: 1,000 payments whose results arrive
// asynchronously (9903) give 1,000 delivered notifications, each validly
// signed, none lost, across a SIGKILL and restart of the server in the
// middle. A repeat delivery of a notification whose acknowledgement was not
// recorded before the kill is allowed (at least once) and counted.
func TestE2ENotifications1000(t *testing.T) {
	const total = 1000
	e := newE2E(t)
	m, sink := e.addNotifiedMerchant("NOTIFY_SHOP")

	flags := []string{"--notify-schedule", "fast", "--sim-delay", "200ms"}
	s := e.start(flags...)
	created := map[string]wire.Status{}
	for i := range total {
		if i == total/2 {
			// Kill it while deliveries and delayed completions are in
			// flight, then restart on the same data.
			s.Kill()
			s = e.start(flags...)
		}
		a := e.do(s, m, gatewaytest.Request{Path: e2ePayPath, Body: payJSON(fmt.Sprintf("NTF_%04d", i), 9903)})
		if a.Result.Code != wire.CodePaymentInProcess || a.PaymentID == "" {
			t.Fatalf("pay %d: got %v paymentId %q, want U PAYMENT_IN_PROCESS with a paymentId", i, a.Result, a.PaymentID)
		}
		created[a.PaymentID] = wire.StatusSuccess
	}
	if len(created) != total {
		t.Fatalf("created %d distinct payments, want %d", len(created), total)
	}
	if !gatewaytest.WaitFor(180*time.Second, func() bool { return len(sink.Missing(created)) == 0 }) {
		t.Fatalf("after 180s the merchant lacks %d of %d notifications (or got them with another result)\n%s", len(sink.Missing(created)), total, s.Tail())
	}
	distinct, deliveries, invalid := sink.Counts()
	for id := range sink.Deliveries() {
		if _, ok := created[id]; !ok {
			t.Errorf("notification for unknown payment %s", id)
		}
	}
	if len(invalid) != 0 {
		t.Errorf("%d notifications had an invalid signature or body, want 0; first: %s", len(invalid), invalid[0])
	}
	t.Logf("payments %d, notifications delivered %d distinct, %d deliveries (%d repeats after the SIGKILL)", total, distinct, deliveries, deliveries-distinct)
	// The store agrees: nothing undelivered is left.
	var out string
	if !gatewaytest.WaitFor(30*time.Second, func() bool {
		out = e.cli("notifications", "list", "--data", e.data, "--undelivered", "--limit", "2000")
		return strings.Count(strings.TrimSpace(out), "\n") == 0
	}) {
		t.Fatalf("notifications list --undelivered still lists:\n%s", out)
	}
}

// payJSON is an AMS v1 in-store PaymentCode pay body.
func payJSON(requestID string, value int64) string {
	return fmt.Sprintf(`{"productCode":"IN_STORE_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":%q},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281012345678"},`+
		`"paymentFactor":{"inStorePaymentScenario":"PaymentCode"}}`, requestID, requestID, value)
}

// TestE2ENotificationMetrics: /metrics counts the notifications this
// server enqueued and the backlog left, which falls to 0 once the merchant
// has them all.
func TestE2ENotificationMetrics(t *testing.T) {
	const total = 3
	e := newE2E(t)
	m, sink := e.addNotifiedMerchant("METRICS_SHOP")
	s := e.start("--notify-schedule", "fast")
	created := map[string]wire.Status{}
	for i := range total {
		a := e.do(s, m, gatewaytest.Request{Path: e2ePayPath, Body: payJSON(fmt.Sprintf("MET_%d", i), 100)})
		if a.Result.Status != wire.StatusSuccess || a.PaymentID == "" {
			t.Fatalf("pay %d: got %v, want S with a paymentId", i, a.Result)
		}
		created[a.PaymentID] = wire.StatusSuccess
	}
	if !gatewaytest.WaitFor(30*time.Second, func() bool { return len(sink.Missing(created)) == 0 }) {
		t.Fatalf("the merchant lacks %d of %d notifications\n%s", len(sink.Missing(created)), total, s.Tail())
	}
	want := []string{fmt.Sprintf("antomgw_notifications_enqueued_total %d", total), "antomgw_notification_backlog 0"}
	var metrics string
	if !gatewaytest.WaitFor(10*time.Second, func() bool { // the backlog is read every second
		metrics = get(t, s, "/metrics")
		for _, w := range want {
			if !strings.Contains(metrics, w+"\n") {
				return false
			}
		}
		return true
	}) {
		t.Errorf("/metrics does not show %q:\n%s", want, grepLines(metrics, "notification"))
	}
}
