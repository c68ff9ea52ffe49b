package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// authExpiry is the Service's default authorisation window.
const authExpiry = 7 * 24 * time.Hour

// authInput is a cashier authorisation of value USD in capture mode mode
// ("" for the default, AUTOMATIC).
func authInput(requestID string, value int64, mode string) gateway.PayInput {
	return gateway.PayInput{ClientID: client, RequestID: requestID, ProductCode: gateway.ProductCashier,
		Amount: gateway.Money{Value: value, Currency: "USD"}, MethodType: "CARD", NotifyURL: notifyURL,
		Authorization: true, CaptureMode: mode}
}

// authorise makes a MANUAL authorisation of value USD and fails the test
// unless it is SUCCESS and AUTHORISED.
func (e *env) authorise(tb testing.TB, requestID string, value int64) *gateway.Payment {
	tb.Helper()
	res, err := e.svc.Pay(context.Background(), authInput(requestID, value, gateway.CaptureManual))
	if err != nil {
		tb.Fatalf("Pay(%s, authorisation of %d): %v", requestID, value, err)
	}
	p := res.Payment
	if p.Status != gateway.PaymentSuccess || p.AuthState != gateway.AuthAuthorised || !p.Authorization || p.CaptureMode != gateway.CaptureManual {
		tb.Fatalf("authorisation %s: %s / %q (authorization %v, mode %q), want SUCCESS / AUTHORISED, MANUAL",
			requestID, p.Status, p.AuthState, p.Authorization, p.CaptureMode)
	}
	return p
}

func (e *env) capture(requestID, paymentID string, value int64, last bool) (*gateway.CaptureResult, error) {
	return e.svc.Capture(context.Background(), gateway.CaptureInput{ClientID: client, RequestID: requestID,
		PaymentID: paymentID, Amount: gateway.Money{Value: value, Currency: "USD"}, Last: last})
}

// mustCapture captures and fails the test unless the capture is SUCCESS.
func (e *env) mustCapture(tb testing.TB, requestID, paymentID string, value int64, last bool) *gateway.Capture {
	tb.Helper()
	res, err := e.capture(requestID, paymentID, value, last)
	if err != nil {
		tb.Fatalf("Capture(%s, %d): %v", requestID, value, err)
	}
	if res.Capture.Status != gateway.CaptureSuccess || res.Replay {
		tb.Fatalf("Capture(%s, %d) = %s (replay %v), want SUCCESS, not a replay", requestID, value, res.Capture.Status, res.Replay)
	}
	return res.Capture
}

// kinds counts the notifications of d by kind.
// blockCaptures makes the wallet's capture wait: entered closes when a
// capture reaches it, and closing release lets it answer SUCCESS.
func (e *env) blockCaptures() (entered, release chan struct{}) {
	entered, release = make(chan struct{}), make(chan struct{})
	e.proc.capture = func(*gateway.Payment, *gateway.Capture) (gateway.CaptureDecision, error) {
		close(entered)
		<-release
		return gateway.CaptureDecision{Status: gateway.CaptureSuccess}, nil
	}
	return entered, release
}

func kinds(d *gateway.PaymentDetail) map[gateway.NotificationKind]int {
	out := map[gateway.NotificationKind]int{}
	for _, n := range d.Notifications {
		out[n.Notification.Kind]++
	}
	return out
}

