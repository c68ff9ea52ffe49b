package antomgw_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/traffic"
	"github.com/antomgw/antomgw/wire"
)

// Error scenario simulation end to end through the SDK: one test per
// effect (docs/simulator.md).

func addRule(t *testing.T, g *gatewaytest.Gateway, r gateway.ScenarioRule) *gateway.ScenarioRule {
	t.Helper()
	if r.ClientID == "" {
		r.ClientID = g.ClientID()
	}
	if r.Count == 0 {
		r.Count = 1
	}
	added, err := g.Service().AddScenarioRule(context.Background(), r)
	if err != nil {
		t.Fatalf("AddScenarioRule: %v", err)
	}
	return added
}

// lastExchange returns the newest exchange of api the gateway recorded.
func lastExchange(t *testing.T, g *gatewaytest.Gateway, api string) *traffic.Exchange {
	t.Helper()
	for _, x := range g.Node().Traffic.List(traffic.Filter{}) {
		if x.API == api {
			return x
		}
	}
	t.Fatalf("no %s exchange recorded", api)
	return nil
}

func noRetries(c *antomgw.Config) { c.MaxRetries = -1 }

func TestScenarioResultCode(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t, noRetries)
	ctx := context.Background()
	rule := addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioPay, Effect: gateway.ScenarioEffect{
		Kind: gateway.EffectResult, ResultCode: "USER_AMOUNT_EXCEED_LIMIT", ResultStatus: "F"}})

	id := newID("SC_F")
	_, err := c.Pay(ctx, inStorePay(id, "1250"))
	if !antomgw.IsCode(err, "USER_AMOUNT_EXCEED_LIMIT") {
		t.Fatalf("Pay under the rule: %v, want F USER_AMOUNT_EXCEED_LIMIT", err)
	}
	if x := lastExchange(t, g, "pay"); x.RuleID != rule.ID || x.Rule == "" {
		t.Errorf("the exchange names rule %q (%q), want %s", x.RuleID, x.Rule, rule.ID)
	}
	inq, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: id})
	if err != nil || inq.PaymentStatus != antomgw.PaymentStatusFail || inq.PaymentResultCode != "USER_AMOUNT_EXCEED_LIMIT" {
		t.Fatalf("InquiryPayment = %+v, %v; want FAIL USER_AMOUNT_EXCEED_LIMIT", inq, err)
	}
	next, err := c.Pay(ctx, inStorePay(newID("SC_F"), "1250"))
	if err != nil || next.Result.Status != wire.StatusSuccess {
		t.Fatalf("the pay after: %+v, %v; want S as usual", next, err)
	}

	// A U answer: PROCESSING, then as the rule says.
	addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioPay, Effect: gateway.ScenarioEffect{
		Kind: gateway.EffectResult, ResultCode: "UNKNOWN_EXCEPTION", ResultStatus: "U", Then: gateway.ThenSuccess, ThenAfter: time.Minute}})
	uid := newID("SC_U")
	_, err = c.Pay(ctx, inStorePay(uid, "1250"))
	if !antomgw.IsCode(err, wire.CodeUnknownException) {
		t.Fatalf("Pay under a U rule: %v, want U UNKNOWN_EXCEPTION", err)
	}
	if inq, _ := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: uid}); inq == nil || inq.PaymentStatus != antomgw.PaymentStatusProcessing {
		t.Fatalf("InquiryPayment before then-after = %+v, want PROCESSING", inq)
	}
	g.Advance(t, time.Minute)
	if inq, _ := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: uid}); inq == nil || inq.PaymentStatus != antomgw.PaymentStatusSuccess {
		t.Fatalf("InquiryPayment after then-after = %+v, want SUCCESS", inq)
	}

	// A refund F: the refund FAIL, the payment untouched.
	addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioRefund, Effect: gateway.ScenarioEffect{
		Kind: gateway.EffectResult, ResultCode: "REFUND_WINDOW_EXCEED", ResultStatus: "F"}})
	_, err = c.Refund(ctx, &antomgw.RefundRequest{RefundRequestID: newID("SC_RF"), PaymentID: next.PaymentID,
		RefundAmount: antomgw.Amount{Currency: "USD", Value: "1250"}})
	if !antomgw.IsCode(err, "REFUND_WINDOW_EXCEED") {
		t.Fatalf("Refund under the rule: %v, want F REFUND_WINDOW_EXCEED", err)
	}
	rf, err := c.Refund(ctx, &antomgw.RefundRequest{RefundRequestID: newID("SC_RF"), PaymentID: next.PaymentID,
		RefundAmount: antomgw.Amount{Currency: "USD", Value: "1250"}})
	if err != nil || rf.Result.Status != wire.StatusSuccess {
		t.Fatalf("the full refund after: %+v, %v; want S (the failed one refunded nothing)", rf, err)
	}

	// An inquiry answering U, changing nothing.
	addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioInquiryPayment, Effect: gateway.ScenarioEffect{
		Kind: gateway.EffectResult, ResultCode: "UNKNOWN_EXCEPTION", ResultStatus: "U"}})
	if _, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: id}); !antomgw.IsCode(err, wire.CodeUnknownException) {
		t.Fatalf("InquiryPayment under a U rule: %v", err)
	}
}

