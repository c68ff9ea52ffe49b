package gateway_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// Scenario rules on the online-checkout APIs: capture and
// createPaymentSession (consult and retrievePaymentSession change nothing:
// their rules are claimed by FireScenario, see TestScenarioFireAndNotify).

func (e *env) captureRuled(tb testing.TB, requestID, paymentID string, value int64) *gateway.CaptureResult {
	tb.Helper()
	r, err := e.svc.Capture(context.Background(), gateway.CaptureInput{ClientID: client, RequestID: requestID,
		PaymentID: paymentID, Amount: gateway.Money{Value: value, Currency: "USD"}, Rules: e.rules(tb, gateway.ScenarioCapture)})
	if err != nil {
		tb.Fatalf("Capture(%s, %d): %v", requestID, value, err)
	}
	return r
}

func captureNotifications(d *gateway.PaymentDetail) []gateway.Notification {
	var out []gateway.Notification
	for _, n := range d.Notifications {
		if n.Notification.Kind == gateway.NotifyCapture {
			out = append(out, n.Notification)
		}
	}
	return out
}

// TestScenarioCaptureFail: an F rule records a FAIL capture with its code
// and notifies it; the authorisation is untouched; the processor is not
// asked; a replay replays the FAIL without firing.
func TestScenarioCaptureFail(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		p := e.authorise(t, "auth", 1000)
		e.addRules(t, resultRule(gateway.ScenarioCapture, "USER_BALANCE_NOT_ENOUGH", "F"))
		asked := e.proc.captures.Load()
		r := e.captureRuled(t, "cap-1", p.ID, 400)
		if r.Fired == nil || r.Capture == nil || r.Capture.Status != gateway.CaptureFail || r.Capture.ResultCode != "USER_BALANCE_NOT_ENOUGH" {
			t.Fatalf("capture under an F rule: %+v", r)
		}
		if n := e.proc.captures.Load() - asked; n != 0 {
			t.Errorf("the processor was asked %d times about a capture the rule decided", n)
		}
		d := e.show(t, p.ID)
		if d.Payment.Captured != 0 || d.Payment.Capturing != 0 || d.Payment.AuthState != gateway.AuthAuthorised || len(d.Captures) != 1 {
			t.Errorf("after the failed capture: captured %d, capturing %d, %s, %d captures; want 0, 0, AUTHORISED, 1",
				d.Payment.Captured, d.Payment.Capturing, d.Payment.AuthState, len(d.Captures))
		}
		if n := captureNotifications(d); len(n) != 1 || !strings.Contains(string(n[0].Body), `"captureStatus":"FAIL","code":"USER_BALANCE_NOT_ENOUGH"`) {
			t.Errorf("notifyCapture: %+v, want one FAIL USER_BALANCE_NOT_ENOUGH", n)
		}
		if again := e.captureRuled(t, "cap-1", p.ID, 400); !again.Replay || again.Fired != nil || again.Capture.ID != r.Capture.ID {
			t.Errorf("replay: %+v, want the recorded FAIL again, no rule fired", again)
		}
		if next := e.captureRuled(t, "cap-2", p.ID, 1000); next.Fired != nil || next.Capture.Status != gateway.CaptureSuccess {
			t.Errorf("the capture after a count-1 rule: %+v, want the whole authorisation captured", next.Capture)
		}
		fs, err := e.svc.ScenarioFirings(context.Background(), client, 0)
		if err != nil || len(fs) != 1 || fs[0].API != gateway.ScenarioCapture || fs[0].Ref != "cap-1" {
			t.Errorf("firings %+v %v, want one for cap-1", fs, err)
		}
	})
}

// TestScenarioCaptureUnknownThen: a U rule leaves the capture PROCESSING
// (its amount reserved) and settles it as Then says, once.
func TestScenarioCaptureUnknownThen(t *testing.T) {
	for _, c := range []struct {
		then                string
		want                gateway.CaptureStatus
		wantCode            string
		captured, capturing int64
		notified            int
	}{
		{gateway.ThenSuccess, gateway.CaptureSuccess, gateway.CodeSuccess, 600, 0, 1},
		{"fail:RISK_REJECT", gateway.CaptureFail, "RISK_REJECT", 0, 0, 1},
		{gateway.ThenNever, gateway.CaptureProcessing, "", 0, 600, 0},
	} {
		t.Run(c.then, func(t *testing.T) {
			eachProcessor(t, func(t *testing.T, e *env) {
				p := e.authorise(t, "auth", 1000)
				u := resultRule(gateway.ScenarioCapture, "UNKNOWN_EXCEPTION", "U")
				u.Effect.Then, u.Effect.ThenAfter = c.then, time.Minute
				e.addRules(t, u)
				asked := e.proc.captures.Load()
				r := e.captureRuled(t, "cap", p.ID, 600)
				if r.Fired == nil || r.Capture == nil || r.Capture.Status != gateway.CaptureProcessing {
					t.Fatalf("capture under a U rule: %+v", r)
				}
				if got := e.show(t, p.ID).Payment; got.Capturing != 600 || got.Captured != 0 {
					t.Errorf("while PROCESSING: capturing %d, captured %d; want 600 reserved", got.Capturing, got.Captured)
				}
				if _, err := e.capture("more", p.ID, 401, false); !errors.As(err, new(*gateway.Error)) {
					t.Errorf("a capture of more than is left while 600 are reserved: %v, want a refusal", err)
				}
				if dup := e.captureRuled(t, "cap", p.ID, 600); dup.Replay || dup.Fired != nil || dup.Capture.Status != gateway.CaptureProcessing {
					t.Errorf("the same request while PROCESSING: %+v, want PROCESSING, no rule fired", dup)
				}
				e.clock.Add(time.Minute)
				e.runJobs(t)
				d := e.show(t, p.ID)
				if len(d.Captures) != 1 || d.Captures[0].Status != c.want || d.Captures[0].ResultCode != c.wantCode ||
					d.Payment.Captured != c.captured || d.Payment.Capturing != c.capturing {
					t.Errorf("a minute later: %+v, payment captured %d capturing %d; want %s %s, %d, %d",
						d.Captures, d.Payment.Captured, d.Payment.Capturing, c.want, c.wantCode, c.captured, c.capturing)
				}
				if n := len(captureNotifications(d)); n != c.notified {
					t.Errorf("notifyCapture: %d, want %d", n, c.notified)
				}
				if n := e.proc.captures.Load() - asked; n != 0 {
					t.Errorf("the processor was asked %d times about a capture the rule decided", n)
				}
			})
		})
	}
}