// TestAuthorisationManual walks an authorisation through partial capture,
// a second capture of the rest, refunds of the captured money, and the
// refusals that follow.
func TestAuthorisationManual(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		p := e.authorise(t, "auth", 1000)
		if want := t0.Add(authExpiry); !p.AuthExpiresAt.Equal(want) {
			t.Errorf("AuthExpiresAt = %v, want paymentTime + 7 days = %v", p.AuthExpiresAt, want)
		}
		if k := kinds(e.show(t, p.ID)); k[gateway.NotifyPayment] != 1 || k[gateway.NotifyCapture] != 0 {
			t.Errorf("notifications after the authorisation = %v, want one notifyPayment, no notifyCapture", k)
		}
		_, err := e.refund("refund-early", p.ID, 100)
		wantKind(t, "Refund before any capture", err, gateway.KindInvalidTransition)

		c1 := e.mustCapture(t, "cap-1", p.ID, 400, false)
		if c1.ResultCode != gateway.CodeSuccess || !c1.CapturedAt.Equal(t0) || c1.PaymentID != p.ID || c1.Automatic {
			t.Errorf("first capture = %+v, want SUCCESS at t0 of %s, not automatic", c1, p.ID)
		}
		d := e.show(t, p.ID)
		if d.Payment.AuthState != gateway.AuthPartiallyCaptured || d.Payment.Captured != 400 || d.Payment.Status != gateway.PaymentSuccess {
			t.Errorf("after a partial capture: %s / %s, captured %d; want SUCCESS / PARTIALLY_CAPTURED, 400", d.Payment.Status, d.Payment.AuthState, d.Payment.Captured)
		}
		_, err = e.svc.Cancel(context.Background(), client, p.ID, "")
		wantKind(t, "Cancel after a capture", err, gateway.KindInvalidTransition)

		e.clock.Add(time.Hour)
		c2 := e.mustCapture(t, "cap-2", p.ID, 600, false)
		d = e.show(t, p.ID)
		if d.Payment.AuthState != gateway.AuthCaptured || d.Payment.Captured != 1000 {
			t.Errorf("after capturing the rest: %s, captured %d; want CAPTURED, 1000", d.Payment.AuthState, d.Payment.Captured)
		}
		if len(d.Captures) != 2 || d.Captures[0].ID != c1.ID || d.Captures[1].ID != c2.ID {
			t.Errorf("captures = %v, want cap-1 then cap-2", d.Captures)
		}
		if k := kinds(d); k[gateway.NotifyCapture] != 2 {
			t.Errorf("notifyCapture notifications = %d, want 2 (one per capture)", k[gateway.NotifyCapture])
		}
		_, err = e.capture("cap-3", p.ID, 1, false)
		wantKind(t, "Capture of a fully captured authorisation", err, gateway.KindInvalidTransition)

		if _, err := e.refund("refund-1", p.ID, 700); err != nil {
			t.Fatalf("Refund of captured money: %v", err)
		}
		_, err = e.refund("refund-2", p.ID, 301)
		wantKind(t, "Refund of more than captured less refunded", err, gateway.KindRefundExceed)
		if _, err := e.refund("refund-3", p.ID, 300); err != nil {
			t.Errorf("Refund of the rest of the captured money: %v", err)
		}
		// Nothing of the authorisation is left to expire.
		e.clock.Add(authExpiry)
		e.runJobs(t)
		if got := e.show(t, p.ID).Payment; got.AuthState != gateway.AuthCaptured || got.Status != gateway.PaymentSuccess {
			t.Errorf("after authExpiryTime: %s / %s, want SUCCESS / CAPTURED", got.Status, got.AuthState)
		}
	})
}

// TestAuthorisationAutomatic: in AUTOMATIC mode (the default) the gateway
// captures the whole amount with the authorisation and notifies it; a
// capture call is refused.
func TestAuthorisationAutomatic(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		for _, mode := range []string{"", gateway.CaptureAutomatic} {
			res, err := e.svc.Pay(context.Background(), authInput("auto-"+mode, 2500, mode))
			if err != nil {
				t.Fatal(err)
			}
			p := res.Payment
			if p.Status != gateway.PaymentSuccess || p.AuthState != gateway.AuthCaptured || p.Captured != 2500 || p.CaptureMode != gateway.CaptureAutomatic {
				t.Errorf("mode %q: %s / %s, captured %d, mode %q; want SUCCESS / CAPTURED, 2500, AUTOMATIC", mode, p.Status, p.AuthState, p.Captured, p.CaptureMode)
			}
			d := e.show(t, p.ID)
			if len(d.Captures) != 1 || !d.Captures[0].Automatic || d.Captures[0].RequestID != gateway.AutoCaptureRequestID(p.ID) ||
				d.Captures[0].Status != gateway.CaptureSuccess || d.Captures[0].Amount.Value != 2500 {
				t.Errorf("mode %q: captures %+v, want the gateway's own capture of 2500", mode, d.Captures)
			}
			if k := kinds(d); k[gateway.NotifyPayment] != 1 || k[gateway.NotifyCapture] != 1 {
				t.Errorf("mode %q: notifications %v, want one notifyPayment and one notifyCapture", mode, k)
			}
			_, err = e.capture("cap-"+mode, p.ID, 100, false)
			wantKind(t, "Capture of an AUTOMATIC authorisation", err, gateway.KindInvalidTransition)
			if _, err := e.refund("refund-"+mode, p.ID, 2500); err != nil {
				t.Errorf("Refund of an automatically captured payment: %v", err)
			}
		}
	})
}

