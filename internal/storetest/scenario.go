package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// scenarioStore is the store as the rule tests need it.
type scenarioStore interface {
	gateway.Store
	gateway.ScenarioStore
}

func newScenarioStore(t *testing.T, newStore func(t *testing.T) gateway.Store) scenarioStore {
	t.Helper()
	s := newStore(t)
	ss, ok := s.(scenarioStore)
	if !ok {
		t.Fatalf("%T keeps no scenario rules (gateway.ScenarioStore)", s)
	}
	if err := s.AddClient(context.Background(), gateway.Client{ID: "client-a", CreatedAt: at(0)}, clientKey("client-a", 1, at(0))); err != nil {
		t.Fatal(err)
	}
	return ss
}

func rule(id string, api gateway.ScenarioAPI, count int, e gateway.ScenarioEffect) *gateway.ScenarioRule {
	return &gateway.ScenarioRule{ID: id, ClientID: "client-a", API: api, Count: count, Effect: e, CreatedAt: at(time.Duration(len(id)) * time.Second)}
}

var failEffect = gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "USER_AMOUNT_EXCEED_LIMIT", ResultStatus: "F", ResultMessage: "The amount exceeds the user's limit."}

// claim claims rule id in a transaction of its own.
func claim(tb testing.TB, s gateway.Store, id, ref string) bool {
	tb.Helper()
	var ok bool
	update(tb, s, func(tx gateway.Tx) error {
		st, isTx := tx.(gateway.ScenarioTx)
		if !isTx {
			tb.Fatalf("%T is not a gateway.ScenarioTx", tx)
		}
		var err error
		ok, err = st.ClaimScenarioRule(&gateway.ScenarioFiring{RuleID: id, ClientID: "client-a", API: gateway.ScenarioPay, Ref: ref, At: at(time.Minute)})
		return err
	})
	return ok
}

