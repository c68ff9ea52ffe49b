package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// addRules registers the test client in the store and adds rules for it.
func (e *env) addRules(tb testing.TB, rules ...gateway.ScenarioRule) {
	tb.Helper()
	ctx := context.Background()
	if err := e.store.AddClient(ctx, gateway.Client{ID: client, CreatedAt: t0}, gateway.ClientKey{Version: 1, PublicKey: []byte{1}, CreatedAt: t0}); err != nil && !errors.Is(err, gateway.ErrConflict) {
		tb.Fatal(err)
	}
	for _, r := range rules {
		r.ClientID = client
		if _, err := e.svc.AddScenarioRule(ctx, r); err != nil {
			tb.Fatalf("AddScenarioRule(%+v): %v", r, err)
		}
	}
}

// rules returns the client's live rules for api, as the registry snapshot
// carries them.
func (e *env) rules(tb testing.TB, api gateway.ScenarioAPI) []gateway.ScenarioRule {
	tb.Helper()
	reg, err := e.store.LoadRegistry(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	var out []gateway.ScenarioRule
	for _, r := range reg.ScenarioRules {
		if r.ClientID == client && r.API == api {
			out = append(out, r)
		}
	}
	return out
}

func (e *env) payRuled(tb testing.TB, requestID string, value int64) *gateway.PayResult {
	tb.Helper()
	in := payInput(requestID, value)
	in.Rules = e.rules(tb, gateway.ScenarioPay)
	res, err := e.svc.Pay(context.Background(), in)
	if err != nil {
		tb.Fatalf("Pay(%s): %v", requestID, err)
	}
	return res
}

func resultRule(api gateway.ScenarioAPI, code, status string) gateway.ScenarioRule {
	return gateway.ScenarioRule{API: api, Count: 1, Effect: gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: code, ResultStatus: status}}
}

func TestScenarioPayResult(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		e.addRules(t, resultRule(gateway.ScenarioPay, "RISK_REJECT", "F"))
		r := e.payRuled(t, "F1", 1000)
		if r.Fired == nil || r.Payment.Status != gateway.PaymentFail || r.Payment.ResultCode != "RISK_REJECT" {
			t.Fatalf("pay under an F rule: %+v", r)
		}
		d := e.show(t, r.Payment.ID)
		if n := paymentNotifications(d); len(n) != 1 || !strings.Contains(string(n[0].Body), `"FAIL"`) {
			t.Errorf("notifications of the FAIL payment: %+v, want one notifyPayment FAIL", n)
		}
		if again := e.payRuled(t, "F1", 1000); !again.Replay || again.Fired != nil || again.Payment.ResultCode != "RISK_REJECT" {
			t.Errorf("replay: %+v", again)
		}
		if next := e.payRuled(t, "F2", 1000); next.Fired != nil || next.Payment.Status != gateway.PaymentSuccess {
			t.Errorf("the pay after: %+v", next)
		}
	})
}

func TestScenarioPaySuccessAndRequestLevel(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		e.addRules(t, resultRule(gateway.ScenarioPay, "SUCCESS", "S"), resultRule(gateway.ScenarioPay, "REQUEST_TRAFFIC_EXCEED_LIMIT", "U"))
		// amountPending would stay PROCESSING: the S rule pays it at once.
		if r := e.payRuled(t, "S1", amountPending); r.Fired == nil || r.Payment.Status != gateway.PaymentSuccess {
			t.Fatalf("pay under an S rule: %+v", r)
		}
		r := e.payRuled(t, "T1", 1000)
		if r.Fired == nil || r.Payment != nil {
			t.Fatalf("pay under a REQUEST_TRAFFIC_EXCEED_LIMIT rule: %+v, want no payment", r)
		}
		if again := e.payRuled(t, "T1", 1000); again.Fired != nil || again.Payment == nil || again.Payment.Status != gateway.PaymentSuccess {
			t.Errorf("the same request again: %+v, want paid as usual", again)
		}
	})
}