// TestAuthorisationLater: an authorisation the wallet completes later is
// authorised (and its window starts) at that moment.
func TestAuthorisationLater(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		res, err := e.svc.Pay(context.Background(), authInput("later", amountLater, gateway.CaptureManual))
		if err != nil {
			t.Fatal(err)
		}
		p := res.Payment
		if p.Status != gateway.PaymentProcessing || p.AuthState != gateway.AuthNone {
			t.Fatalf("Pay = %s / %q, want PROCESSING, no authorisation state yet", p.Status, p.AuthState)
		}
		_, err = e.capture("early", p.ID, 1, false)
		wantKind(t, "Capture of a PROCESSING authorisation", err, gateway.KindInvalidTransition)
		e.clock.Add(time.Minute)
		e.runJobs(t)
		got := e.show(t, p.ID).Payment
		if got.Status != gateway.PaymentSuccess || got.AuthState != gateway.AuthAuthorised || !got.AuthExpiresAt.Equal(t0.Add(time.Minute+authExpiry)) {
			t.Errorf("after the completion: %s / %s expiring %v, want SUCCESS / AUTHORISED expiring at paymentTime + 7 days", got.Status, got.AuthState, got.AuthExpiresAt)
		}
		e.mustCapture(t, "cap", p.ID, amountLater, false)
	})
}

// TestCaptureRefusals: every refusal names its rule, and records nothing:
// the captureRequestId stays free.
func TestCaptureRefusals(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		auth := e.authorise(t, "auth", 1000)
		plain := e.pay(t, "plain", 1000).Payment
		for _, c := range []struct {
			name      string
			paymentID string
			amount    gateway.Money
			want      gateway.Kind
		}{
			{"NotAnAuthorisation", plain.ID, gateway.Money{Value: 100, Currency: "USD"}, gateway.KindInvalidTransition},
			{"UnknownPayment", "no-such-payment", gateway.Money{Value: 100, Currency: "USD"}, gateway.KindAuthNotFound},
			{"OtherCurrency", auth.ID, gateway.Money{Value: 100, Currency: "EUR"}, gateway.KindCurrency},
			{"MoreThanAuthorised", auth.ID, gateway.Money{Value: 1001, Currency: "USD"}, gateway.KindCaptureExceed},
			{"ZeroAmount", auth.ID, gateway.Money{Value: 0, Currency: "USD"}, gateway.KindInvalid},
		} {
			_, err := e.svc.Capture(ctx, gateway.CaptureInput{ClientID: client, RequestID: "cap", PaymentID: c.paymentID, Amount: c.amount})
			wantKind(t, c.name, err, c.want)
		}
		// Another client's payment does not exist for this one.
		_, err := e.svc.Capture(ctx, gateway.CaptureInput{ClientID: "client-b", RequestID: "cap", PaymentID: auth.ID,
			Amount: gateway.Money{Value: 1, Currency: "USD"}})
		wantKind(t, "Capture of another client's authorisation", err, gateway.KindAuthNotFound)
		if d := e.show(t, auth.ID); len(d.Captures) != 0 || d.Payment.Captured != 0 || d.Payment.Capturing != 0 {
			t.Errorf("after the refusals: %d captures, captured %d, capturing %d; want none", len(d.Captures), d.Payment.Captured, d.Payment.Capturing)
		}
		// The request id is still free.
		e.mustCapture(t, "cap", auth.ID, 1000, false)
		if n := e.proc.captures.Load(); n != 1 {
			t.Errorf("the wallet was asked %d times, want once (refusals never reach it)", n)
		}
	})
}