func testScenarios(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()

	t.Run("AddListRemove", func(t *testing.T) {
		s := newScenarioStore(t, newStore)
		v0 := registryVersion(t, s)
		amount := int64(9900)
		r := rule("sr_1", gateway.ScenarioPay, 1, failEffect)
		r.Match = gateway.ScenarioMatch{Amount: &amount, Currency: "USD", RequestID: "ORDER_*", ProductCode: gateway.ProductInStore, Scenario: gateway.ScenarioPaymentCode}
		if err := s.AddScenarioRule(ctx, r); err != nil {
			t.Fatalf("AddScenarioRule: %v", err)
		}
		if err := s.AddScenarioRule(ctx, r); !errors.Is(err, gateway.ErrConflict) {
			t.Errorf("AddScenarioRule again: %v, want ErrConflict", err)
		}
		other := rule("sr_2", gateway.ScenarioRefund, 0, gateway.ScenarioEffect{Kind: gateway.EffectDelay, Delay: 2 * time.Second})
		other.ClientID = "nobody"
		if err := s.AddScenarioRule(ctx, other); !errors.Is(err, gateway.ErrNotFound) {
			t.Errorf("AddScenarioRule for an unknown client: %v, want ErrNotFound", err)
		}
		other.ClientID = "client-a"
		if err := s.AddScenarioRule(ctx, other); err != nil {
			t.Fatal(err)
		}
		if v := registryVersion(t, s); v == v0 {
			t.Errorf("registry version stayed %d after adding rules; a running server would not see them", v)
		}
		list := listOf(t, "ScenarioRules", func() ([]gateway.ScenarioRule, error) { return s.ScenarioRules(ctx, "client-a") })
		if len(list) != 2 || list[0].ID != "sr_1" || list[1].ID != "sr_2" {
			t.Fatalf("ScenarioRules = %+v, want sr_1, sr_2 oldest first", list)
		}
		got := list[0]
		if got.Match.Amount == nil || *got.Match.Amount != 9900 || got.Match.RequestID != "ORDER_*" || got.Match.Scenario != gateway.ScenarioPaymentCode ||
			got.Effect != failEffect || got.Count != 1 || got.Fired != 0 || !got.CreatedAt.Equal(r.CreatedAt) {
			t.Errorf("round trip: got %+v, want %+v", got, *r)
		}
		if list[1].Effect.Delay != 2*time.Second || list[1].Count != 0 {
			t.Errorf("round trip of the delay rule: %+v", list[1])
		}
		if none := listOf(t, "ScenarioRules", func() ([]gateway.ScenarioRule, error) { return s.ScenarioRules(ctx, "client-b") }); len(none) != 0 {
			t.Errorf("another client's rules: %+v", none)
		}
		reg := loadRegistry(t, s)
		if len(reg.ScenarioRules) != 2 {
			t.Errorf("LoadRegistry: %d live rules, want 2", len(reg.ScenarioRules))
		}
		v1 := registryVersion(t, s)
		if err := s.RemoveScenarioRule(ctx, "sr_1"); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveScenarioRule(ctx, "sr_1"); !errors.Is(err, gateway.ErrNotFound) {
			t.Errorf("RemoveScenarioRule again: %v, want ErrNotFound", err)
		}
		if v := registryVersion(t, s); v == v1 {
			t.Error("registry version did not move on remove")
		}
		if claim(t, s, "sr_1", "ORDER_1") {
			t.Error("a removed rule was claimed")
		}
	})

	t.Run("ClaimCountsAndExhausts", func(t *testing.T) {
		s := newScenarioStore(t, newStore)
		if err := s.AddScenarioRule(ctx, rule("sr_1", gateway.ScenarioPay, 2, failEffect)); err != nil {
			t.Fatal(err)
		}
		if err := s.AddScenarioRule(ctx, rule("sr_22", gateway.ScenarioPay, 0, gateway.ScenarioEffect{Kind: gateway.EffectDrop})); err != nil {
			t.Fatal(err)
		}
		if !claim(t, s, "sr_1", "A") {
			t.Fatal("first claim of a count-2 rule failed")
		}
		v := registryVersion(t, s)
		if !claim(t, s, "sr_1", "B") {
			t.Fatal("second claim of a count-2 rule failed")
		}
		if registryVersion(t, s) == v {
			t.Error("the claim that exhausted the rule did not move the registry version")
		}
		if claim(t, s, "sr_1", "C") {
			t.Error("a third claim of a count-2 rule succeeded")
		}
		for i := range 3 {
			if !claim(t, s, "sr_22", string(rune('a'+i))) {
				t.Fatal("a rule until removed stopped firing")
			}
		}
		list := listOf(t, "ScenarioRules", func() ([]gateway.ScenarioRule, error) { return s.ScenarioRules(ctx, "") })
		if len(list) != 2 || list[0].Fired != 2 || !list[0].Exhausted() || list[1].Fired != 3 || list[1].Exhausted() {
			t.Errorf("after the claims: %+v", list)
		}
		reg := loadRegistry(t, s)
		if len(reg.ScenarioRules) != 1 || reg.ScenarioRules[0].ID != "sr_22" {
			t.Errorf("LoadRegistry carries %+v, want only the live sr_22", reg.ScenarioRules)
		}
		fs := listOf(t, "ScenarioFirings", func() ([]gateway.ScenarioFiring, error) { return s.ScenarioFirings(ctx, "client-a", 0) })
		if len(fs) != 5 || fs[0].RuleID != "sr_22" || fs[len(fs)-1].RuleID != "sr_1" || fs[len(fs)-1].Ref != "A" || !fs[0].At.Equal(at(time.Minute)) {
			t.Errorf("ScenarioFirings = %+v, want 5, newest first", fs)
		}
	})

	t.Run("ClaimRollsBack", func(t *testing.T) {
		s := newScenarioStore(t, newStore)
		if err := s.AddScenarioRule(ctx, rule("sr_1", gateway.ScenarioPay, 1, failEffect)); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err := s.Update(ctx, func(tx gateway.Tx) error {
			if ok, err := tx.(gateway.ScenarioTx).ClaimScenarioRule(&gateway.ScenarioFiring{RuleID: "sr_1", ClientID: "client-a", API: gateway.ScenarioPay, Ref: "X", At: at(0)}); err != nil || !ok {
				t.Fatalf("claim: %v %v", ok, err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update: %v", err)
		}
		if !claim(t, s, "sr_1", "Y") {
			t.Error("a claim rolled back with its transaction still counted")
		}
		fs := listOf(t, "ScenarioFirings", func() ([]gateway.ScenarioFiring, error) { return s.ScenarioFirings(ctx, "", 0) })
		if len(fs) != 1 || fs[0].Ref != "Y" {
			t.Errorf("firings %+v, want only Y's", fs)
		}
	})

	t.Run("ConcurrentClaimsFireOnce", func(t *testing.T) {
		s := newScenarioStore(t, newStore)
		if err := s.AddScenarioRule(ctx, rule("sr_1", gateway.ScenarioPay, 1, failEffect)); err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for i := range n {
			wg.Go(func() {
				err := s.Update(ctx, func(tx gateway.Tx) error {
					ok, err := tx.(gateway.ScenarioTx).ClaimScenarioRule(&gateway.ScenarioFiring{RuleID: "sr_1", ClientID: "client-a", API: gateway.ScenarioPay, Ref: string(rune('a' + i)), At: at(0)})
					if ok {
						mu.Lock()
						won++
						mu.Unlock()
					}
					return err
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Errorf("%d of %d concurrent claims of a count-1 rule succeeded, want 1", won, n)
		}
	})

	t.Run("Service", func(t *testing.T) { testScenarioService(t, newStore) })
}

// testScenarioService drives the rules through gateway.Service on the
// store: the state follows the answer, replays replay, money moves once.
func testScenarioService(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()
	setup := func(t *testing.T, rules ...gateway.ScenarioRule) (*gateway.Service, rulesOf, *clock) {
		t.Helper()
		s := newScenarioStore(t, newStore)
		c := &clock{}
		svc := &gateway.Service{Store: s, Processor: fakeProcessor{c}, Now: c.Now}
		for _, r := range rules {
			if _, err := svc.AddScenarioRule(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		// The rules as the registry snapshot carries them (Keys needs
		// parsable keys, which the suite's are not).
		return svc, func(api gateway.ScenarioAPI) []gateway.ScenarioRule {
			var out []gateway.ScenarioRule
			for _, r := range loadRegistry(t, s).ScenarioRules {
				if r.ClientID == "client-a" && r.API == api {
					out = append(out, r)
				}
			}
			return out
		}, c
	}
	pay := func(t *testing.T, svc *gateway.Service, kr rulesOf, requestID string) *gateway.PayResult {
		t.Helper()
		res, err := svc.Pay(ctx, gateway.PayInput{ClientID: "client-a", RequestID: requestID,
			ProductCode: gateway.ProductInStore, Scenario: gateway.ScenarioPaymentCode,
			Amount: gateway.Money{Value: 1000, Currency: "USD"}, MethodType: "CONNECT_WALLET", MethodID: "2810",
			Rules: kr(gateway.ScenarioPay)})
		if err != nil {
			t.Fatalf("Pay(%s): %v", requestID, err)
		}
		return res
	}
	result := func(code, status string) gateway.ScenarioRule {
		return gateway.ScenarioRule{ClientID: "client-a", API: gateway.ScenarioPay, Count: 1,
			Effect: gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: code, ResultStatus: status}}
	}

	t.Run("PayFail", func(t *testing.T) {
		svc, kr, _ := setup(t, result("USER_AMOUNT_EXCEED_LIMIT", "F"))
		r := pay(t, svc, kr, "P1")
		if r.Fired == nil || r.Payment == nil || r.Payment.Status != gateway.PaymentFail || r.Payment.ResultCode != "USER_AMOUNT_EXCEED_LIMIT" {
			t.Fatalf("pay under an F rule: %+v", r)
		}
		again := pay(t, svc, kr, "P1")
		if !again.Replay || again.Fired != nil || again.Payment.ID != r.Payment.ID {
			t.Errorf("replay: %+v, want the recorded FAIL again, no rule fired", again)
		}
		next := pay(t, svc, kr, "P2")
		if next.Fired != nil || next.Payment.Status != gateway.PaymentSuccess {
			t.Errorf("the pay after a count-1 rule: %+v, want decided as usual", next)
		}
	})

	t.Run("PayRequestLevelCodeRecordsNothing", func(t *testing.T) {
		svc, kr, _ := setup(t, result("PARAM_ILLEGAL", "F"))
		r := pay(t, svc, kr, "P1")
		if r.Fired == nil || r.Payment != nil {
			t.Fatalf("pay under a PARAM_ILLEGAL rule: %+v, want no payment", r)
		}
		if _, err := svc.Store.PaymentByRequestID(ctx, "client-a", "P1"); !errors.Is(err, gateway.ErrNotFound) {
			t.Errorf("PaymentByRequestID: %v, want ErrNotFound", err)
		}
		if again := pay(t, svc, kr, "P1"); again.Fired != nil || again.Payment == nil || again.Payment.Status != gateway.PaymentSuccess {
			t.Errorf("the same request again: %+v, want decided as usual", again)
		}
	})

	t.Run("PayUnknownThenFail", func(t *testing.T) {
		r0 := result("UNKNOWN_EXCEPTION", "U")
		r0.Effect.Then, r0.Effect.ThenAfter = "fail:RISK_REJECT", time.Minute
		svc, kr, c := setup(t, r0)
		r := pay(t, svc, kr, "P1")
		if r.Payment == nil || r.Payment.Status != gateway.PaymentProcessing || r.Code != "UNKNOWN_EXCEPTION" {
			t.Fatalf("pay under a U rule: %+v", r)
		}
		c.Add(time.Minute)
		if _, err := svc.RunJobs(ctx, 10); err != nil {
			t.Fatal(err)
		}
		p, err := svc.Store.Payment(ctx, "client-a", r.Payment.ID)
		if err != nil || p.Status != gateway.PaymentFail || p.ResultCode != "RISK_REJECT" {
			t.Errorf("after then-after: %+v %v, want FAIL RISK_REJECT", p, err)
		}
	})

	t.Run("PayDropKeepsDecision", func(t *testing.T) {
		svc, kr, _ := setup(t, gateway.ScenarioRule{ClientID: "client-a", API: gateway.ScenarioPay, Count: 1, Effect: gateway.ScenarioEffect{Kind: gateway.EffectDrop}})
		r := pay(t, svc, kr, "P1")
		if r.Fired == nil || r.Fired.Effect.Kind != gateway.EffectDrop || r.Payment.Status != gateway.PaymentSuccess {
			t.Fatalf("pay under a drop rule: %+v", r)
		}
		again := pay(t, svc, kr, "P1")
		if !again.Replay || again.Fired != nil || again.Payment.Status != gateway.PaymentSuccess {
			t.Errorf("the same request again: %+v, want a SUCCESS replay", again)
		}
	})

	t.Run("RefundFailLeavesPayment", func(t *testing.T) {
		svc, kr, _ := setup(t, gateway.ScenarioRule{ClientID: "client-a", API: gateway.ScenarioRefund, Count: 1,
			Effect: gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "REFUND_WINDOW_EXCEED", ResultStatus: "F"}})
		p := pay(t, svc, kr, "P1").Payment
		in := gateway.RefundInput{ClientID: "client-a", RequestID: "R1", PaymentID: p.ID, Amount: gateway.Money{Value: 400, Currency: "USD"},
			Rules: kr(gateway.ScenarioRefund)}
		r, err := svc.Refund(ctx, in)
		if err != nil || r.Fired == nil || r.Refund.Status != gateway.RefundFail || r.Refund.ResultCode != "REFUND_WINDOW_EXCEED" {
			t.Fatalf("refund under an F rule: %+v %v", r, err)
		}
		after, _ := svc.Store.Payment(ctx, "client-a", p.ID)
		if after.Refunded != 0 {
			t.Errorf("payment refunded %d after a failed refund, want 0", after.Refunded)
		}
		in.RequestID, in.Rules = "R2", kr(gateway.ScenarioRefund)
		r2, err := svc.Refund(ctx, in)
		if err != nil || r2.Fired != nil || r2.Refund.Status != gateway.RefundSuccess {
			t.Errorf("the next refund: %+v %v, want SUCCESS", r2, err)
		}
	})

	t.Run("CaptureUnknownThenFail", func(t *testing.T) {
		u := gateway.ScenarioRule{ClientID: "client-a", API: gateway.ScenarioCapture, Count: 1,
			Effect: gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "UNKNOWN_EXCEPTION", ResultStatus: "U",
				Then: "fail:USER_BALANCE_NOT_ENOUGH", ThenAfter: time.Minute}}
		svc, kr, c := setup(t, u)
		auth, err := svc.Pay(ctx, gateway.PayInput{ClientID: "client-a", RequestID: "A1", ProductCode: gateway.ProductCashier,
			Amount: gateway.Money{Value: 1000, Currency: "USD"}, MethodType: "CARD", Authorization: true, CaptureMode: gateway.CaptureManual})
		if err != nil || auth.Payment.AuthState != gateway.AuthAuthorised {
			t.Fatalf("Pay (authorisation): %+v %v", auth, err)
		}
		in := gateway.CaptureInput{ClientID: "client-a", RequestID: "C1", PaymentID: auth.Payment.ID,
			Amount: gateway.Money{Value: 600, Currency: "USD"}, Rules: kr(gateway.ScenarioCapture)}
		r, err := svc.Capture(ctx, in)
		if err != nil || r.Fired == nil || r.Capture.Status != gateway.CaptureProcessing {
			t.Fatalf("capture under a U rule: %+v %v", r, err)
		}
		if p := readPayment(t, svc.Store, auth.Payment.ID); p.Capturing != 600 {
			t.Errorf("capturing %d while PROCESSING, want 600", p.Capturing)
		}
		c.Add(time.Minute)
		if _, err := svc.RunJobs(ctx, 10); err != nil {
			t.Fatal(err)
		}
		got, err := svc.Store.Capture(ctx, "client-a", r.Capture.ID)
		if err != nil || got.Status != gateway.CaptureFail || got.ResultCode != "USER_BALANCE_NOT_ENOUGH" {
			t.Errorf("after then-after: %+v %v, want FAIL USER_BALANCE_NOT_ENOUGH", got, err)
		}
		if p := readPayment(t, svc.Store, auth.Payment.ID); p.Capturing != 0 || p.Captured != 0 {
			t.Errorf("after the failed capture: capturing %d, captured %d; want 0, 0", p.Capturing, p.Captured)
		}
		in.RequestID, in.Rules = "C2", kr(gateway.ScenarioCapture)
		if r2, err := svc.Capture(ctx, in); err != nil || r2.Fired != nil || r2.Capture.Status != gateway.CaptureSuccess {
			t.Errorf("the next capture: %+v %v, want SUCCESS", r2, err)
		}
	})
}

func listOf[T any](tb testing.TB, what string, f func() ([]T, error)) []T {
	tb.Helper()
	v, err := f()
	return must(tb, what, v, err)
}

// rulesOf returns the client's live rules for an API.
type rulesOf func(api gateway.ScenarioAPI) []gateway.ScenarioRule