func TestScenarioPayUnknownThen(t *testing.T) {
	for _, c := range []struct {
		then       string
		want       gateway.PaymentStatus
		wantCode   string
		jobsBefore int
	}{
		{gateway.ThenSuccess, gateway.PaymentSuccess, gateway.CodeSuccess, 0},
		{"fail:USER_PAYMENT_VERIFICATION_FAILED", gateway.PaymentFail, "USER_PAYMENT_VERIFICATION_FAILED", 0},
		{gateway.ThenNever, gateway.PaymentProcessing, "", 0},
	} {
		t.Run(c.then, func(t *testing.T) {
			eachProcessor(t, func(t *testing.T, e *env) {
				r0 := resultRule(gateway.ScenarioPay, "UNKNOWN_EXCEPTION", "U")
				r0.Effect.Then, r0.Effect.ThenAfter = c.then, time.Minute
				e.addRules(t, r0)
				r := e.payRuled(t, "U1", 1000)
				if r.Payment == nil || r.Payment.Status != gateway.PaymentProcessing || r.Code != "UNKNOWN_EXCEPTION" {
					t.Fatalf("pay under a U rule: %+v", r)
				}
				e.clock.Add(time.Minute)
				e.runJobs(t)
				p := e.show(t, r.Payment.ID).Payment
				if p.Status != c.want || p.ResultCode != c.wantCode {
					t.Errorf("a minute later: %s %s, want %s %s", p.Status, p.ResultCode, c.want, c.wantCode)
				}
			})
		})
	}
}

func TestScenarioPayEdgeEffectsKeepDecision(t *testing.T) {
	for _, eff := range []gateway.ScenarioEffect{
		{Kind: gateway.EffectDrop},
		{Kind: gateway.EffectDelay, Delay: time.Second},
		{Kind: gateway.EffectHTTP5xx, HTTPStatus: 502},
	} {
		t.Run(string(eff.Kind), func(t *testing.T) {
			eachProcessor(t, func(t *testing.T, e *env) {
				e.addRules(t, gateway.ScenarioRule{API: gateway.ScenarioPay, Count: 1, Effect: eff})
				r := e.payRuled(t, "E1", amountLater)
				if r.Fired == nil || r.Fired.Effect != eff || r.Payment.Status != gateway.PaymentProcessing || r.Code != gateway.CodePaymentInProcess {
					t.Fatalf("pay: %+v, want the wallet's decision and the rule fired", r)
				}
				if again := e.payRuled(t, "E1", amountLater); again.Fired != nil {
					t.Errorf("the same request again fired %v", again.Fired)
				}
			})
		})
	}
}

func TestScenarioRefund(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := resultRule(gateway.ScenarioRefund, "REFUND_IN_PROCESS", "U")
		u.Effect.Then, u.Effect.ThenAfter = "fail:MERCHANT_BALANCE_NOT_ENOUGH", time.Minute
		e.addRules(t, resultRule(gateway.ScenarioRefund, "REFUND_AMOUNT_EXCEED", "F"), u)
		p := e.pay(t, "P1", 1000).Payment
		refund := func(id string) *gateway.RefundResult {
			t.Helper()
			r, err := e.svc.Refund(ctx, gateway.RefundInput{ClientID: client, RequestID: id, PaymentID: p.ID,
				Amount: gateway.Money{Value: 1000, Currency: "USD"}, Rules: e.rules(t, gateway.ScenarioRefund)})
			if err != nil {
				t.Fatalf("Refund(%s): %v", id, err)
			}
			return r
		}
		if r := refund("R1"); r.Refund.Status != gateway.RefundFail || r.Refund.ResultCode != "REFUND_AMOUNT_EXCEED" || e.show(t, p.ID).Payment.Refunded != 0 {
			t.Fatalf("refund under an F rule: %+v", r.Refund)
		}
		r := refund("R2")
		if r.Refund.Status != gateway.RefundProcessing || e.show(t, p.ID).Payment.Refunded != 1000 {
			t.Fatalf("refund under a U rule: %+v", r.Refund)
		}
		e.clock.Add(time.Minute)
		e.runJobs(t)
		if d := e.show(t, p.ID); d.Payment.Refunded != 0 {
			t.Errorf("after the U refund failed: refunded %d, want 0", d.Payment.Refunded)
		}
		if r := refund("R3"); r.Fired != nil || r.Refund.Status != gateway.RefundSuccess {
			t.Errorf("the refund after the rules: %+v", r.Refund)
		}
	})
}