// TestCaptureIdempotent: a repeat of a captureRequestId is that capture
// again; with another paymentId or amount it is refused.
func TestCaptureIdempotent(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		p := e.authorise(t, "auth", 1000)
		other := e.authorise(t, "auth-2", 1000)
		first := e.mustCapture(t, "cap", p.ID, 300, false)
		e.clock.Add(time.Hour)
		again, err := e.capture("cap", p.ID, 300, false)
		if err != nil || !again.Replay || again.Capture.ID != first.ID || again.Capture.Status != gateway.CaptureSuccess || !again.Capture.CapturedAt.Equal(t0) {
			t.Errorf("repeat = %+v, %v; want a replay of %s captured at t0", again, err, first.ID)
		}
		_, err = e.capture("cap", p.ID, 301, false)
		wantKind(t, "repeat with another amount", err, gateway.KindIdempotencyMismatch)
		_, err = e.capture("cap", other.ID, 300, false)
		wantKind(t, "repeat with another paymentId", err, gateway.KindIdempotencyMismatch)
		if got := e.show(t, p.ID).Payment; got.Captured != 300 {
			t.Errorf("Captured = %d, want 300: a repeat captured again", got.Captured)
		}
	})
}

// TestCaptureConcurrentDuplicates: 20 copies of one capture sent at once
// make one capture; every answer names it: the one that made it SUCCESS,
// the others its replay, or (a wallet called out to, while its answer is
// not in) the capture PROCESSING.
func TestCaptureConcurrentDuplicates(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		p := e.authorise(t, "auth", 1000)
		results, errs := atOnce(20, func(int) (*gateway.CaptureResult, error) { return e.capture("cap", p.ID, 600, false) })
		ids := map[string]int{}
		originals := 0
		for i, err := range errs {
			if err != nil {
				t.Errorf("copy %d: %v", i, err)
				continue
			}
			r := results[i]
			ids[r.Capture.ID]++
			switch {
			case r.Capture.Status == gateway.CaptureSuccess && !r.Replay:
				originals++
			case r.Capture.Status == gateway.CaptureSuccess, r.Capture.Status == gateway.CaptureProcessing && !r.Replay:
			default:
				t.Errorf("copy %d: %s (replay %v), want SUCCESS, its replay, or PROCESSING in flight", i, r.Capture.Status, r.Replay)
			}
		}
		d := e.show(t, p.ID)
		if len(ids) != 1 || len(d.Captures) != 1 || d.Payment.Captured != 600 || originals != 1 {
			t.Errorf("20 copies: answers name %d captures (%d originals); store has %d captures, captured %d; want one, one original, 600",
				len(ids), originals, len(d.Captures), d.Payment.Captured)
		}
		if n := e.proc.captures.Load(); n != 1 {
			t.Errorf("the wallet was asked %d times, want once", n)
		}
		if k := kinds(d); k[gateway.NotifyCapture] != 1 {
			t.Errorf("notifyCapture notifications = %d, want 1", k[gateway.NotifyCapture])
		}
	})
}

// TestCapturesNeverExceedAuthorisation: captures of one authorisation
// made at the same time never add up to more than it.
func TestCapturesNeverExceedAuthorisation(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		p := e.authorise(t, "auth", 1000)
		_, errs := atOnce(12, func(i int) (*gateway.CaptureResult, error) {
			return e.capture(fmt.Sprintf("cap-%d", i), p.ID, 300, false)
		})
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case gateway.KindOf(err) != gateway.KindCaptureExceed:
				t.Errorf("cap-%d: %v, want success or kind %v", i, err, gateway.KindCaptureExceed)
			}
		}
		d := e.show(t, p.ID)
		if ok != 3 || len(d.Captures) != 3 || d.Payment.Captured != 900 || d.Payment.AuthState != gateway.AuthPartiallyCaptured {
			t.Errorf("%d captures of 300 succeeded, store has %d, captured %d (%s); want 3, 900, PARTIALLY_CAPTURED",
				ok, len(d.Captures), d.Payment.Captured, d.Payment.AuthState)
		}
	})
}

