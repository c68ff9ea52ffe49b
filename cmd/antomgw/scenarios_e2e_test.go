package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// sdkClient is an SDK client of m for the server p, without retries (so
// that a lost answer is seen as lost).
func sdkClient(t *testing.T, e *e2e, p *gatewaytest.Process, m *merchant) *antomgw.Client {
	t.Helper()
	c, err := antomgw.NewClient(antomgw.Config{ClientID: m.id, PrivateKey: m.keys[1], GatewayKeys: e.gatewayKeys,
		BaseURL: p.URL, HTTPClient: p.Client, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sdkPay(id string) *antomgw.PayRequest {
	return &antomgw.PayRequest{ProductCode: antomgw.ProductInStore, PaymentRequestID: id,
		Order:         &antomgw.Order{ReferenceOrderID: "ORDER_" + id},
		PaymentAmount: antomgw.Amount{Currency: "USD", Value: "1250"},
		PaymentMethod: antomgw.PaymentMethod{PaymentMethodType: "CONNECT_WALLET", PaymentMethodID: "281012345678"},
		PaymentFactor: &antomgw.PaymentFactor{InStorePaymentScenario: antomgw.ScenarioPaymentCode}}
}

// TestE2EScenarioResultCode is the first "done when": after
// "antomgw scenarios add --client-id C --api pay --result-code
// USER_AMOUNT_EXCEED_LIMIT" on a running server's data, the next pay of C
// answers F USER_AMOUNT_EXCEED_LIMIT, inquiry says FAIL with that code,
// and the pay after it is decided as usual.
func TestE2EScenarioResultCode(t *testing.T) {
	t.Parallel()
	e, s, m := newServing(t, "E2E_SCENARIO_F")
	out := e.cli("scenarios", "add", "--data", e.data, "--client-id", m.id, "--api", "pay", "--result-code", "USER_AMOUNT_EXCEED_LIMIT")
	if !strings.Contains(out, "F USER_AMOUNT_EXCEED_LIMIT") {
		t.Fatalf("scenarios add: %q", out)
	}
	c := sdkClient(t, e, s, m)
	ctx := context.Background()
	if _, err := c.Pay(ctx, sdkPay("SC_F_1")); !antomgw.IsCode(err, "USER_AMOUNT_EXCEED_LIMIT") || !antomgw.IsFail(err) {
		t.Fatalf("Pay: %v, want F USER_AMOUNT_EXCEED_LIMIT", err)
	}
	inq, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: "SC_F_1"})
	if err != nil || inq.PaymentStatus != antomgw.PaymentStatusFail || inq.PaymentResultCode != "USER_AMOUNT_EXCEED_LIMIT" {
		t.Fatalf("InquiryPayment = %+v, %v; want FAIL USER_AMOUNT_EXCEED_LIMIT", inq, err)
	}
	if resp, err := c.Pay(ctx, sdkPay("SC_F_2")); err != nil || resp.Result.Status != wire.StatusSuccess {
		t.Fatalf("the next pay: %+v, %v; want S as usual", resp, err)
	}
	list := e.cli("scenarios", "list", "--data", e.data, "--json")
	var doc struct {
		Rules []struct {
			ID        string `json:"id"`
			Fired     int    `json:"fired"`
			Exhausted bool   `json:"exhausted"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(list), &doc); err != nil || len(doc.Rules) != 1 || doc.Rules[0].Fired != 1 || !doc.Rules[0].Exhausted {
		t.Fatalf("scenarios list --json: %v\n%s", err, list)
	}
	e.cli("scenarios", "remove", "--data", e.data, "--id", doc.Rules[0].ID)
	if r := e.try("scenarios", "remove", "--data", e.data, "--id", doc.Rules[0].ID); r.ExitCode == 0 {
		t.Errorf("removing a removed rule exited 0")
	}
}

// TestE2EScenarioDropAnswer is the second "done when": with a drop rule on
// pay, the client gets no answer, inquiry says SUCCESS, and the same
// request again replays the SUCCESS with x-idempotent-replay: true.
func TestE2EScenarioDropAnswer(t *testing.T) {
	t.Parallel()
	e, s, m := newServing(t, "E2E_SCENARIO_DROP")
	e.cli("scenarios", "add", "--data", e.data, "--client-id", m.id, "--api", "pay", "--drop")
	c := sdkClient(t, e, s, m)
	ctx := context.Background()
	req := sdkPay("SC_DROP_1")
	resp, err := c.Pay(ctx, req)
	var ae *antomgw.Error
	if !errors.As(err, &ae) || ae.StatusCode != 0 || ae.Result.Status != "" || resp != nil {
		t.Fatalf("Pay: %+v, %v; want no answer", resp, err)
	}
	inq, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: req.PaymentRequestID})
	if err != nil || inq.PaymentStatus != antomgw.PaymentStatusSuccess {
		t.Fatalf("InquiryPayment = %+v, %v; want SUCCESS", inq, err)
	}
	body, _ := json.Marshal(req)
	raw, err := c.Do(ctx, antomgw.APIPay, body)
	if err != nil || raw.Result.Status != wire.StatusSuccess || raw.Header.Get("x-idempotent-replay") != "true" {
		t.Fatalf("the same request again: %+v, %v; want S with x-idempotent-replay: true", raw, err)
	}
}

// TestScenariosAddUsage: the flags are checked before anything is stored.
func TestScenariosAddUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--client-id", "C", "--api", "pay"}, "give one effect"},
		{[]string{"--client-id", "C", "--api", "pay", "--drop", "--delay", "1s"}, "one effect per rule"},
		{[]string{"--client-id", "C", "--api", "pay", "--result-code", "NOT_A_CODE"}, "--result-status"},
		{[]string{"--client-id", "C", "--api", "pay", "--result-code", "SUCCESS", "--result-status", "F"}, "has status S"},
		{[]string{"--client-id", "C", "--api", "pay", "--drop", "--count", "0"}, "--count must be 1 or more"},
		{[]string{"--client-id", "C", "--api", "pay", "--drop", "--then", "success"}, "--then and --then-after go with --result-code"},
		{[]string{"--client-id", "C", "--api", "pay", "--notify-fail", "x"}, "not an HTTP status or timeout"},
	} {
		var stdout, stderr strings.Builder
		dir := t.TempDir()
		args := append([]string{"scenarios", "add", "--data", dir}, c.args...)
		code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error saying %q", c.args, code, stderr.String(), c.want)
		}
	}
}