func TestScenarioFireAndNotify(t *testing.T) {
	e := newEnv(t, true)
	ctx := context.Background()
	e.addRules(t,
		gateway.ScenarioRule{API: gateway.ScenarioInquiryPayment, Count: 1, Match: gateway.ScenarioMatch{RequestID: "ORDER_*"},
			Effect: gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "UNKNOWN_EXCEPTION", ResultStatus: "U"}},
		gateway.ScenarioRule{API: gateway.ScenarioNotify, Count: 1, Effect: gateway.ScenarioEffect{Kind: gateway.EffectNotifyFail, NotifyTimeout: true}})
	rules := e.rules(t, gateway.ScenarioInquiryPayment)
	if f, err := e.svc.FireScenario(ctx, rules, gateway.ScenarioCall{API: gateway.ScenarioInquiryPayment, Ref: "OTHER_1"}); err != nil || f != nil {
		t.Fatalf("a call the match leaves out fired %v (%v)", f, err)
	}
	if f, err := e.svc.FireScenario(ctx, rules, gateway.ScenarioCall{API: gateway.ScenarioInquiryPayment, Ref: "ORDER_1"}); err != nil || f == nil {
		t.Fatalf("FireScenario: %v %v, want the rule", f, err)
	}
	if f, _ := e.svc.FireScenario(ctx, rules, gateway.ScenarioCall{API: gateway.ScenarioInquiryPayment, Ref: "ORDER_2"}); f != nil {
		t.Fatalf("a count-1 rule fired twice (the snapshot was stale on purpose)")
	}

	p := e.pay(t, "N1", 1000).Payment
	n := paymentNotifications(e.show(t, p.ID))[0]
	a, after, fired, err := gateway.FailNotificationByRule(ctx, e.store, e.rules(t, gateway.ScenarioNotify), n, e.clock.Now(), nil)
	if err != nil || !fired || a.Outcome != gateway.OutcomeTimeout || a.Number != 1 || !after.Pending() {
		t.Fatalf("FailNotificationByRule: %+v %+v %v %v", a, after, fired, err)
	}
	if _, _, fired, _ := gateway.FailNotificationByRule(ctx, e.store, e.rules(t, gateway.ScenarioNotify), n, e.clock.Now(), nil); fired {
		t.Error("an exhausted notify rule fired again")
	}
	fs, err := e.svc.ScenarioFirings(ctx, client, 0)
	if err != nil || len(fs) != 2 || fs[0].API != gateway.ScenarioNotify || fs[0].Ref != n.ID || fs[1].Ref != "ORDER_1" {
		t.Errorf("firings %+v %v", fs, err)
	}
}

