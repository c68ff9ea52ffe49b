package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/notify"
	"github.com/antomgw/antomgw/internal/postgres"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/antomgw/antomgw/internal/sqlite"
)

// TestPaymentsCommands runs payments list --json, show and resolve on each
// store: three payments made through the core, one of them left
// PROCESSING, then listed, paged, shown and decided by hand.
func TestPaymentsCommands(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		dir := t.TempDir()
		st, err := sqlite.Open(context.Background(), filepath.Join(dir, dbFile), sqlite.Options{Synchronous: "NORMAL"})
		if err != nil {
			t.Fatal(err)
		}
		testPaymentsCommands(t, st, "--data", dir)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		url := pgSchema(t)
		st, err := postgres.Open(context.Background(), url, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		testPaymentsCommands(t, st, "--database-url", url)
	})
}

func testPaymentsCommands(t *testing.T, st store, storeArgs ...string) {
	ctx := context.Background()
	// A clock a second further on each reading: the list orders payments by
	// creation time, and the real clock could give two of them the same
	// millisecond (their order would then follow their random IDs).
	at := time.Now().Truncate(time.Second)
	now := func() time.Time { at = at.Add(time.Second); return at }
	svc := &gateway.Service{Store: st, Processor: &sim.Wallet{Delay: time.Hour, Marks: st}, NotificationBody: notify.Body, Now: now}
	var ids []string
	for _, p := range []struct {
		client, req string
		amount      int64
	}{{"SHOP_A", "A1", 100}, {"SHOP_B", "B1", 200}, {"SHOP_A", "A2", 9903}} {
		res, err := svc.Pay(ctx, gateway.PayInput{ClientID: p.client, RequestID: p.req, ProductCode: gateway.ProductInStore,
			Scenario: gateway.ScenarioPaymentCode, Amount: gateway.Money{Value: p.amount, Currency: "USD"},
			MethodType: "CONNECT_WALLET", MethodID: "2810", NotifyURL: "https://shop.example/notify"})
		if err != nil {
			t.Fatalf("Pay(%s): %v", p.req, err)
		}
		ids = append(ids, res.Payment.ID)
	}
	st.Close()

	cli := func(args ...string) result {
		t.Helper()
		r := runCLI(t, "", append(args, storeArgs...)...)
		if r.code != 0 {
			t.Fatalf("antomgw %s: exit %d, stderr %s", strings.Join(args, " "), r.code, r.stderr)
		}
		return r
	}
	type listed struct {
		Payments []struct {
			PaymentID        string `json:"paymentId"`
			ClientID         string `json:"clientId"`
			PaymentRequestID string `json:"paymentRequestId"`
			Status           string `json:"status"`
			Amount           struct {
				Value    int64  `json:"value"`
				Currency string `json:"currency"`
			} `json:"amount"`
		} `json:"payments"`
		NextCursor string `json:"nextCursor"`
	}
	list := func(args ...string) listed {
		t.Helper()
		var l listed
		if err := json.Unmarshal([]byte(cli(append([]string{"payments", "list", "--json"}, args...)...).stdout), &l); err != nil {
			t.Fatalf("payments list --json: %v", err)
		}
		return l
	}

	all := list()
	if len(all.Payments) != 3 || all.NextCursor != "" {
		t.Fatalf("payments list --json = %+v, want 3 payments and no next page", all)
	}
	if p := all.Payments[2]; p.PaymentID != ids[0] || p.ClientID != "SHOP_A" || p.PaymentRequestID != "A1" || p.Status != "SUCCESS" || p.Amount.Value != 100 || p.Amount.Currency != "USD" {
		t.Errorf("oldest listed payment = %+v, want %s of SHOP_A, A1, SUCCESS, 100 USD", p, ids[0])
	}
	if l := list("--client-id", "SHOP_A", "--status", "PROCESSING"); len(l.Payments) != 1 || l.Payments[0].PaymentID != ids[2] {
		t.Errorf("payments list --client-id SHOP_A --status PROCESSING = %+v, want %s", l, ids[2])
	}
	first := list("--limit", "2")
	if len(first.Payments) != 2 || first.NextCursor == "" {
		t.Fatalf("payments list --limit 2 = %+v, want 2 and a next cursor", first)
	}
	if rest := list("--limit", "2", "--cursor", first.NextCursor); len(rest.Payments) != 1 || rest.Payments[0].PaymentID != ids[0] {
		t.Errorf("second page = %+v, want %s", rest, ids[0])
	}
	if r := runCLI(t, "", append([]string{"payments", "list", "--status", "PAID"}, storeArgs...)...); r.code == 0 || !strings.Contains(r.stderr, "PAID") {
		t.Errorf("payments list --status PAID: exit %d, stderr %q; want a refusal naming it", r.code, r.stderr)
	}

	shown := cli("payments", "show", "--client-id", "SHOP_A", "--payment-request-id", "A2").stdout
	for _, want := range []string{ids[2], "PROCESSING", "9903 USD"} {
		if !strings.Contains(shown, want) {
			t.Errorf("payments show:\n%s\nwant it to contain %q", shown, want)
		}
	}

	out := cli("payments", "resolve", "--payment-id", ids[2], "--outcome", "fail", "--code", "USER_BALANCE_NOT_ENOUGH").stdout
	if !strings.Contains(out, "FAIL (USER_BALANCE_NOT_ENOUGH)") {
		t.Errorf("payments resolve: stdout %q", out)
	}
	var detail struct {
		Payment struct {
			Status, ResultCode string
		} `json:"payment"`
		Notifications []struct {
			Kind, State string
		} `json:"notifications"`
	}
	if err := json.Unmarshal([]byte(cli("payments", "show", "--json", "--payment-id", ids[2]).stdout), &detail); err != nil {
		t.Fatal(err)
	}
	if detail.Payment.Status != "FAIL" || detail.Payment.ResultCode != "USER_BALANCE_NOT_ENOUGH" || len(detail.Notifications) != 1 ||
		detail.Notifications[0].Kind != "notifyPayment" || detail.Notifications[0].State != "pending" {
		t.Errorf("payments show --json after resolve = %+v, want FAIL with a pending notifyPayment", detail)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--payment-id", ids[2], "--outcome", "success"}, "not PROCESSING"},
		{[]string{"--payment-id", ids[0], "--outcome", "fail", "--code", "SUCCESS"}, "not a result code of status F"},
		{[]string{"--payment-id", ids[0], "--outcome", "maybe"}, "want success, fail or close"},
		{[]string{"--payment-request-id", "A1", "--outcome", "close"}, "name the payment"},
		{[]string{"--payment-id", "nope", "--outcome", "close"}, "no payment nope"},
	} {
		r := runCLI(t, "", append(append([]string{"payments", "resolve"}, c.args...), storeArgs...)...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("payments resolve %v: exit %d, stderr %q; want a refusal saying %q", c.args, r.code, r.stderr, c.want)
		}
	}
}