func TestScenarioDropAnswer(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t, noRetries)
	ctx := context.Background()
	addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioPay, Effect: gateway.ScenarioEffect{Kind: gateway.EffectDrop}})

	req := inStorePay(newID("SC_DROP"), "1250")
	resp, err := c.Pay(ctx, req)
	var ae *antomgw.Error
	if !errors.As(err, &ae) || ae.StatusCode != 0 || resp != nil {
		t.Fatalf("Pay under a drop rule: %+v, %v; want no answer at all", resp, err)
	}
	inq, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: req.PaymentRequestID})
	if err != nil || inq.PaymentStatus != antomgw.PaymentStatusSuccess {
		t.Fatalf("InquiryPayment = %+v, %v; want SUCCESS", inq, err)
	}
	body, _ := json.Marshal(req)
	raw, err := c.Do(ctx, antomgw.APIPay, body)
	if err != nil || raw.Result.Status != wire.StatusSuccess || raw.Header.Get("x-idempotent-replay") != "true" {
		t.Fatalf("the same request again: %+v, %v; want the SUCCESS replayed with x-idempotent-replay: true", raw, err)
	}
	var again antomgw.PayResponse
	if err := json.Unmarshal(raw.Body, &again); err != nil || again.PaymentID != inq.PaymentID {
		t.Fatalf("replayed paymentId %q, want %s (%v)", again.PaymentID, inq.PaymentID, err)
	}
}

func TestScenarioDelay(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t)
	rule := addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioPay, Effect: gateway.ScenarioEffect{Kind: gateway.EffectDelay, Delay: 20 * time.Millisecond}})
	resp, err := c.Pay(context.Background(), inStorePay(newID("SC_DELAY"), "1250"))
	if err != nil || resp.Result.Status != wire.StatusSuccess {
		t.Fatalf("Pay under a delay rule: %+v, %v; want S, late", resp, err)
	}
	x := lastExchange(t, g, "pay")
	if x.RuleID != rule.ID || x.Rule != "delay 20ms" {
		t.Errorf("exchange rule %q %q, want %s delay 20ms", x.RuleID, x.Rule, rule.ID)
	}
}

func TestScenarioHTTP5xx(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t, noRetries)
	ctx := context.Background()
	addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioPay, Effect: gateway.ScenarioEffect{Kind: gateway.EffectHTTP5xx, HTTPStatus: 503}})
	req := inStorePay(newID("SC_503"), "1250")
	_, err := c.Pay(ctx, req)
	var ae *antomgw.Error
	if !errors.As(err, &ae) || ae.StatusCode != 503 {
		t.Fatalf("Pay under a 503 rule: %v, want HTTP 503", err)
	}
	x := lastExchange(t, g, "pay")
	if x.HTTPStatus != 503 || x.Result.Status != wire.StatusSuccess || len(x.ResponseHeader[wire.HeaderSignature]) == 0 {
		t.Errorf("exchange: HTTP %d, result %v, signed %t; want 503 with the signed S body", x.HTTPStatus, x.Result, len(x.ResponseHeader[wire.HeaderSignature]) != 0)
	}
	resp, err := c.Pay(ctx, req)
	if err != nil || resp.Result.Status != wire.StatusSuccess {
		t.Fatalf("the same request again: %+v, %v; want S", resp, err)
	}
}

func TestScenarioNotifyFail(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t)
	var delivered atomic.Int64
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := c.ParseNotification(r); err != nil {
			http.Error(w, "unverified", http.StatusUnauthorized)
			return
		}
		delivered.Add(1)
		antomgw.WriteNotificationAck(w)
	}))
	defer merchant.Close()
	addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioNotify, Count: 2, Effect: gateway.ScenarioEffect{Kind: gateway.EffectNotifyFail, NotifyStatus: 503}})

	req := inStorePay(newID("SC_NF"), "1250")
	req.PaymentNotifyURL = merchant.URL + "/antom/notify"
	if _, err := c.Pay(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, attempts := g.Advance(t, time.Hour); attempts != 1 || delivered.Load() != 0 {
			t.Fatalf("attempt %d: %d attempts, %d delivered; want 1 attempt failed by the rule", i+1, attempts, delivered.Load())
		}
	}
	g.Advance(t, 6*time.Hour)
	if delivered.Load() != 1 {
		t.Fatalf("after the rule's two failures: %d deliveries, want 1", delivered.Load())
	}
	ns, err := g.Service().Notifications(context.Background(), gateway.NotificationFilter{})
	if err != nil || len(ns) != 1 {
		t.Fatalf("Notifications: %v %v", ns, err)
	}
	atts, err := g.Store().NotificationAttempts(context.Background(), ns[0].ID)
	if err != nil || len(atts) != 3 || atts[0].HTTPStatus != 503 || atts[1].HTTPStatus != 503 || atts[2].Outcome != gateway.OutcomeDelivered {
		t.Fatalf("attempts %+v, %v; want 503, 503, delivered", atts, err)
	}
}
