package gateway_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// consultingProcessor is the fake wallet offering two methods: ALIPAY_CN
// for USD and CNY, and CARD for USD up to 100.00.
type consultingProcessor struct{ *fakeProcessor }

func (consultingProcessor) PaymentOptions(_ context.Context, in gateway.ConsultInput) ([]gateway.PaymentOption, error) {
	opts := []gateway.PaymentOption{
		{MethodType: "ALIPAY_CN", Category: "WALLET", Currencies: []string{"USD", "CNY"}, Enabled: true, Logo: "ALIPAY_CN"},
		{MethodType: "CARD", Category: "CARD", Currencies: []string{"USD"}, Enabled: true, Logo: "CARD",
			CardBrands: []gateway.CardBrand{{Brand: "VISA", Logo: "VISA"}}},
	}
	var out []gateway.PaymentOption
	for _, o := range opts {
		if len(in.Methods) > 0 && !slices.Contains(in.Methods, o.MethodType) {
			continue
		}
		switch {
		case !slices.Contains(o.Currencies, in.Amount.Currency):
			o.Enabled, o.DisableReason = false, gateway.DisableCurrency
		case o.MethodType == "CARD" && in.Amount.Value > 10000:
			o.Enabled, o.DisableReason = false, gateway.DisableLimit
		}
		out = append(out, o)
	}
	return out, nil
}

// newSessionEnv is newEnv with the consulting wallet, and checkout pages
// at https://pay.example/s/<id>.
func newSessionEnv(tb testing.TB, instant bool) *env {
	e := newEnv(tb, instant)
	e.svc.Processor = consultingProcessor{e.proc}
	e.svc.SessionURL = func(s *gateway.PaymentSession) string { return "https://pay.example/s/" + s.ID }
	e.svc.LogoURL = func(name string) string { return "https://pay.example/logos/" + name + ".svg" }
	return e
}

func sessionInput(requestID string, value int64) gateway.SessionInput {
	return gateway.SessionInput{ClientID: client, RequestID: requestID, ProductCode: gateway.ProductCashier,
		Amount: gateway.Money{Value: value, Currency: "USD"}, ReferenceID: "ORDER_" + requestID,
		NotifyURL: notifyURL, RedirectURL: "https://shop.example/return"}
}

func (e *env) createSession(tb testing.TB, in gateway.SessionInput) *gateway.SessionResult {
	tb.Helper()
	r, err := e.svc.CreateSession(context.Background(), in)
	if err != nil {
		tb.Fatalf("CreateSession(%s): %v", in.RequestID, err)
	}
	return r
}

func TestConsultOutcome(t *testing.T) {
	e := newSessionEnv(t, true)
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		amount  gateway.Money
		methods []string
		want    gateway.ConsultOutcome
		enabled int
	}{
		{"OK", gateway.Money{Value: 1000, Currency: "USD"}, nil, gateway.ConsultOK, 2},
		{"OverCardLimit", gateway.Money{Value: 20000, Currency: "USD"}, nil, gateway.ConsultOK, 1},
		{"CurrencyOnly", gateway.Money{Value: 1000, Currency: "EUR"}, nil, gateway.ConsultCurrency, 0},
		{"LimitAndCurrency", gateway.Money{Value: 20000, Currency: "CNY"}, []string{"CARD"}, gateway.ConsultCurrency, 0},
		{"Limit", gateway.Money{Value: 20000, Currency: "USD"}, []string{"CARD"}, gateway.ConsultNoOptions, 0},
		{"None", gateway.Money{Value: 1000, Currency: "USD"}, []string{"GCASH"}, gateway.ConsultNoOptions, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := e.svc.Consult(ctx, gateway.ConsultInput{ClientID: client, Amount: c.amount, TerminalType: gateway.TerminalWeb, Methods: c.methods})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Outcome(); got != c.want || len(r.Enabled()) != c.enabled {
				t.Errorf("Outcome = %v with %d enabled, want %v with %d", got, len(r.Enabled()), c.want, c.enabled)
			}
		})
	}
	r, err := e.svc.Consult(ctx, gateway.ConsultInput{ClientID: client, Amount: gateway.Money{Value: 1, Currency: "USD"}, TerminalType: gateway.TerminalApp})
	if err != nil {
		t.Fatal(err)
	}
	if card := r.Options[1]; card.LogoURL != "https://pay.example/logos/CARD.svg" || card.CardBrands[0].LogoURL != "https://pay.example/logos/VISA.svg" {
		t.Errorf("CARD logos = %q, %+v; want Service.LogoURL's", card.LogoURL, card.CardBrands)
	}
	_, err = e.svc.Consult(ctx, gateway.ConsultInput{ClientID: client, Amount: gateway.Money{Value: 1, Currency: "USD"}, TerminalType: "POS"})
	wantKind(t, "Consult on a POS terminal", err, gateway.KindInvalid)

	// A processor that is not a Consulter offers nothing.
	plain := newEnv(t, true)
	r, err = plain.svc.Consult(ctx, gateway.ConsultInput{ClientID: client, Amount: gateway.Money{Value: 1, Currency: "USD"}, TerminalType: gateway.TerminalWeb})
	if err != nil || r.Outcome() != gateway.ConsultNoOptions {
		t.Errorf("Consult without a Consulter = %+v, %v; want no options", r, err)
	}
}

