package antomgw_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// Scenario rules on the online-checkout APIs end to end through the SDK
// (docs/simulator.md).

// authorised makes a MANUAL card authorisation of value USD notified to
// inbox, waits for the card holder, and returns its paymentId.
func authorised(t *testing.T, g *gatewaytest.Gateway, c *antomgw.Client, notifyURL, value string) string {
	t.Helper()
	req := authPay(newID("SC_AUTH"), value)
	req.PaymentNotifyURL = notifyURL
	pay, err := c.Pay(context.Background(), req)
	if !antomgw.IsCode(err, wire.CodePaymentInProcess) || pay == nil || pay.PaymentID == "" {
		t.Fatalf("Pay (authorisation) = %+v, %v; want U PAYMENT_IN_PROCESS with a paymentId", pay, err)
	}
	g.Advance(t, gatewaytest.DefaultSimDelay)
	return pay.PaymentID
}

// captureEntries returns the CAPTURE transactions of a payment, as
// inquiryPayment answers them.
func captureEntries(t *testing.T, c *antomgw.Client, paymentID string) []antomgw.Transaction {
	t.Helper()
	inq, err := c.InquiryPayment(context.Background(), &antomgw.InquiryPaymentRequest{PaymentID: paymentID})
	if err != nil {
		t.Fatalf("InquiryPayment: %v", err)
	}
	var out []antomgw.Transaction
	for _, tx := range inq.Transactions {
		if tx.TransactionType == "CAPTURE" {
			out = append(out, tx)
		}
	}
	return out
}

// TestScenarioCaptureFail: a capture rule's F code is answered, recorded
// as a FAIL capture and notified (notifyCapture F, verified by the SDK);
// the authorisation stays whole for the next capture.
func TestScenarioCaptureFail(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t, noRetries)
	ctx := context.Background()
	var inbox notifications
	merchant := httptest.NewServer(inbox.handler(c))
	defer merchant.Close()
	paymentID := authorised(t, g, c, merchant.URL+"/antom/notify", "1000")
	inbox.take()

	rule := addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioCapture, Effect: gateway.ScenarioEffect{
		Kind: gateway.EffectResult, ResultCode: "USER_BALANCE_NOT_ENOUGH", ResultStatus: "F"}})
	capID := newID("SC_CAP")
	_, err := c.Capture(ctx, &antomgw.CaptureRequest{CaptureRequestID: capID, PaymentID: paymentID,
		CaptureAmount: antomgw.Amount{Currency: "USD", Value: "1000"}})
	if !antomgw.IsCode(err, "USER_BALANCE_NOT_ENOUGH") {
		t.Fatalf("Capture under an F rule: %v, want F USER_BALANCE_NOT_ENOUGH", err)
	}
	if x := lastExchange(t, g, "capture"); x.RuleID != rule.ID {
		t.Errorf("the exchange names rule %q, want %s", x.RuleID, rule.ID)
	}
	g.Step(t)
	got, errs := inbox.take()
	if len(errs) != 0 || len(got) != 1 || got[0].Kind != antomgw.KindCapture || got[0].Capture.Result.Status != wire.StatusFail ||
		got[0].Capture.Result.Code != "USER_BALANCE_NOT_ENOUGH" || got[0].Capture.CaptureRequestID != capID {
		t.Fatalf("notifications after the failed capture: %+v, errors %v; want one verified notifyCapture F USER_BALANCE_NOT_ENOUGH", got, errs)
	}
	if es := captureEntries(t, c, paymentID); len(es) != 1 || es[0].TransactionStatus != "FAIL" || es[0].TransactionRequestID != capID {
		t.Errorf("CAPTURE entries = %+v, want one FAIL for %s", es, capID)
	}
	ok, err := c.Capture(ctx, &antomgw.CaptureRequest{CaptureRequestID: newID("SC_CAP"), PaymentID: paymentID,
		CaptureAmount: antomgw.Amount{Currency: "USD", Value: "1000"}})
	if err != nil || ok.Result.Status != wire.StatusSuccess {
		t.Fatalf("the capture after: %+v, %v; want S for the whole authorisation", ok, err)
	}
}

// TestScenarioCaptureDrop: the capture is made, its answer lost; the
// inquiry shows it, and the same request replays it with
// x-idempotent-replay: true.
func TestScenarioCaptureDrop(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t, noRetries)
	ctx := context.Background()
	paymentID := authorised(t, g, c, "", "1000")
	addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioCapture, Effect: gateway.ScenarioEffect{Kind: gateway.EffectDrop}})

	req := &antomgw.CaptureRequest{CaptureRequestID: newID("SC_CAPDROP"), PaymentID: paymentID,
		CaptureAmount: antomgw.Amount{Currency: "USD", Value: "600"}}
	resp, err := c.Capture(ctx, req)
	var ae *antomgw.Error
	if !errors.As(err, &ae) || ae.StatusCode != 0 || resp != nil {
		t.Fatalf("Capture under a drop rule: %+v, %v; want no answer at all", resp, err)
	}
	es := captureEntries(t, c, paymentID)
	if len(es) != 1 || es[0].TransactionStatus != "SUCCESS" || es[0].TransactionRequestID != req.CaptureRequestID {
		t.Fatalf("CAPTURE entries = %+v, want the lost capture SUCCESS", es)
	}
	body, _ := json.Marshal(req)
	raw, err := c.Do(ctx, antomgw.APICapture, body)
	if err != nil || raw.Result.Status != wire.StatusSuccess || raw.Header.Get("x-idempotent-replay") != "true" {
		t.Fatalf("the same request again: %+v, %v; want the SUCCESS replayed with x-idempotent-replay: true", raw, err)
	}
	var again antomgw.CaptureResponse
	if err := json.Unmarshal(raw.Body, &again); err != nil || again.CaptureID != es[0].TransactionID {
		t.Fatalf("replayed captureId %q, want %s (%v)", again.CaptureID, es[0].TransactionID, err)
	}
	if es := captureEntries(t, c, paymentID); len(es) != 1 {
		t.Errorf("CAPTURE entries after the replay: %+v, want still one", es)
	}
}

