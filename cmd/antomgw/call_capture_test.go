package main

import (
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
)

// TestCallCapture: call pay --authorization --capture-mode MANUAL, then
// call capture in two parts (the second by the merchant's paymentRequestId,
// with --last), and the refusal that follows.
func TestCallCapture(t *testing.T) {
	g := newCLIGateway(t)
	id := callID("CLIAUTH")
	r := g.run(t, "pay", "--payment-request-id", id, "--amount", "1000", "--scenario", "cashier",
		"--payment-method-type", "CARD", "--authorization", "--capture-mode", "MANUAL")
	pay := answerOf(t, r)
	paymentID, _ := pay["paymentId"].(string)
	if r.code != 1 || status(pay) != "U PAYMENT_IN_PROCESS" || paymentID == "" {
		t.Fatalf("pay --authorization: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	g.Advance(t, gatewaytest.DefaultSimDelay) // the card holder pays
	if p := g.payment(t, paymentID); !p.Authorization || p.CaptureMode != "MANUAL" || p.AuthState != gateway.AuthAuthorised {
		t.Fatalf("payment after the wallet's delay: authorization %v, mode %q, state %q; want an AUTHORISED MANUAL authorisation", p.Authorization, p.CaptureMode, p.AuthState)
	}

	r = g.run(t, "capture", "--capture-request-id", callID("CLICAP"), "--payment-id", paymentID, "--amount", "400")
	if m := answerOf(t, r); r.code != 0 || status(m) != "S SUCCESS" || m["captureId"] == nil || m["captureTime"] == nil {
		t.Fatalf("capture 400: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	r = g.run(t, "capture", "--capture-request-id", callID("CLICAP"), "--payment-request-id", id, "--amount", "100", "--last")
	if m := answerOf(t, r); r.code != 0 || status(m) != "S SUCCESS" || !strings.Contains(r.stderr, "is paymentId "+paymentID) {
		t.Fatalf("capture --last by paymentRequestId: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	r = g.run(t, "capture", "--capture-request-id", callID("CLICAP"), "--payment-id", paymentID, "--amount", "100")
	if m := answerOf(t, r); r.code != 1 || status(m) != "F ORDER_STATUS_INVALID" {
		t.Fatalf("capture after the last: exit %d, %s; want exit 1 with F ORDER_STATUS_INVALID", r.code, r.stdout)
	}
	if p := g.payment(t, paymentID); p.Captured != 500 || p.AuthState != gateway.AuthCaptured {
		t.Errorf("payment: captured %d, state %s; want 500, CAPTURED", p.Captured, p.AuthState)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"capture", "--payment-id", "P", "--amount", "1"}, "--capture-request-id, --payment-id (or --payment-request-id) and --amount are required"},
		{[]string{"capture", "--capture-request-id", "C", "--payment-id", "P", "--family", "omnichannel", "--amount", "1"}, "omnichannel v2 has no capture API"},
		{[]string{"capture", "--body-file", "x.json", "--last"}, "--last builds the body"},
	} {
		r := g.run(t, c.args[0], c.args[1:]...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("call %q: exit %d, stderr %q; want exit 2 with %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// payment returns a payment of the registered client as stored.
func (g *cliGateway) payment(t *testing.T, id string) *gateway.Payment {
	t.Helper()
	p, err := g.Store().Payment(t.Context(), g.ClientID(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