func TestCreateSession(t *testing.T) {
	eachProcessor(t, func(t *testing.T, _ *env) {
		e := newSessionEnv(t, true)
		ctx := context.Background()
		r := e.createSession(t, sessionInput("S1", 1000))
		s := r.Session
		if s == nil || r.Existing || r.State != gateway.SessionActive || s.URL != "https://pay.example/s/"+s.ID ||
			!strings.HasSuffix(s.Data, "&&SG&&111") || s.ExpiresAt != t0.Add(time.Hour) || s.TerminalType != gateway.TerminalWeb {
			t.Fatalf("CreateSession = %+v, session %+v; want a new ACTIVE session for an hour on WEB", r, s)
		}

		e.clock.Add(10 * time.Minute)
		again := e.createSession(t, sessionInput("S1", 1000))
		if !again.Existing || again.Session.ID != s.ID || again.Session.Data != s.Data {
			t.Errorf("repeat = %+v, want the first session again", again)
		}
		_, err := e.svc.CreateSession(ctx, sessionInput("S1", 1001))
		wantKind(t, "repeat with another amount", err, gateway.KindIdempotencyMismatch)

		// Expiry: at most an hour after the request, and after it.
		for _, at := range []time.Time{e.clock.Now(), e.clock.Now().Add(-time.Second), e.clock.Now().Add(time.Hour + time.Millisecond)} {
			in := sessionInput("S2", 1000)
			in.ExpiresAt = at
			_, err := e.svc.CreateSession(ctx, in)
			wantKind(t, "expiry at now"+at.Sub(e.clock.Now()).String(), err, gateway.KindInvalid)
		}
		in := sessionInput("S2", 1000)
		in.ExpiresAt = e.clock.Now().Add(time.Hour)
		if got := e.createSession(t, in).Session.ExpiresAt; got != in.ExpiresAt {
			t.Errorf("ExpiresAt = %v, want %v", got, in.ExpiresAt)
		}

		// No enabled method: nothing is created.
		in = sessionInput("S3", 1000)
		in.Amount.Currency = "EUR"
		if r := e.createSession(t, in); !r.NoOptions || r.Session != nil {
			t.Errorf("EUR session = %+v, want NoOptions", r)
		}
		in = sessionInput("S3", 20000)
		in.Methods = []string{"CARD"}
		if r := e.createSession(t, in); !r.NoOptions {
			t.Errorf("CARD-only session over the card limit = %+v, want NoOptions", r)
		}
		if list, _ := e.store.Sessions(ctx, gateway.SessionFilter{RequestID: "S3"}); len(list) != 0 {
			t.Errorf("%d sessions stored for refused requests, want 0", len(list))
		}

		// Authorisation fields are checked and normalised as pay's.
		in = sessionInput("S4", 1000)
		in.IsAuthorization = true
		if r := e.createSession(t, in); r.Session.CaptureMode != gateway.CaptureAutomatic {
			t.Errorf("authorisation session CaptureMode = %q, want %q", r.Session.CaptureMode, gateway.CaptureAutomatic)
		}
		in = sessionInput("S5", 1000)
		in.CaptureMode = gateway.CaptureManual
		_, err = e.svc.CreateSession(ctx, in)
		wantKind(t, "MANUAL without isAuthorization", err, gateway.KindInvalid)

		// A session expired unpaid closes its request id.
		e.clock.Add(time.Hour)
		if r := e.createSession(t, sessionInput("S1", 1000)); !r.Closed || r.Session != nil {
			t.Errorf("repeat after the expiry = %+v, want Closed", r)
		}

		// A request id a payment took is refused.
		e.pay(t, "P1", 1000)
		_, err = e.svc.CreateSession(ctx, sessionInput("P1", 1000))
		wantKind(t, "session for a paid request id", err, gateway.KindInvalidTransition)

		_, err = e.svc.RetrieveSession(ctx, client, "NOPE")
		wantKind(t, "RetrieveSession of an unknown request id", err, gateway.KindNotFound)
		_, err = e.svc.RetrieveSession(ctx, "client-b", "S4")
		wantKind(t, "RetrieveSession of another client's session", err, gateway.KindNotFound)
	})
}