func TestCheckScenarioRule(t *testing.T) {
	ok := gateway.ScenarioRule{ClientID: "C", API: gateway.ScenarioPay, Count: 1, Effect: gateway.ScenarioEffect{Kind: gateway.EffectDrop}}
	for _, c := range []struct {
		field  string
		change func(r *gateway.ScenarioRule)
	}{
		{"client-id", func(r *gateway.ScenarioRule) { r.ClientID = "" }},
		{"api", func(r *gateway.ScenarioRule) { r.API = "capture2" }},
		{"api", func(r *gateway.ScenarioRule) { r.API = gateway.ScenarioNotify }},
		{"count", func(r *gateway.ScenarioRule) { r.Count = -1 }},
		{"request-id", func(r *gateway.ScenarioRule) { r.Match.RequestID = "[" }},
		{"delay", func(r *gateway.ScenarioRule) { r.Effect = gateway.ScenarioEffect{Kind: gateway.EffectDelay} }},
		{"http-status", func(r *gateway.ScenarioRule) {
			r.Effect = gateway.ScenarioEffect{Kind: gateway.EffectHTTP5xx, HTTPStatus: 404}
		}},
		{"result-code", func(r *gateway.ScenarioRule) {
			r.Effect = gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "X"}
		}},
		{"then", func(r *gateway.ScenarioRule) {
			r.Effect = gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "X", ResultStatus: "U", Then: "later"}
		}},
		{"then", func(r *gateway.ScenarioRule) {
			r.Effect = gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "X", ResultStatus: "F", Then: "success"}
		}},
		{"notify-fail", func(r *gateway.ScenarioRule) {
			r.API, r.Effect = gateway.ScenarioNotify, gateway.ScenarioEffect{Kind: gateway.EffectNotifyFail, NotifyStatus: 200}
		}},
	} {
		r := ok
		c.change(&r)
		err := gateway.CheckScenarioRule(&r)
		var ge *gateway.Error
		if !errors.As(err, &ge) || ge.Kind != gateway.KindInvalid || ge.Field != c.field {
			t.Errorf("%+v: %v, want KindInvalid naming %s", r, err, c.field)
		}
	}
	if err := gateway.CheckScenarioRule(&ok); err != nil {
		t.Errorf("a valid rule: %v", err)
	}
	u := ok
	u.Effect = gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "UNKNOWN_EXCEPTION", ResultStatus: "U"}
	if err := gateway.CheckScenarioRule(&u); err != nil || u.Effect.Then != gateway.ThenSuccess {
		t.Errorf("a U rule without then: %v, then %q; want success by default", err, u.Effect.Then)
	}
}

func TestScenarioMatch(t *testing.T) {
	amount := int64(1250)
	r := gateway.ScenarioRule{API: gateway.ScenarioPay, Match: gateway.ScenarioMatch{Amount: &amount, Currency: "usd", RequestID: "POS_*",
		ProductCode: gateway.ProductInStore, Scenario: gateway.ScenarioPaymentCode}}
	call := gateway.ScenarioCall{API: gateway.ScenarioPay, Ref: "POS_1", Amount: &gateway.Money{Value: 1250, Currency: "USD"},
		ProductCode: gateway.ProductInStore, Scenario: gateway.ScenarioPaymentCode}
	if !r.Matches(call) {
		t.Fatal("the call the rule describes does not match")
	}
	for name, change := range map[string]func(c *gateway.ScenarioCall){
		"api":      func(c *gateway.ScenarioCall) { c.API = gateway.ScenarioRefund },
		"amount":   func(c *gateway.ScenarioCall) { c.Amount = &gateway.Money{Value: 1, Currency: "USD"} },
		"currency": func(c *gateway.ScenarioCall) { c.Amount = &gateway.Money{Value: 1250, Currency: "EUR"} },
		"request":  func(c *gateway.ScenarioCall) { c.Ref = "WEB_1" },
		"product":  func(c *gateway.ScenarioCall) { c.ProductCode = gateway.ProductCashier },
		"scenario": func(c *gateway.ScenarioCall) { c.Scenario = gateway.ScenarioOrderCode },
	} {
		c := call
		change(&c)
		if r.Matches(c) {
			t.Errorf("%s changed, the rule still matches", name)
		}
	}
}

// BenchmarkPayScenarioRules measures what rules cost the pay path: none
// (the common case: no store read), rules of another API (filtered out of
// the snapshot) and a rule that fires on every call (one more UPDATE and
// INSERT in the payment's transaction).
func BenchmarkPayScenarioRules(b *testing.B) {
	for _, c := range []struct {
		name  string
		rules []gateway.ScenarioRule
	}{
		{"none", nil},
		{"firing", []gateway.ScenarioRule{{API: gateway.ScenarioPay, Effect: gateway.ScenarioEffect{Kind: gateway.EffectDelay, Delay: time.Second}}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b, true)
			e.addRules(b, c.rules...)
			rules := e.rules(b, gateway.ScenarioPay)
			i := 0
			for b.Loop() {
				i++
				in := payInput(fmt.Sprintf("B%d", i), 1000)
				in.Rules = rules
				if _, err := e.svc.Pay(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