// TestCaptureLast: isLastCapture releases the rest.
func TestCaptureLast(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		p := e.authorise(t, "auth", 1000)
		e.mustCapture(t, "cap", p.ID, 300, true)
		d := e.show(t, p.ID)
		if d.Payment.AuthState != gateway.AuthCaptured || d.Payment.Captured != 300 {
			t.Errorf("after the last capture: %s, captured %d; want CAPTURED, 300", d.Payment.AuthState, d.Payment.Captured)
		}
		_, err := e.capture("cap-2", p.ID, 100, false)
		wantKind(t, "Capture after the last one", err, gateway.KindInvalidTransition)
		_, err = e.refund("refund", p.ID, 301)
		wantKind(t, "Refund of more than was captured", err, gateway.KindRefundExceed)
		if _, err := e.refund("refund-ok", p.ID, 300); err != nil {
			t.Errorf("Refund of what was captured: %v", err)
		}
	})
}

// TestVoid: cancel of an uncaptured authorisation voids it, also past the
// cancel window; a capture after it is AUTH_CANCELLED.
func TestVoid(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		p := e.authorise(t, "auth", 1000)
		e.clock.Add(cancelWindow + time.Hour) // past the cancel window, inside the authorisation's
		got, err := e.svc.Cancel(ctx, client, p.ID, "")
		if err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		if got.Status != gateway.PaymentCancelled || got.AuthState != gateway.AuthVoided || got.ResultCode != gateway.CodeOrderCancelled {
			t.Errorf("Cancel = %s / %s %s, want CANCELLED / VOIDED %s", got.Status, got.AuthState, got.ResultCode, gateway.CodeOrderCancelled)
		}
		_, err = e.capture("cap", p.ID, 100, false)
		wantKind(t, "Capture of a voided authorisation", err, gateway.KindAuthCancelled)
		if again, err := e.svc.Cancel(ctx, client, p.ID, ""); err != nil || again.Status != gateway.PaymentCancelled {
			t.Errorf("Cancel again = %v, %v; want CANCELLED again", again, err)
		}
		_, err = e.refund("refund", p.ID, 100)
		wantKind(t, "Refund of a voided authorisation", err, gateway.KindInvalidTransition)
		// The expiry job went with the void.
		e.clock.Add(authExpiry)
		if n := e.runJobs(t); n != 0 {
			t.Errorf("RunJobs after the void did %d jobs, want 0", n)
		}
	})
}

// TestAuthExpiry: at authExpiryTime an uncaptured authorisation is
// released (the payment CANCELLED, AUTH_EXPIRED) and captures are refused
// with AUTH_EXPIRED, also before the expiry has run; a partly captured
// one keeps its captures and stays SUCCESS.
func TestAuthExpiry(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		untouched := e.authorise(t, "untouched", 1000)
		partly := e.authorise(t, "partly", 1000)
		e.mustCapture(t, "cap-partly", partly.ID, 250, false)

		e.clock.Add(authExpiry - time.Millisecond)
		if n := e.runJobs(t); n != 0 {
			t.Errorf("RunJobs a millisecond before authExpiryTime did %d jobs, want 0", n)
		}
		e.mustCapture(t, "cap-last-moment", partly.ID, 250, false)

		e.clock.Add(time.Millisecond)
		// Due, not yet run: refused all the same.
		_, err := e.capture("cap-late", untouched.ID, 100, false)
		wantKind(t, "Capture at authExpiryTime", err, gateway.KindAuthExpired)
		if n := e.runJobs(t); n != 2 {
			t.Errorf("RunJobs at authExpiryTime did %d jobs, want 2 (one expiry per authorisation)", n)
		}
		got := e.show(t, untouched.ID).Payment
		if got.Status != gateway.PaymentCancelled || got.AuthState != gateway.AuthExpired || got.ResultCode != gateway.CodeAuthExpired {
			t.Errorf("untouched after the expiry: %s / %s %s, want CANCELLED / EXPIRED %s", got.Status, got.AuthState, got.ResultCode, gateway.CodeAuthExpired)
		}
		_, err = e.capture("cap-late", untouched.ID, 100, false)
		wantKind(t, "Capture after the expiry", err, gateway.KindAuthExpired)
		if c, err := e.svc.Cancel(ctx, client, untouched.ID, ""); err != nil || c.Status != gateway.PaymentCancelled {
			t.Errorf("Cancel of the expired authorisation = %v, %v; want CANCELLED again", c, err)
		}

		got = e.show(t, partly.ID).Payment
		if got.Status != gateway.PaymentSuccess || got.AuthState != gateway.AuthExpired || got.Captured != 500 {
			t.Errorf("partly captured after the expiry: %s / %s, captured %d; want SUCCESS / EXPIRED, 500", got.Status, got.AuthState, got.Captured)
		}
		_, err = e.capture("cap-partly-late", partly.ID, 100, false)
		wantKind(t, "Capture of the released rest", err, gateway.KindAuthExpired)
		_, err = e.svc.Cancel(ctx, client, partly.ID, "")
		wantKind(t, "Cancel of a partly captured, expired authorisation", err, gateway.KindInvalidTransition)
		if _, err := e.refund("refund", partly.ID, 500); err != nil {
			t.Errorf("Refund of the captured money after the expiry: %v", err)
		}
	})
}