// TestScenarioCaptureRequestLevel: a request-level code records nothing;
// the same request again is decided anew.
func TestScenarioCaptureRequestLevel(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		p := e.authorise(t, "auth", 1000)
		e.addRules(t, resultRule(gateway.ScenarioCapture, "PARAM_ILLEGAL", "F"))
		if r := e.captureRuled(t, "cap", p.ID, 1000); r.Fired == nil || r.Capture != nil {
			t.Fatalf("capture under a PARAM_ILLEGAL rule: %+v, want no capture", r)
		}
		if d := e.show(t, p.ID); len(d.Captures) != 0 || d.Payment.Capturing != 0 || len(captureNotifications(d)) != 0 {
			t.Errorf("after PARAM_ILLEGAL: %d captures, capturing %d; want nothing", len(d.Captures), d.Payment.Capturing)
		}
		if r := e.captureRuled(t, "cap", p.ID, 1000); r.Fired != nil || r.Capture == nil || r.Capture.Status != gateway.CaptureSuccess || r.Replay {
			t.Errorf("the same request again: %+v, want captured", r)
		}
	})
}

// TestScenarioCaptureEdgeEffects: delay, drop and 5xx leave the capture
// as the processor decides it, once; the replay fires nothing.
func TestScenarioCaptureEdgeEffects(t *testing.T) {
	for _, eff := range []gateway.ScenarioEffect{
		{Kind: gateway.EffectDrop},
		{Kind: gateway.EffectDelay, Delay: time.Second},
		{Kind: gateway.EffectHTTP5xx, HTTPStatus: 503},
	} {
		t.Run(string(eff.Kind), func(t *testing.T) {
			eachProcessor(t, func(t *testing.T, e *env) {
				p := e.authorise(t, "auth", 1000)
				e.addRules(t, gateway.ScenarioRule{API: gateway.ScenarioCapture, Count: 1, Effect: eff})
				r := e.captureRuled(t, "cap", p.ID, 1000)
				if r.Fired == nil || r.Fired.Effect != eff || r.Capture.Status != gateway.CaptureSuccess {
					t.Fatalf("capture: %+v, want SUCCESS and the rule fired", r)
				}
				again := e.captureRuled(t, "cap", p.ID, 1000)
				if !again.Replay || again.Fired != nil || again.Capture.ID != r.Capture.ID {
					t.Errorf("the same request again: %+v, want a SUCCESS replay, no rule fired", again)
				}
				if d := e.show(t, p.ID); d.Payment.Captured != 1000 || len(captureNotifications(d)) != 1 {
					t.Errorf("captured %d with %d notifyCapture; want 1000 once", d.Payment.Captured, len(captureNotifications(d)))
				}
			})
		})
	}
}

// TestScenarioCreateSession: F or U answers with no session created; an
// edge effect creates it; a repeat that finds the session fires nothing.
func TestScenarioCreateSession(t *testing.T) {
	e := newSessionEnv(t, true)
	ctx := context.Background()
	e.addRules(t,
		resultRule(gateway.ScenarioCreateSession, "NO_PAY_OPTIONS", "F"),
		resultRule(gateway.ScenarioCreateSession, "UNKNOWN_EXCEPTION", "U"),
		gateway.ScenarioRule{API: gateway.ScenarioCreateSession, Count: 1, Effect: gateway.ScenarioEffect{Kind: gateway.EffectDrop}})
	create := func(id string) *gateway.SessionResult {
		t.Helper()
		in := sessionInput(id, 1000)
		in.Rules = e.rules(t, gateway.ScenarioCreateSession)
		r, err := e.svc.CreateSession(ctx, in)
		if err != nil {
			t.Fatalf("CreateSession(%s): %v", id, err)
		}
		return r
	}
	for _, code := range []string{"NO_PAY_OPTIONS", "UNKNOWN_EXCEPTION"} {
		r := create("S1")
		if r.Fired == nil || r.Fired.Effect.ResultCode != code || r.Session != nil {
			t.Fatalf("create under the %s rule: %+v, want no session", code, r)
		}
		if _, err := e.store.SessionByRequestID(ctx, client, "S1"); !errors.Is(err, gateway.ErrNotFound) {
			t.Errorf("after %s: SessionByRequestID = %v, want ErrNotFound", code, err)
		}
	}
	r := create("S1")
	if r.Fired == nil || r.Fired.Effect.Kind != gateway.EffectDrop || r.Session == nil || r.Existing {
		t.Fatalf("create under the drop rule: %+v, want a new session and the rule fired", r)
	}
	again := create("S1")
	if again.Fired != nil || !again.Existing || again.Session.ID != r.Session.ID {
		t.Errorf("the same request again: %+v, want the session of the first, no rule fired", again)
	}
	fs, err := e.svc.ScenarioFirings(ctx, client, 0)
	if err != nil || len(fs) != 3 {
		t.Errorf("firings %+v %v, want 3", fs, err)
	}
}