func TestPaySession(t *testing.T) {
	eachProcessor(t, func(t *testing.T, base *env) {
		e := newSessionEnv(t, base.proc.instant)
		ctx := context.Background()
		s := e.createSession(t, sessionInput("PS1", 1000)).Session

		_, err := e.svc.PaySession(ctx, gateway.SessionPayInput{SessionID: s.ID, MethodType: "GCASH", Outcome: gateway.ResolveSuccess})
		wantKind(t, "PaySession with a method not offered", err, gateway.KindInvalid)
		if _, err := e.store.PaymentByRequestID(ctx, client, "PS1"); err == nil {
			t.Fatal("a refused PaySession created a payment")
		}

		r, err := e.svc.PaySession(ctx, gateway.SessionPayInput{SessionID: s.ID, MethodType: "CARD", Outcome: gateway.ResolveSuccess})
		if err != nil {
			t.Fatal(err)
		}
		p := r.Payment
		if p == nil || p.Status != gateway.PaymentSuccess || p.MethodType != "CARD" || p.ProductCode != gateway.ProductCashier ||
			p.RequestID != "PS1" || p.NotifyURL != notifyURL || p.ReferenceID != "ORDER_PS1" || r.State != gateway.SessionCompleted {
			t.Fatalf("PaySession = %+v, payment %+v; want a SUCCESS CASHIER_PAYMENT by CARD", r, p)
		}
		if n := paymentNotifications(e.show(t, p.ID)); len(n) != 1 {
			t.Errorf("%d notifyPayment, want 1", len(n))
		}
		// Submitting again (another method, a decline) changes nothing.
		again, err := e.svc.PaySession(ctx, gateway.SessionPayInput{SessionID: s.ID, MethodType: "ALIPAY_CN", Outcome: gateway.ResolveFail, Code: "RISK_REJECT"})
		if err != nil || again.Payment.ID != p.ID || again.Payment.Status != gateway.PaymentSuccess {
			t.Errorf("second PaySession = %+v, %v; want payment %s SUCCESS unchanged", again, err, p.ID)
		}
		got, err := e.svc.RetrieveSession(ctx, client, "PS1")
		if err != nil || got.Payment == nil || got.Payment.ID != p.ID || got.State != gateway.SessionCompleted {
			t.Errorf("RetrieveSession = %+v, %v; want COMPLETED with %s", got, err, p.ID)
		}

		// A decline fails the payment with the buyer's reason.
		s2 := e.createSession(t, sessionInput("PS2", 1000)).Session
		r, err = e.svc.PaySession(ctx, gateway.SessionPayInput{SessionID: s2.ID, MethodType: "ALIPAY_CN", Outcome: gateway.ResolveFail,
			Code: "USER_BALANCE_NOT_ENOUGH", Message: "declined"})
		if err != nil || r.Payment.Status != gateway.PaymentFail || r.Payment.ResultCode != "USER_BALANCE_NOT_ENOUGH" {
			t.Errorf("declined PaySession = %+v, %v; want FAIL USER_BALANCE_NOT_ENOUGH", r, err)
		}

		// A payment the wallet leaves PROCESSING is decided by the buyer.
		s3 := e.createSession(t, sessionInput("PS3", amountPending)).Session
		r, err = e.svc.PaySession(ctx, gateway.SessionPayInput{SessionID: s3.ID, MethodType: "ALIPAY_CN", Outcome: gateway.ResolveSuccess})
		if err != nil || r.Payment.Status != gateway.PaymentSuccess {
			t.Errorf("PaySession of a pending amount = %+v, %v; want SUCCESS", r, err)
		}

		// An authorisation session makes an authorisation.
		in := sessionInput("PS4", 1000)
		in.IsAuthorization, in.CaptureMode = true, gateway.CaptureManual
		s4 := e.createSession(t, in).Session
		r, err = e.svc.PaySession(ctx, gateway.SessionPayInput{SessionID: s4.ID, MethodType: "CARD", Outcome: gateway.ResolveSuccess})
		if err != nil || !r.Payment.Authorization || r.Payment.CaptureMode != gateway.CaptureManual || r.Payment.Status != gateway.PaymentSuccess {
			t.Errorf("authorisation PaySession = %+v, %v; want a SUCCESS MANUAL authorisation", r.Payment, err)
		}

		// An expired session takes no payment.
		s5 := e.createSession(t, sessionInput("PS5", 1000)).Session
		e.clock.Add(time.Hour)
		r, err = e.svc.PaySession(ctx, gateway.SessionPayInput{SessionID: s5.ID, MethodType: "CARD", Outcome: gateway.ResolveSuccess})
		if err != nil || r.Payment != nil || r.State != gateway.SessionExpired {
			t.Errorf("PaySession of an expired session = %+v, %v; want EXPIRED, no payment", r, err)
		}
		_, err = e.svc.PaySession(ctx, gateway.SessionPayInput{SessionID: "nope", MethodType: "CARD", Outcome: gateway.ResolveSuccess})
		wantKind(t, "PaySession of an unknown session", err, gateway.KindNotFound)

		var seen []string
		f := gateway.SessionFilter{ClientID: client, Limit: 2}
		for range 5 {
			page, err := e.svc.Sessions(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Sessions {
				seen = append(seen, r.Session.ID)
				if r.Session.RequestID == "PS1" && (r.Payment == nil || r.Payment.ID != p.ID) {
					t.Errorf("listed PS1 = %+v, want it with payment %s", r, p.ID)
				}
			}
			if page.Next == nil {
				break
			}
			f.After = page.Next
		}
		slices.Sort(seen)
		if len(slices.Compact(slices.Clone(seen))) != 5 || len(seen) != 5 || !slices.Contains(seen, s5.ID) {
			t.Errorf("Sessions, 2 a page, listed %v; want the 5 sessions once each", seen)
		}
	})
}

// TestPaySessionTwoTabs: two tabs of one checkout submit at the same
// moment with different methods: one payment is made, and both tabs are
// shown it (the later one is not an error).
func TestPaySessionTwoTabs(t *testing.T) {
	eachProcessor(t, func(t *testing.T, base *env) {
		e := newSessionEnv(t, base.proc.instant)
		ctx := context.Background()
		for i := range 10 {
			s := e.createSession(t, sessionInput(fmt.Sprintf("TABS%d", i), 1000)).Session
			var wg sync.WaitGroup
			results := make([]*gateway.SessionResult, 2)
			errs := make([]error, 2)
			for j, method := range []string{"CARD", "ALIPAY_CN"} {
				wg.Go(func() {
					results[j], errs[j] = e.svc.PaySession(ctx, gateway.SessionPayInput{SessionID: s.ID, MethodType: method, Outcome: gateway.ResolveSuccess})
				})
			}
			wg.Wait()
			for j := range 2 {
				if errs[j] != nil || results[j].Payment == nil {
					t.Fatalf("session %d, tab %d: %+v, %v; want the session's payment", i, j, results[j], errs[j])
				}
			}
			if results[0].Payment.ID != results[1].Payment.ID {
				t.Errorf("session %d: two payments %s and %s", i, results[0].Payment.ID, results[1].Payment.ID)
			}
		}
	})
}