// TestAuthExpiryWithoutJob: a cancel past authExpiryTime, before the
// expiry ran, expires the authorisation itself.
func TestAuthExpiryWithoutJob(t *testing.T) {
	e := newEnv(t, true)
	p := e.authorise(t, "auth", 1000)
	e.clock.Add(authExpiry)
	got, err := e.svc.Cancel(context.Background(), client, p.ID, "")
	if err != nil || got.Status != gateway.PaymentCancelled || got.AuthState != gateway.AuthExpired || got.ResultCode != gateway.CodeAuthExpired {
		t.Fatalf("Cancel past authExpiryTime = %+v, %v; want CANCELLED / EXPIRED %s", got, err, gateway.CodeAuthExpired)
	}
	if n := e.runJobs(t); n != 0 {
		t.Errorf("RunJobs after the cancel did %d jobs, want 0", n)
	}
}

// TestCaptureFailRecorded: a capture the wallet refuses is recorded FAIL
// with its code and notified; its amount stays capturable.
func TestCaptureFailRecorded(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		p := e.authorise(t, "auth", 1000)
		e.proc.capture = func(p *gateway.Payment, _ *gateway.Capture) (gateway.CaptureDecision, error) {
			if p.Captured > 0 {
				return gateway.CaptureDecision{Status: gateway.CaptureFail, Code: gateway.CodeMultiCaptureNotSupported, Message: "one capture only"}, nil
			}
			return gateway.CaptureDecision{Status: gateway.CaptureSuccess}, nil
		}
		e.mustCapture(t, "cap-1", p.ID, 400, false)
		res, err := e.capture("cap-2", p.ID, 100, false)
		if err != nil || res.Capture.Status != gateway.CaptureFail || res.Capture.ResultCode != gateway.CodeMultiCaptureNotSupported {
			t.Fatalf("second capture = %+v, %v; want FAIL %s", res, err, gateway.CodeMultiCaptureNotSupported)
		}
		again, err := e.capture("cap-2", p.ID, 100, false)
		if err != nil || !again.Replay || again.Capture.Status != gateway.CaptureFail {
			t.Errorf("repeat of the failed capture = %+v, %v; want its FAIL again, a replay", again, err)
		}
		d := e.show(t, p.ID)
		if d.Payment.Captured != 400 || d.Payment.AuthState != gateway.AuthPartiallyCaptured || len(d.Captures) != 2 {
			t.Errorf("after the refused capture: captured %d, %s, %d captures; want 400, PARTIALLY_CAPTURED, 2", d.Payment.Captured, d.Payment.AuthState, len(d.Captures))
		}
		if k := kinds(d); k[gateway.NotifyCapture] != 2 {
			t.Errorf("notifyCapture notifications = %d, want 2 (the failure too)", k[gateway.NotifyCapture])
		}
	})
}