// TestScenarioConsult5xx: consult answers HTTP 503 with its signed body
// once, then as usual.
func TestScenarioConsult5xx(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t, noRetries)
	ctx := context.Background()
	rule := addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioConsult, Effect: gateway.ScenarioEffect{Kind: gateway.EffectHTTP5xx, HTTPStatus: 503}})
	req := &antomgw.ConsultRequest{ProductCode: antomgw.ProductCashier,
		PaymentAmount: antomgw.Amount{Currency: "USD", Value: "2500"}, Env: &antomgw.Env{TerminalType: "WEB"}}
	_, err := c.Consult(ctx, req)
	var ae *antomgw.Error
	if !errors.As(err, &ae) || ae.StatusCode != 503 {
		t.Fatalf("Consult under a 503 rule: %v, want HTTP 503", err)
	}
	x := lastExchange(t, g, "consult")
	if x.HTTPStatus != 503 || x.RuleID != rule.ID || x.Result.Status != wire.StatusSuccess || len(x.ResponseHeader[wire.HeaderSignature]) == 0 {
		t.Errorf("exchange: HTTP %d, rule %q, result %v, signed %t; want 503 with the signed S body", x.HTTPStatus, x.RuleID, x.Result, len(x.ResponseHeader[wire.HeaderSignature]) != 0)
	}
	co, err := c.Consult(ctx, req)
	if err != nil || co.Result.Status != wire.StatusSuccess || len(co.PaymentOptions) == 0 {
		t.Fatalf("Consult again: %+v, %v; want S with options", co, err)
	}

	// A U code answers alone; a rule matching another amount leaves the
	// call alone.
	other, amount := int64(1), int64(2500)
	addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioConsult, Match: gateway.ScenarioMatch{Amount: &other},
		Effect: gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "SYSTEM_ERROR", ResultStatus: "F"}})
	addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioConsult, Match: gateway.ScenarioMatch{Amount: &amount},
		Effect: gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "UNKNOWN_EXCEPTION", ResultStatus: "U"}})
	if _, err := c.Consult(ctx, req); !antomgw.IsCode(err, wire.CodeUnknownException) {
		t.Fatalf("Consult under a U rule: %v, want U UNKNOWN_EXCEPTION", err)
	}
	if co, err := c.Consult(ctx, req); err != nil || co.Result.Status != wire.StatusSuccess {
		t.Fatalf("Consult after the rule: %+v, %v; want S (the rule for amount 1 does not match)", co, err)
	}
}

// TestScenarioSessionFail: createPaymentSession's F creates no session
// (retrievePaymentSession finds none); the request sent again creates it.
func TestScenarioSessionFail(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t, noRetries)
	ctx := context.Background()
	addRule(t, g, gateway.ScenarioRule{API: gateway.ScenarioCreateSession, Effect: gateway.ScenarioEffect{
		Kind: gateway.EffectResult, ResultCode: "NO_PAY_OPTIONS", ResultStatus: "F"}})
	id := newID("SC_SESS")
	req := &antomgw.CreatePaymentSessionRequest{
		ProductCode: antomgw.ProductCashier, PaymentRequestID: id,
		Order:              &antomgw.Order{ReferenceOrderID: "ORDER_" + id},
		PaymentAmount:      antomgw.Amount{Currency: "USD", Value: "2500"},
		PaymentRedirectURL: "https://shop.example/return",
	}
	if _, err := c.CreatePaymentSession(ctx, req); !antomgw.IsCode(err, "NO_PAY_OPTIONS") {
		t.Fatalf("CreatePaymentSession under an F rule: %v, want F NO_PAY_OPTIONS", err)
	}
	if _, err := c.RetrievePaymentSession(ctx, &antomgw.RetrievePaymentSessionRequest{PaymentRequestID: id}); !antomgw.IsCode(err, wire.CodeOrderNotExist) {
		t.Fatalf("RetrievePaymentSession after the F: %v, want ORDER_NOT_EXIST", err)
	}
	cs, err := c.CreatePaymentSession(ctx, req)
	if err != nil || cs.PaymentSessionID == "" {
		t.Fatalf("CreatePaymentSession again: %+v, %v; want a session", cs, err)
	}
}