// TestCaptureInFlight: with a wallet that is called out to, a repeat of a
// capture whose answer is not in yet answers it PROCESSING (U
// CAPTURE_IN_PROCESS) and starts nothing; its amount is reserved.
func TestCaptureInFlight(t *testing.T) {
	e := newEnv(t, false)
	p := e.authorise(t, "auth", 1000)
	entered, release := e.blockCaptures()
	var wg sync.WaitGroup
	var first *gateway.CaptureResult
	var firstErr error
	wg.Go(func() { first, firstErr = e.capture("cap", p.ID, 700, false) })
	<-entered
	dup, err := e.capture("cap", p.ID, 700, false)
	if err != nil || dup.Capture.Status != gateway.CaptureProcessing || dup.Replay {
		t.Errorf("repeat while in flight = %+v, %v; want PROCESSING, not a replay", dup, err)
	}
	_, err = e.capture("other", p.ID, 301, false)
	wantKind(t, "Capture of more than is left while 700 are in flight", err, gateway.KindCaptureExceed)
	_, err = e.svc.Cancel(context.Background(), client, p.ID, "")
	wantKind(t, "Cancel while a capture is in flight", err, gateway.KindInvalidTransition)
	close(release)
	wg.Wait()
	if firstErr != nil || first.Capture.Status != gateway.CaptureSuccess || first.Capture.ID != dup.Capture.ID {
		t.Fatalf("first = %+v, %v; want SUCCESS of %s", first, firstErr, dup.Capture.ID)
	}
	again, err := e.capture("cap", p.ID, 700, false)
	if err != nil || !again.Replay || again.Capture.Status != gateway.CaptureSuccess {
		t.Errorf("repeat after the answer = %+v, %v; want a replay of SUCCESS", again, err)
	}
	got := e.show(t, p.ID).Payment
	if got.Captured != 700 || got.Capturing != 0 || e.proc.captures.Load() != 1 {
		t.Errorf("captured %d, capturing %d, wallet asked %d times; want 700, 0, once", got.Captured, got.Capturing, e.proc.captures.Load())
	}
}

// TestCaptureResolvedLater: a capture whose wallet call failed stays
// PROCESSING and is asked again ResolveAfter later.
func TestCaptureResolvedLater(t *testing.T) {
	e := newEnv(t, false)
	p := e.authorise(t, "auth", 1000)
	e.proc.capture = func(*gateway.Payment, *gateway.Capture) (gateway.CaptureDecision, error) {
		return gateway.CaptureDecision{}, errors.New("wallet unreachable")
	}
	res, err := e.capture("cap", p.ID, 1000, false)
	if err != nil || res.Capture.Status != gateway.CaptureProcessing {
		t.Fatalf("Capture with the wallet down = %+v, %v; want PROCESSING", res, err)
	}
	if got := e.show(t, p.ID).Payment; got.Capturing != 1000 || got.Captured != 0 {
		t.Errorf("capturing %d, captured %d; want 1000 reserved, 0", got.Capturing, got.Captured)
	}
	e.proc.capture = nil
	e.clock.Add(30 * time.Second)
	if n := e.runJobs(t); n != 1 {
		t.Errorf("RunJobs at ResolveAfter did %d jobs, want 1", n)
	}
	d := e.show(t, p.ID)
	if d.Payment.Captured != 1000 || d.Payment.Capturing != 0 || d.Payment.AuthState != gateway.AuthCaptured ||
		len(d.Captures) != 1 || d.Captures[0].Status != gateway.CaptureSuccess {
		t.Errorf("after the resolve: captured %d, capturing %d, %s, captures %v; want 1000, 0, CAPTURED, one SUCCESS",
			d.Payment.Captured, d.Payment.Capturing, d.Payment.AuthState, d.Captures)
	}
	if k := kinds(d); k[gateway.NotifyCapture] != 1 {
		t.Errorf("notifyCapture notifications = %d, want 1", k[gateway.NotifyCapture])
	}
}

// TestPayAuthorizationFields: the authorisation fields are checked, and
// part of the request's key fields.
func TestPayAuthorizationFields(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, true)
	for name, in := range map[string]gateway.PayInput{
		"InStore":                    func() gateway.PayInput { in := payInput("a", 100); in.Authorization = true; return in }(),
		"ManualWithoutAuthorization": func() gateway.PayInput { in := payInput("b", 100); in.CaptureMode = gateway.CaptureManual; return in }(),
		"UnknownMode":                authInput("c", 100, "LATER"),
	} {
		_, err := e.svc.Pay(ctx, in)
		wantKind(t, name, err, gateway.KindInvalid)
	}
	// AUTOMATIC without isAuthorization is every payment's default.
	in := payInput("plain", 100)
	in.CaptureMode = gateway.CaptureAutomatic
	if res, err := e.svc.Pay(ctx, in); err != nil || res.Payment.Authorization || res.Payment.CaptureMode != "" {
		t.Errorf("Pay with captureMode AUTOMATIC alone = %+v, %v; want a plain payment", res, err)
	}
	if again := e.pay(t, "plain", 100); !again.Replay {
		t.Errorf("the same payment without captureMode is not its replay: %+v", again)
	}

	e.authorise(t, "auth", 100)
	_, err := e.svc.Pay(ctx, authInput("auth", 100, gateway.CaptureAutomatic))
	wantKind(t, "the authorisation again in another capture mode", err, gateway.KindIdempotencyMismatch)
	plain := authInput("auth", 100, "")
	plain.Authorization = false
	_, err = e.svc.Pay(ctx, plain)
	wantKind(t, "the authorisation again without isAuthorization", err, gateway.KindIdempotencyMismatch)
}

// TestCancelAtExpiryWithCaptureInFlight: a capture made inside the window
// and still in process when authExpiryTime passes decides first: a cancel
// then is refused (not an expiry that cancels the payment under it), and
// the capture's success lands on a SUCCESS payment, refundable.
func TestCancelAtExpiryWithCaptureInFlight(t *testing.T) {
	e := newEnv(t, false)
	p := e.authorise(t, "auth", 1000)
	entered, release := e.blockCaptures()
	var wg sync.WaitGroup
	var first *gateway.CaptureResult
	var firstErr error
	wg.Go(func() { first, firstErr = e.capture("cap", p.ID, 600, false) })
	<-entered
	e.clock.Add(p.AuthExpiresAt.Sub(e.clock.Now()) + time.Second) // past authExpiryTime
	_, err := e.svc.Cancel(context.Background(), client, p.ID, "")
	wantKind(t, "Cancel past authExpiryTime while a capture is in flight", err, gateway.KindInvalidTransition)
	close(release)
	wg.Wait()
	if firstErr != nil || first.Capture.Status != gateway.CaptureSuccess {
		t.Fatalf("capture = %+v, %v; want SUCCESS", first, firstErr)
	}
	got := e.show(t, p.ID).Payment
	if got.Status != gateway.PaymentSuccess || got.Captured != 600 {
		t.Errorf("payment %s, captured %d; want SUCCESS with 600 captured (never a cancelled payment with a capture)", got.Status, got.Captured)
	}
	// The expiry then releases the rest and leaves the payment SUCCESS.
	e.clock.Add(time.Minute)
	e.runJobs(t)
	if got := e.show(t, p.ID).Payment; got.Status != gateway.PaymentSuccess || got.AuthState != gateway.AuthExpired {
		t.Errorf("after the expiry job: %s %s; want SUCCESS, EXPIRED", got.Status, got.AuthState)
	}
}

// TestCaptureRepeatTurnedLast: a repeat of a captureRequestId that now says
// isLastCapture is another request, not a replay of the first.
func TestCaptureRepeatTurnedLast(t *testing.T) {
	eachProcessor(t, func(t *testing.T, e *env) {
		p := e.authorise(t, "auth", 1000)
		e.mustCapture(t, "cap", p.ID, 300, false)
		_, err := e.capture("cap", p.ID, 300, true)
		wantKind(t, "repeat of a capture turned into the last one", err, gateway.KindIdempotencyMismatch)
		if got := e.show(t, p.ID).Payment; got.AuthState == gateway.AuthCaptured {
			t.Errorf("the rest of the authorisation was released by a refused repeat")
		}
	})
}
