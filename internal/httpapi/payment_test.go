package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/antomgw/antomgw/wire"
)

// --- helpers shared by the payment, refund and concurrency tests -------------

// jsonBody marshals v as a request body.
func jsonBody(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// payReq is a valid AMS v1 in-store PaymentCode pay request (the same as
// payBody), to be changed by the caller.
func payReq(id string, value int64) *antomgw.PayRequest {
	return &antomgw.PayRequest{
		ProductCode:      gateway.ProductInStore,
		PaymentRequestID: id,
		Order:            &antomgw.Order{ReferenceOrderID: "ORDER_" + id, OrderDescription: "coffee"},
		PaymentAmount:    antomgw.Amount{Currency: "USD", Value: strconv.FormatInt(value, 10)},
		PaymentMethod:    antomgw.PaymentMethod{PaymentMethodType: "CONNECT_WALLET", PaymentMethodID: "281012345678"},
		PaymentFactor:    &antomgw.PaymentFactor{InStorePaymentScenario: gateway.ScenarioPaymentCode},
	}
}

func orderCodeReq(id string, value int64) *antomgw.PayRequest {
	r := payReq(id, value)
	r.PaymentMethod.PaymentMethodID = ""
	r.PaymentFactor.InStorePaymentScenario = gateway.ScenarioOrderCode
	return r
}

func entryCodeReq(id string, value int64) *antomgw.PayRequest {
	r := payReq(id, value)
	r.PaymentMethod.PaymentMethodID = ""
	r.PaymentFactor.InStorePaymentScenario = gateway.ScenarioEntryCode
	r.PaymentRedirectURL = "https://merchant.example/return"
	r.Order.Env = &antomgw.Env{UserAgent: "Mozilla/5.0 AlipayClient/10.5.0"}
	return r
}

func cashierReq(id string, value int64) *antomgw.PayRequest {
	r := payReq(id, value)
	r.ProductCode = gateway.ProductCashier
	r.PaymentFactor = nil
	r.PaymentMethod = antomgw.PaymentMethod{PaymentMethodType: "ALIPAY_CN"}
	r.PaymentRedirectURL = "https://merchant.example/return"
	return r
}

// payV2Body is an omnichannel v2 pay body: paymentMethod a string, value an
// integer.
func payV2Body(id string, value int64) string {
	return `{"paymentRequestId":"` + id + `","paymentMethod":"ALIPAY_CN","paymentAmount":{"currency":"USD","value":` + strconv.FormatInt(value, 10) + `}}`
}

func wantResult(tb testing.TB, what string, got wire.Result, status wire.Status, code string) {
	tb.Helper()
	if got.Status != status || got.Code != code {
		tb.Fatalf("%s: result = %v, want %s %s", what, got, status, code)
	}
}

func wantReplay(tb testing.TB, what string, rep *gatewaytest.Reply, want bool) {
	tb.Helper()
	if got := rep.Header.Get("x-idempotent-replay"); (got == "true") != want {
		tb.Errorf("%s: x-idempotent-replay = %q, want replay %v", what, got, want)
	}
}

// pay sends a v1 pay request.
func (h gw) pay(tb testing.TB, pr *antomgw.PayRequest) (*gatewaytest.Reply, antomgw.PayResponse) {
	tb.Helper()
	rep := h.Do(tb, gatewaytest.Request{Path: pathPay, Body: jsonBody(tb, pr)})
	return rep, gatewaytest.Decode[antomgw.PayResponse](tb, rep)
}

// paid makes a PaymentCode payment that succeeds at once and returns its
// paymentId.
func (h gw) paid(tb testing.TB, id string, value int64) string {
	tb.Helper()
	rep, pr := h.pay(tb, payReq(id, value))
	wantResult(tb, "pay "+id, rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	if pr.PaymentID == "" {
		tb.Fatalf("pay %s: no paymentId in %s", id, rep.Body)
	}
	return pr.PaymentID
}

// inquiryReply sends inquiryPayment and returns the raw answer.
func (h gw) inquiryReply(tb testing.TB, paymentID, requestID string) *gatewaytest.Reply {
	tb.Helper()
	return h.Do(tb, gatewaytest.Request{Path: pathInquiryPayment, Body: jsonBody(tb, antomgw.InquiryPaymentRequest{PaymentID: paymentID, PaymentRequestID: requestID})})
}

// inquire returns the payment as inquiryPayment shows it; the inquiry
// itself must succeed.
func (h gw) inquire(tb testing.TB, paymentID, requestID string) antomgw.InquiryPaymentResponse {
	tb.Helper()
	return okAnswer[antomgw.InquiryPaymentResponse](tb, "inquiryPayment", h.inquiryReply(tb, paymentID, requestID))
}

// okAnswer checks that rep says S SUCCESS and decodes it.
func okAnswer[T any](tb testing.TB, what string, rep *gatewaytest.Reply) T {
	tb.Helper()
	wantResult(tb, what, rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	return gatewaytest.Decode[T](tb, rep)
}

func (h gw) cancel(tb testing.TB, paymentID, requestID string) *gatewaytest.Reply {
	tb.Helper()
	return h.Do(tb, gatewaytest.Request{Path: pathCancel, Body: jsonBody(tb, antomgw.CancelRequest{PaymentID: paymentID, PaymentRequestID: requestID})})
}

// --- the simulator's scenario table, row by row ------------------------------

// TestPayScenarios is a contract test per row of sim.Scenarios: the pay
// answer (status, code and the fields of its kind), then the state
// inquiryPayment shows once the delayed transitions ran (not a millisecond
// before they were due), then a repeated pay that replays the final result.
// The rows share one gateway and its clock, so they run one after another.
func TestPayScenarios(t *testing.T) {
	const delay = time.Minute
	h := newGateway(t, gatewaytest.WithSimDelay(delay))

	noForms := func(t *testing.T, pr antomgw.PayResponse) {
		t.Helper()
		if pr.OrderCodeForm != nil || pr.RedirectActionForm != nil || pr.NormalURL != "" {
			t.Errorf("answer has orderCodeForm %v, redirectActionForm %v, normalUrl %q; want none for a PaymentCode payment",
				pr.OrderCodeForm, pr.RedirectActionForm, pr.NormalURL)
		}
	}
	type row struct {
		name   string
		amount int64 // the sim row covered; 0 is "any other amount" (100 is sent)
		build  func(id string, value int64) *antomgw.PayRequest
		// expiry, when set, is sent as paymentExpiryTime (from now).
		expiry time.Duration
		status wire.Status
		code   string
		check  func(t *testing.T, pr antomgw.PayResponse)
		// final paymentStatus and paymentResultCode.
		final, finalCode string
	}
	rows := []row{
		{name: "Other_PaymentCode", build: payReq, status: wire.StatusSuccess, code: wire.CodeSuccess, check: noForms,
			final: "SUCCESS", finalCode: "SUCCESS"},
		{name: "Other_OrderCode", build: orderCodeReq, status: wire.StatusUnknown, code: wire.CodePaymentInProcess,
			check: func(t *testing.T, pr antomgw.PayResponse) {
				f := pr.OrderCodeForm
				if f == nil || len(f.CodeDetails) == 0 {
					t.Fatalf("orderCodeForm = %+v, want one with codeDetails", f)
				}
				if f.ExpireTime == "" || f.PaymentMethodType != "CONNECT_WALLET" {
					t.Errorf("orderCodeForm expireTime %q, paymentMethodType %q; want a time and CONNECT_WALLET", f.ExpireTime, f.PaymentMethodType)
				}
				for _, d := range f.CodeDetails {
					if d.CodeValue == "" || d.CodeValueType == "" || d.DisplayType == "" {
						t.Errorf("codeDetail = %+v, want codeValue, codeValueType and displayType", d)
					}
				}
				if pr.RedirectActionForm != nil || pr.NormalURL != "" {
					t.Errorf("OrderCode answer also has redirectActionForm %v / normalUrl %q", pr.RedirectActionForm, pr.NormalURL)
				}
			}, final: "SUCCESS", finalCode: "SUCCESS"},
		{name: "Other_EntryCode", build: entryCodeReq, status: wire.StatusUnknown, code: wire.CodePaymentInProcess,
			check: func(t *testing.T, pr antomgw.PayResponse) {
				f := pr.RedirectActionForm
				if f == nil || f.RedirectURL == "" || (f.Method != "GET" && f.Method != "POST") {
					t.Fatalf("redirectActionForm = %+v, want method GET or POST and a redirectUrl", f)
				}
				if pr.OrderCodeForm != nil || pr.NormalURL != "" {
					t.Errorf("EntryCode answer also has orderCodeForm %v / normalUrl %q", pr.OrderCodeForm, pr.NormalURL)
				}
			}, final: "SUCCESS", finalCode: "SUCCESS"},
		{name: "Other_Cashier", build: cashierReq, status: wire.StatusUnknown, code: wire.CodePaymentInProcess,
			check: func(t *testing.T, pr antomgw.PayResponse) {
				u, err := url.Parse(pr.NormalURL)
				if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
					t.Fatalf("normalUrl = %q, want an absolute http(s) URL", pr.NormalURL)
				}
				if pr.OrderCodeForm != nil || pr.RedirectActionForm != nil {
					t.Errorf("cashier answer also has orderCodeForm %v / redirectActionForm %v", pr.OrderCodeForm, pr.RedirectActionForm)
				}
			}, final: "SUCCESS", finalCode: "SUCCESS"},
		{name: "9901_UnknownException", amount: sim.AmountUnknown, build: payReq, status: wire.StatusUnknown, code: wire.CodeUnknownException,
			check: noForms, final: "SUCCESS", finalCode: "SUCCESS"},
		{name: "9902_Timeout", amount: sim.AmountTimeout, build: payReq, status: wire.StatusSuccess, code: wire.CodeSuccess,
			check: noForms, final: "SUCCESS", finalCode: "SUCCESS"},
		{name: "9903_Later", amount: sim.AmountLater, build: payReq, status: wire.StatusUnknown, code: wire.CodePaymentInProcess,
			check: noForms, final: "SUCCESS", finalCode: "SUCCESS"},
		{name: "9904_LaterFail", amount: sim.AmountLaterFail, build: payReq, status: wire.StatusUnknown, code: wire.CodePaymentInProcess,
			check: noForms, final: "FAIL", finalCode: wire.CodeUserPaymentVerifyFail},
		{name: "9905_Never", amount: sim.AmountNever, build: payReq, expiry: 2 * delay,
			status: wire.StatusUnknown, code: wire.CodePaymentInProcess, check: noForms, final: "FAIL", finalCode: wire.CodeOrderIsClosed},
		{name: "9906_Balance", amount: sim.AmountBalance, build: payReq, status: wire.StatusFail, code: wire.CodeUserBalanceNotEnough,
			final: "FAIL", finalCode: wire.CodeUserBalanceNotEnough},
		{name: "9907_Risk", amount: sim.AmountRisk, build: payReq, status: wire.StatusFail, code: wire.CodeRiskReject,
			final: "FAIL", finalCode: wire.CodeRiskReject},
		{name: "9908_ExpiredCode", amount: sim.AmountExpiredCode, build: payReq, status: wire.StatusFail, code: wire.CodeExpiredCode,
			final: "FAIL", finalCode: wire.CodeExpiredCode},
		{name: "9909_InvalidCode", amount: sim.AmountInvalidCode, build: payReq, status: wire.StatusFail, code: wire.CodeInvalidPaymentCode,
			final: "FAIL", finalCode: wire.CodeInvalidPaymentCode},
		// 9910: the first attempt is checked in the subtest; this is the second.
		{name: "9910_TrafficLimit", amount: sim.AmountTrafficLimit, build: payReq, status: wire.StatusSuccess, code: wire.CodeSuccess,
			check: noForms, final: "SUCCESS", finalCode: "SUCCESS"},
	}

	covered := map[int64]bool{}
	for _, r := range rows {
		covered[r.amount] = true
	}
	for _, s := range sim.Scenarios {
		if !covered[s.Amount] {
			t.Errorf("sim scenario %d (%s) has no row in this test", s.Amount, s.Answer)
		}
	}

	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			id := "REQ_SCENARIO_" + r.name
			value := r.amount
			if value == 0 {
				value = 100
			}
			pr := r.build(id, value)
			if r.expiry > 0 {
				pr.PaymentExpiryTime = wire.FormatTime(h.Now().Add(r.expiry))
			}
			body := jsonBody(t, pr)

			if r.amount == sim.AmountTrafficLimit {
				rep := h.Do(t, gatewaytest.Request{Path: pathPay, Body: body})
				wantResult(t, "first attempt", rep.Result, wire.StatusUnknown, wire.CodeRequestTrafficExceed)
				if got := gatewaytest.Decode[antomgw.PayResponse](t, rep); got.PaymentID != "" {
					t.Errorf("first attempt answered paymentId %q; want none, nothing was created", got.PaymentID)
				}
				if p, err := h.Store().PaymentByRequestID(context.Background(), h.ClientID(), id); !errors.Is(err, gateway.ErrNotFound) {
					t.Errorf("after the first attempt the store holds payment %+v for %s (err %v), want none", p, id, err)
				}
				wantResult(t, "inquiry after the first attempt", h.inquiryReply(t, "", id).Result, wire.StatusFail, wire.CodeOrderNotExist)
			}

			rep := h.Do(t, gatewaytest.Request{Path: pathPay, Body: body})
			wantResult(t, "pay", rep.Result, r.status, r.code)
			wantReplay(t, "pay", rep, false)
			got := gatewaytest.Decode[antomgw.PayResponse](t, rep)
			if got.PaymentRequestID != id {
				t.Errorf("paymentRequestId = %q, want %q", got.PaymentRequestID, id)
			}
			if r.status != wire.StatusFail && got.PaymentID == "" {
				t.Errorf("answer %s has no paymentId", rep.Body)
			}
			if r.status == wire.StatusSuccess {
				if got.PaymentTime == "" {
					t.Errorf("S answer has no paymentTime: %s", rep.Body)
				}
				if a := got.PaymentAmount; a == nil || a.Value != strconv.FormatInt(value, 10) || a.Currency != "USD" {
					t.Errorf("paymentAmount = %+v, want USD %d", a, value)
				}
			}
			if r.status == wire.StatusUnknown && got.PaymentTime != "" {
				t.Errorf("U answer has paymentTime %q", got.PaymentTime)
			}
			if r.check != nil {
				r.check(t, got)
			}

			// A U answer's payment moves when its delayed transition (the
			// wallet's "later", or the expiry) is due, not before.
			if r.status == wire.StatusUnknown {
				due := delay
				if r.expiry > 0 {
					due = r.expiry
				}
				h.Advance(t, due-time.Millisecond)
				if ip := h.inquire(t, "", id); ip.PaymentStatus != "PROCESSING" {
					t.Fatalf("a millisecond before the delayed transition: paymentStatus %s, want PROCESSING", ip.PaymentStatus)
				}
				h.Advance(t, time.Millisecond)
			}
			ip := h.inquire(t, "", id)
			if ip.PaymentStatus != r.final || ip.PaymentResultCode != r.finalCode {
				t.Fatalf("inquiryPayment: paymentStatus %s, paymentResultCode %s; want %s %s", ip.PaymentStatus, ip.PaymentResultCode, r.final, r.finalCode)
			}
			if got.PaymentID != "" && ip.PaymentID != got.PaymentID {
				t.Errorf("inquiryPayment paymentId = %q, want the pay answer's %q", ip.PaymentID, got.PaymentID)
			}
			if a := ip.PaymentAmount; a == nil || a.Value != strconv.FormatInt(value, 10) {
				t.Errorf("inquiryPayment paymentAmount = %+v, want %d", a, value)
			}
			if (ip.PaymentTime != "") != (r.final == "SUCCESS") {
				t.Errorf("inquiryPayment paymentTime = %q with status %s; want one exactly when SUCCESS", ip.PaymentTime, ip.PaymentStatus)
			}

			// A repeat of the request after the final result replays it.
			again := h.Do(t, gatewaytest.Request{Path: pathPay, Body: body})
			wantStatus, wantCode := wire.StatusSuccess, wire.CodeSuccess
			if r.final == "FAIL" {
				wantStatus, wantCode = wire.StatusFail, r.finalCode
			}
			wantResult(t, "repeated pay", again.Result, wantStatus, wantCode)
			wantReplay(t, "repeated pay", again, true)
			if p := gatewaytest.Decode[antomgw.PayResponse](t, again); p.PaymentID != ip.PaymentID {
				t.Errorf("repeated pay paymentId = %q, want %q", p.PaymentID, ip.PaymentID)
			}
		})
	}
}

// TestPaymentExpiryDefault closes a payment that stays PROCESSING past
// Service.PaymentExpiry when the request sets no paymentExpiryTime.
func TestPaymentExpiryDefault(t *testing.T) {
	const expiry = 10 * time.Minute
	h := newGateway(t, gatewaytest.WithSimDelay(time.Hour), gatewaytest.WithPaymentExpiry(expiry))
	// 9903 would succeed after Delay (an hour): the expiry comes first.
	for _, amount := range []int64{sim.AmountNever, sim.AmountLater} {
		id := "REQ_EXPIRY_" + strconv.FormatInt(amount, 10)
		rep, _ := h.pay(t, payReq(id, amount))
		wantResult(t, "pay", rep.Result, wire.StatusUnknown, wire.CodePaymentInProcess)
		h.Advance(t, expiry-time.Millisecond)
		if ip := h.inquire(t, "", id); ip.PaymentStatus != "PROCESSING" {
			t.Fatalf("%d: a millisecond before the expiry: paymentStatus %s, want PROCESSING", amount, ip.PaymentStatus)
		}
		h.Advance(t, time.Millisecond)
		ip := h.inquire(t, "", id)
		if ip.PaymentStatus != "FAIL" || ip.PaymentResultCode != wire.CodeOrderIsClosed {
			t.Fatalf("%d: paymentStatus %s %s, want FAIL ORDER_IS_CLOSED", amount, ip.PaymentStatus, ip.PaymentResultCode)
		}
		again, _ := h.pay(t, payReq(id, amount))
		wantResult(t, "pay again", again.Result, wire.StatusFail, wire.CodeOrderIsClosed)
		wantReplay(t, "pay again", again, true)
	}
}

// TestPayInFlight: while a payment is PROCESSING, inquiry says so with no
// result code, and a repeat answers U PAYMENT_IN_PROCESS with the same
// paymentId without starting anything.
func TestPayInFlight(t *testing.T) {
	h := newGateway(t) // the clock stands still: 9903 stays PROCESSING
	rep, first := h.pay(t, payReq("REQ_INFLIGHT", sim.AmountLater))
	wantResult(t, "pay", rep.Result, wire.StatusUnknown, wire.CodePaymentInProcess)
	ip := h.inquire(t, first.PaymentID, "")
	if ip.PaymentStatus != "PROCESSING" || ip.PaymentResultCode != "" || ip.PaymentTime != "" {
		t.Errorf("inquiry = %s %q time %q, want PROCESSING with no result code and no paymentTime", ip.PaymentStatus, ip.PaymentResultCode, ip.PaymentTime)
	}
	before := h.Snapshot(t)
	again, second := h.pay(t, payReq("REQ_INFLIGHT", sim.AmountLater))
	wantResult(t, "repeat", again.Result, wire.StatusUnknown, wire.CodePaymentInProcess)
	wantReplay(t, "repeat while in flight", again, false)
	if second.PaymentID != first.PaymentID {
		t.Errorf("repeat paymentId = %q, want %q", second.PaymentID, first.PaymentID)
	}
	h.wantUnchanged(t, "a repeat while in flight changed the store", before)
	// An in-flight payment also refuses a mismatched duplicate.
	mismatch, _ := h.pay(t, payReq("REQ_INFLIGHT", 100))
	wantResult(t, "mismatched repeat", mismatch.Result, wire.StatusFail, wire.CodeRepeatReqInconsistent)
}

// commitStore tells, on committed, of each transaction its store commits.
type commitStore struct {
	gateway.Store
	committed chan struct{}
}

func (s *commitStore) Update(ctx context.Context, fn func(tx gateway.Tx) error) error {
	err := s.Store.Update(ctx, fn)
	if err == nil {
		select {
		case s.committed <- struct{}{}:
		default:
		}
	}
	return err
}

// TestPayHeldAnswerIsAlreadyDecided: 9902 holds the answer back (a response
// lost to a client timeout), but the payment is decided before the hold, so
// an inquiry during the hold sees SUCCESS and a retry is answered at once.
func TestPayHeldAnswerIsAlreadyDecided(t *testing.T) {
	// The hold is far longer than the test: it ends when the client gives up.
	commits := &commitStore{committed: make(chan struct{}, 1)}
	h := newGateway(t, gatewaytest.WithSimHold(time.Minute), gatewaytest.WithStore(func(st gateway.Store) gateway.Store {
		commits.Store = st
		return commits
	}))
	const id = "REQ_HELD"
	body := payBody(id, sim.AmountTimeout)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type answer struct {
		rep *gatewaytest.Reply
		err error
	}
	held := make(chan answer, 1)
	go func() {
		rep, err := h.Try(gatewaytest.Request{Path: pathPay, Body: body, Context: ctx})
		held <- answer{rep, err}
	}()

	// The pay's one transaction (the payment with its decision) commits
	// before the answer is held back.
	select {
	case <-commits.committed:
	case a := <-held:
		t.Fatalf("the held pay answered before it committed anything: %v %v", a.rep, a.err)
	case <-time.After(10 * time.Second):
		t.Fatal("the held pay committed nothing within 10s")
	}
	ip := h.inquire(t, "", id)
	select {
	case a := <-held:
		t.Fatalf("the held pay answered before the inquiry saw its outcome: %v %v", a.rep, a.err)
	default:
	}
	if ip.PaymentStatus != "SUCCESS" || ip.PaymentResultCode != "SUCCESS" {
		t.Errorf("inquiry during the hold: %s %s, want SUCCESS SUCCESS", ip.PaymentStatus, ip.PaymentResultCode)
	}

	// The merchant's retry after its timeout: the same request, answered
	// now, as a replay.
	retry := h.Do(t, gatewaytest.Request{Path: pathPay, Body: body})
	wantResult(t, "retry during the hold", retry.Result, wire.StatusSuccess, wire.CodeSuccess)
	wantReplay(t, "retry during the hold", retry, true)
	if got := gatewaytest.Decode[antomgw.PayResponse](t, retry); got.PaymentID != ip.PaymentID {
		t.Errorf("retry paymentId = %q, want %q", got.PaymentID, ip.PaymentID)
	}
	if n := len(h.payments(t)); n != 1 {
		t.Errorf("payments = %d, want 1", n)
	}
	cancel()
	<-held
}

// --- idempotency of pay -------------------------------------------------------

// TestPayMismatchedDuplicate: the same paymentRequestId with another amount
// or another paymentMethodId is refused and leaves the original untouched.
func TestPayMismatchedDuplicate(t *testing.T) {
	h := newGateway(t)
	const id = "REQ_MISMATCH"
	original := h.paid(t, id, 100)
	before := h.Snapshot(t)

	otherAmount := payReq(id, 200)
	otherMethod := payReq(id, 100)
	otherMethod.PaymentMethod.PaymentMethodID = "289999999999"
	otherCurrency := payReq(id, 100)
	otherCurrency.PaymentAmount.Currency = "EUR"
	otherScenario := orderCodeReq(id, 100)
	for name, pr := range map[string]*antomgw.PayRequest{
		"amount": otherAmount, "paymentMethodId": otherMethod, "currency": otherCurrency, "scenario": otherScenario,
	} {
		rep, _ := h.pay(t, pr)
		wantResult(t, "duplicate with another "+name, rep.Result, wire.StatusFail, wire.CodeRepeatReqInconsistent)
		wantReplay(t, "duplicate with another "+name, rep, false)
		if !strings.Contains(rep.Result.Message, id) {
			t.Errorf("message %q does not name the paymentRequestId", rep.Result.Message)
		}
	}
	h.wantUnchanged(t, "mismatched duplicates changed the store", before)
	ip := h.inquire(t, "", id)
	if ip.PaymentID != original || ip.PaymentStatus != "SUCCESS" || ip.PaymentAmount == nil || ip.PaymentAmount.Value != "100" {
		t.Errorf("inquiry = %s %s amount %+v, want %s SUCCESS 100", ip.PaymentID, ip.PaymentStatus, ip.PaymentAmount, original)
	}
	// The original request still replays.
	rep, pr := h.pay(t, payReq(id, 100))
	wantResult(t, "original again", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	if pr.PaymentID != original {
		t.Errorf("replay paymentId = %q, want %q", pr.PaymentID, original)
	}
}

// TestPayValidationNotRecorded: a refused request records nothing, so the
// same paymentRequestId with the fields corrected succeeds.
func TestPayValidationNotRecorded(t *testing.T) {
	h := newGateway(t)
	cases := []struct {
		name  string
		spoil func(*antomgw.PayRequest)
		code  string
		field string
	}{
		{"LowerCaseCurrency", func(p *antomgw.PayRequest) { p.PaymentAmount.Currency = "usd" }, wire.CodeParamIllegal, "paymentAmount.currency"},
		{"UnknownCurrency", func(p *antomgw.PayRequest) { p.PaymentAmount.Currency = "ABC" }, wire.CodeCurrencyNotSupport, "ABC"},
		{"ZeroAmount", func(p *antomgw.PayRequest) { p.PaymentAmount.Value = "0" }, wire.CodeParamIllegal, "paymentAmount.value"},
		{"NegativeAmount", func(p *antomgw.PayRequest) { p.PaymentAmount.Value = "-100" }, wire.CodeParamIllegal, "paymentAmount.value"},
		{"DecimalAmount", func(p *antomgw.PayRequest) { p.PaymentAmount.Value = "1.00" }, wire.CodeParamIllegal, "paymentAmount.value"},
		{"NoOrder", func(p *antomgw.PayRequest) { p.Order = nil }, wire.CodeParamIllegal, "order"},
		{"NoMethodType", func(p *antomgw.PayRequest) { p.PaymentMethod.PaymentMethodType = "" }, wire.CodeParamIllegal, "paymentMethod.paymentMethodType"},
		{"NoPaymentCode", func(p *antomgw.PayRequest) { p.PaymentMethod.PaymentMethodID = "" }, wire.CodeParamIllegal, "paymentMethod.paymentMethodId"},
		{"BadScenario", func(p *antomgw.PayRequest) { p.PaymentFactor.InStorePaymentScenario = "QRCode" }, wire.CodeParamIllegal, "paymentFactor.inStorePaymentScenario"},
		{"BadProduct", func(p *antomgw.PayRequest) { p.ProductCode = "AGREEMENT_PAYMENT" }, wire.CodeParamIllegal, "productCode"},
		{"ExpiryInThePast", func(p *antomgw.PayRequest) { p.PaymentExpiryTime = "2020-01-01T00:00:00+08:00" }, wire.CodeParamIllegal, "paymentExpiryTime"},
		{"BadNotifyURL", func(p *antomgw.PayRequest) { p.PaymentNotifyURL = "ftp://merchant.example/n" }, wire.CodeParamIllegal, "paymentNotifyUrl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := "REQ_VALIDATION_" + c.name
			bad := payReq(id, 100)
			c.spoil(bad)
			before := h.Snapshot(t)
			rep, _ := h.pay(t, bad)
			wantResult(t, "illegal pay", rep.Result, wire.StatusFail, c.code)
			if !strings.Contains(rep.Result.Message, c.field) {
				t.Errorf("message %q does not name %q", rep.Result.Message, c.field)
			}
			h.wantUnchanged(t, "a refused pay changed the store", before)
			rep, pr := h.pay(t, payReq(id, 100))
			wantResult(t, "corrected pay", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
			wantReplay(t, "corrected pay", rep, false)
			if pr.PaymentID == "" {
				t.Errorf("corrected pay has no paymentId: %s", rep.Body)
			}
		})
	}
}

// --- inquiryPayment -----------------------------------------------------------

// TestInquiryPayment finds payments by paymentId and by paymentRequestId,
// lets paymentId win when both are sent, and lists refunds and the cancel
// as transactions.
func TestInquiryPayment(t *testing.T) {
	h := newGateway(t)
	a := h.paid(t, "REQ_INQ_A", 1000)
	b := h.paid(t, "REQ_INQ_B", 500)

	if ip := h.inquire(t, a, ""); ip.PaymentRequestID != "REQ_INQ_A" || ip.PaymentID != a {
		t.Errorf("by paymentId: %s/%s, want REQ_INQ_A/%s", ip.PaymentRequestID, ip.PaymentID, a)
	}
	if ip := h.inquire(t, "", "REQ_INQ_B"); ip.PaymentRequestID != "REQ_INQ_B" || ip.PaymentID != b {
		t.Errorf("by paymentRequestId: %s/%s, want REQ_INQ_B/%s", ip.PaymentRequestID, ip.PaymentID, b)
	}
	if ip := h.inquire(t, a, "REQ_INQ_B"); ip.PaymentID != a || ip.PaymentAmount.Value != "1000" {
		t.Errorf("both ids, disagreeing: got payment %s (amount %v), want paymentId %s to win", ip.PaymentID, ip.PaymentAmount, a)
	}
	wantResult(t, "unknown paymentId", h.inquiryReply(t, "20990101000000000000000000000000", "").Result, wire.StatusFail, wire.CodeOrderNotExist)
	wantResult(t, "unknown paymentRequestId", h.inquiryReply(t, "", "REQ_NOBODY").Result, wire.StatusFail, wire.CodeOrderNotExist)
	// paymentId wins even when it is the unknown one.
	wantResult(t, "unknown paymentId with a known paymentRequestId", h.inquiryReply(t, "20990101000000000000000000000000", "REQ_INQ_A").Result, wire.StatusFail, wire.CodeOrderNotExist)
	wantResult(t, "no id", h.Do(t, gatewaytest.Request{Path: pathInquiryPayment, Body: `{}`}).Result, wire.StatusFail, wire.CodeParamIllegal)

	// Refunds appear as REFUND transactions, oldest first.
	r1 := h.refundOK(t, "RF_INQ_1", a, 100)
	r2 := h.refundOK(t, "RF_INQ_2", a, 250)
	ip := h.inquire(t, a, "")
	if ip.PaymentStatus != "SUCCESS" {
		t.Errorf("refunded payment status = %s, want SUCCESS", ip.PaymentStatus)
	}
	if len(ip.Transactions) != 2 {
		t.Fatalf("transactions = %+v, want the two refunds", ip.Transactions)
	}
	for i, want := range []struct{ reqID, id, value string }{{"RF_INQ_1", r1, "100"}, {"RF_INQ_2", r2, "250"}} {
		tx := ip.Transactions[i]
		if tx.TransactionType != "REFUND" || tx.TransactionStatus != "SUCCESS" || tx.TransactionRequestID != want.reqID ||
			tx.TransactionID != want.id || tx.TransactionAmount == nil || tx.TransactionAmount.Value != want.value || tx.TransactionTime == "" {
			t.Errorf("transaction %d = %+v, want REFUND SUCCESS %s/%s %s with a time", i, tx, want.reqID, want.id, want.value)
		}
	}

	// A cancel appears as a CANCEL transaction.
	wantResult(t, "cancel", h.cancel(t, b, "").Result, wire.StatusSuccess, wire.CodeSuccess)
	ip = h.inquire(t, "", "REQ_INQ_B")
	if ip.PaymentStatus != "CANCELLED" || ip.PaymentResultCode != wire.CodeOrderIsCanceled {
		t.Errorf("cancelled payment: %s %s, want CANCELLED ORDER_IS_CANCELED", ip.PaymentStatus, ip.PaymentResultCode)
	}
	if len(ip.Transactions) != 1 || ip.Transactions[0].TransactionType != "CANCEL" || ip.Transactions[0].TransactionStatus != "SUCCESS" || ip.Transactions[0].TransactionTime == "" {
		t.Errorf("transactions = %+v, want one CANCEL SUCCESS with a time", ip.Transactions)
	}
	if ip.PaymentTime != "" {
		t.Errorf("cancelled payment has paymentTime %q", ip.PaymentTime)
	}
}

// --- cancel -------------------------------------------------------------------

func TestCancel(t *testing.T) {
	h := newGateway(t) // the clock stands still: 9903 stays PROCESSING

	t.Run("Processing", func(t *testing.T) {
		rep, pr := h.pay(t, payReq("REQ_CANCEL_PROCESSING", sim.AmountLater))
		wantResult(t, "pay", rep.Result, wire.StatusUnknown, wire.CodePaymentInProcess)
		c := h.cancel(t, pr.PaymentID, "")
		wantResult(t, "cancel", c.Result, wire.StatusSuccess, wire.CodeSuccess)
		cr := gatewaytest.Decode[antomgw.CancelResponse](t, c)
		if cr.PaymentID != pr.PaymentID || cr.PaymentRequestID != "REQ_CANCEL_PROCESSING" || cr.CancelTime == "" {
			t.Errorf("cancel answer = %+v, want paymentId %s, paymentRequestId and cancelTime", cr, pr.PaymentID)
		}
		ip := h.inquire(t, pr.PaymentID, "")
		if ip.PaymentStatus != "CANCELLED" || ip.PaymentResultCode != wire.CodeOrderIsCanceled {
			t.Errorf("inquiry = %s %s, want CANCELLED ORDER_IS_CANCELED", ip.PaymentStatus, ip.PaymentResultCode)
		}
		// Its delayed SUCCESS and its expiry went with it: moving the
		// clock past both runs nothing.
		h.wantNoJobs(t)
	})

	t.Run("SuccessWithinWindow", func(t *testing.T) {
		id := h.paid(t, "REQ_CANCEL_SUCCESS", 100)
		// by paymentRequestId this time
		c := h.cancel(t, "", "REQ_CANCEL_SUCCESS")
		wantResult(t, "cancel", c.Result, wire.StatusSuccess, wire.CodeSuccess)
		if cr := gatewaytest.Decode[antomgw.CancelResponse](t, c); cr.PaymentID != id {
			t.Errorf("cancel paymentId = %q, want %q", cr.PaymentID, id)
		}
		if ip := h.inquire(t, id, ""); ip.PaymentStatus != "CANCELLED" {
			t.Errorf("inquiry = %s, want CANCELLED", ip.PaymentStatus)
		}
	})

	t.Run("Repeated", func(t *testing.T) {
		id := h.paid(t, "REQ_CANCEL_TWICE", 100)
		first := h.cancel(t, id, "")
		wantResult(t, "first cancel", first.Result, wire.StatusSuccess, wire.CodeSuccess)
		before := h.Snapshot(t)
		second := h.cancel(t, id, "")
		wantResult(t, "second cancel", second.Result, wire.StatusSuccess, wire.CodeSuccess)
		if a, b := gatewaytest.Decode[antomgw.CancelResponse](t, first), gatewaytest.Decode[antomgw.CancelResponse](t, second); a != b {
			t.Errorf("second cancel answered %+v, want the first's %+v", b, a)
		}
		h.wantUnchanged(t, "a repeated cancel changed the store", before)
	})

	t.Run("AfterRefund", func(t *testing.T) {
		id := h.paid(t, "REQ_CANCEL_REFUNDED", 100)
		h.refundOK(t, "RF_CANCEL_REFUNDED", id, 10)
		wantResult(t, "cancel", h.cancel(t, id, "").Result, wire.StatusFail, wire.CodeOrderStatusInvalid)
		if ip := h.inquire(t, id, ""); ip.PaymentStatus != "SUCCESS" {
			t.Errorf("inquiry = %s, want SUCCESS", ip.PaymentStatus)
		}
	})

	t.Run("Failed", func(t *testing.T) {
		rep, _ := h.pay(t, payReq("REQ_CANCEL_FAILED", sim.AmountBalance))
		wantResult(t, "pay", rep.Result, wire.StatusFail, wire.CodeUserBalanceNotEnough)
		wantResult(t, "cancel", h.cancel(t, "", "REQ_CANCEL_FAILED").Result, wire.StatusFail, wire.CodeOrderStatusInvalid)
		if ip := h.inquire(t, "", "REQ_CANCEL_FAILED"); ip.PaymentStatus != "FAIL" || ip.PaymentResultCode != wire.CodeUserBalanceNotEnough {
			t.Errorf("inquiry = %s %s, want FAIL USER_BALANCE_NOT_ENOUGH", ip.PaymentStatus, ip.PaymentResultCode)
		}
	})

	t.Run("Unknown", func(t *testing.T) {
		before := h.Snapshot(t)
		wantResult(t, "unknown paymentId", h.cancel(t, "20990101000000000000000000000000", "").Result, wire.StatusFail, wire.CodeOrderNotExist)
		wantResult(t, "unknown paymentRequestId", h.cancel(t, "", "REQ_NOBODY").Result, wire.StatusFail, wire.CodeOrderNotExist)
		wantResult(t, "no id", h.Do(t, gatewaytest.Request{Path: pathCancel, Body: `{}`}).Result, wire.StatusFail, wire.CodeParamIllegal)
		h.wantUnchanged(t, "refused cancels changed the store", before)
	})

	t.Run("PaymentIDWins", func(t *testing.T) {
		a := h.paid(t, "REQ_CANCEL_WIN_A", 100)
		b := h.paid(t, "REQ_CANCEL_WIN_B", 100)
		c := h.cancel(t, a, "REQ_CANCEL_WIN_B")
		wantResult(t, "cancel", c.Result, wire.StatusSuccess, wire.CodeSuccess)
		if ip := h.inquire(t, a, ""); ip.PaymentStatus != "CANCELLED" {
			t.Errorf("payment named by paymentId: %s, want CANCELLED", ip.PaymentStatus)
		}
		if ip := h.inquire(t, b, ""); ip.PaymentStatus != "SUCCESS" {
			t.Errorf("payment named by paymentRequestId only: %s, want SUCCESS (paymentId wins)", ip.PaymentStatus)
		}
	})

	t.Run("PayAfterCancel", func(t *testing.T) {
		id := h.paid(t, "REQ_CANCEL_REPAY", 100)
		wantResult(t, "cancel", h.cancel(t, id, "").Result, wire.StatusSuccess, wire.CodeSuccess)
		rep, pr := h.pay(t, payReq("REQ_CANCEL_REPAY", 100))
		wantResult(t, "pay again", rep.Result, wire.StatusFail, wire.CodeOrderIsCanceled)
		wantReplay(t, "pay again", rep, true)
		if pr.PaymentID != id {
			t.Errorf("pay again paymentId = %q, want the cancelled %q", pr.PaymentID, id)
		}
		// A refund of a cancelled payment is refused too.
		rr, _ := h.refund(t, refundReq("RF_CANCELLED", id, 10))
		wantResult(t, "refund of a cancelled payment", rr.Result, wire.StatusFail, wire.CodeOrderStatusInvalid)
	})
}

// TestCancelWindow: a SUCCESS payment can be cancelled up to CancelWindow
// after it was paid, not a millisecond later.
func TestCancelWindow(t *testing.T) {
	h := newGateway(t, gatewaytest.WithCancelWindow(time.Hour))
	clock := h.Clock() // moved alone: the delayed transitions do not run
	inside := h.paid(t, "REQ_WINDOW_INSIDE", 100)
	outside := h.paid(t, "REQ_WINDOW_OUTSIDE", 100)
	clock.Advance(time.Hour)
	wantResult(t, "cancel at the end of the window", h.cancel(t, inside, "").Result, wire.StatusSuccess, wire.CodeSuccess)
	clock.Advance(time.Millisecond)
	before := h.Snapshot(t)
	c := h.cancel(t, outside, "")
	wantResult(t, "cancel after the window", c.Result, wire.StatusFail, wire.CodeCancelWindowExceed)
	h.wantUnchanged(t, "a refused cancel changed the store", before)
	if ip := h.inquire(t, outside, ""); ip.PaymentStatus != "SUCCESS" {
		t.Errorf("inquiry = %s, want SUCCESS", ip.PaymentStatus)
	}
	// A PROCESSING payment has no window: it is cancelled however old.
	rep, pr := h.pay(t, payReq("REQ_WINDOW_PROCESSING", sim.AmountNever))
	wantResult(t, "pay", rep.Result, wire.StatusUnknown, wire.CodePaymentInProcess)
	clock.Advance(2 * time.Hour)
	wantResult(t, "cancel of an old PROCESSING payment", h.cancel(t, pr.PaymentID, "").Result, wire.StatusSuccess, wire.CodeSuccess)
}

// TestCancelBeatsDelayedCompletion: a PROCESSING payment cancelled before the
// wallet's delayed answer stays CANCELLED after the clock went past that
// answer's time.
func TestCancelBeatsDelayedCompletion(t *testing.T) {
	const delay = time.Minute
	h := newGateway(t, gatewaytest.WithSimDelay(delay))
	var cancelled []string
	for _, amount := range []int64{sim.AmountLater, sim.AmountLaterFail} {
		id := "REQ_CANCEL_RACE_" + strconv.FormatInt(amount, 10)
		rep, _ := h.pay(t, payReq(id, amount))
		wantResult(t, "pay", rep.Result, wire.StatusUnknown, wire.CodePaymentInProcess)
		wantResult(t, "cancel", h.cancel(t, "", id).Result, wire.StatusSuccess, wire.CodeSuccess)
		cancelled = append(cancelled, id)
	}
	// A control payment, made at the same instant: the step that completes
	// it runs every delayed transition due by then.
	rep, _ := h.pay(t, payReq("REQ_CANCEL_RACE_CONTROL", sim.AmountLater))
	wantResult(t, "control pay", rep.Result, wire.StatusUnknown, wire.CodePaymentInProcess)
	h.Advance(t, delay)
	if ip := h.inquire(t, "", "REQ_CANCEL_RACE_CONTROL"); ip.PaymentStatus != "SUCCESS" {
		t.Fatalf("control payment: %s, want SUCCESS", ip.PaymentStatus)
	}
	for _, id := range cancelled {
		if ip := h.inquire(t, "", id); ip.PaymentStatus != "CANCELLED" || ip.PaymentResultCode != wire.CodeOrderIsCanceled {
			t.Errorf("%s after the delayed answer's time: %s %s, want CANCELLED ORDER_IS_CANCELED", id, ip.PaymentStatus, ip.PaymentResultCode)
		}
	}
}

// claimHookStore runs a hook after ClaimJobs has leased jobs and before the
// worker carries them out: the window in which a cancel can overtake a job
// already claimed.
type claimHookStore struct {
	gateway.Store
	mu   sync.Mutex
	hook func(jobs []gateway.Job) bool // true: done, remove the hook
}

func (s *claimHookStore) ClaimJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]gateway.Job, error) {
	jobs, err := s.Store.ClaimJobs(ctx, now, lease, limit)
	if err == nil && len(jobs) > 0 {
		s.mu.Lock()
		if s.hook != nil && s.hook(jobs) {
			s.hook = nil
		}
		s.mu.Unlock()
	}
	return jobs, err
}

// TestCancelBeatsClaimedCompletion: the worker has already claimed the
// payment's delayed SUCCESS when the merchant's cancel commits; the claimed
// job then finds the payment CANCELLED and leaves it so.
func TestCancelBeatsClaimedCompletion(t *testing.T) {
	const delay = time.Minute
	hs := &claimHookStore{}
	h := newGateway(t, gatewaytest.WithSimDelay(delay), gatewaytest.WithStore(func(st gateway.Store) gateway.Store {
		hs.Store = st
		return hs
	}))
	rep, pr := h.pay(t, payReq("REQ_CLAIMED", sim.AmountLater))
	wantResult(t, "pay", rep.Result, wire.StatusUnknown, wire.CodePaymentInProcess)
	fired := false
	hs.mu.Lock()
	hs.hook = func(jobs []gateway.Job) bool {
		for _, j := range jobs {
			if j.TargetID == pr.PaymentID && j.Kind == gateway.JobPaymentSettle {
				wantResult(t, "cancel", h.cancel(t, pr.PaymentID, "").Result, wire.StatusSuccess, wire.CodeSuccess)
				fired = true
				return true
			}
		}
		return false
	}
	hs.mu.Unlock()
	if jobs, _ := h.Advance(t, delay); !fired || jobs != 1 {
		t.Fatalf("at the delay: %d delayed transitions ran, hook fired %v; want the delayed SUCCESS claimed and run", jobs, fired)
	}
	ip := h.inquire(t, pr.PaymentID, "")
	if ip.PaymentStatus != "CANCELLED" || ip.PaymentResultCode != wire.CodeOrderIsCanceled {
		t.Errorf("after the claimed completion ran: %s %s, want CANCELLED ORDER_IS_CANCELED", ip.PaymentStatus, ip.PaymentResultCode)
	}
	h.wantNoJobs(t)
}

// --- other path families ------------------------------------------------------

// TestOmnichannelV2 runs the v2 paths with their body shapes.
func TestOmnichannelV2(t *testing.T) {
	h := newGateway(t)
	const (
		v2Pay            = "/openapi/v2/payments/pay"
		v2InquiryPayment = "/openapi/v2/payments/inquiryPayment"
		v2Refund         = "/openapi/v2/payments/refund"
		v2Cancel         = "/openapi/v2/payments/cancel"
		v2InquiryRefund  = "/openapi/v2/payments/inquiryRefund"
	)
	type payV2 struct {
		PaymentRequestID  string `json:"paymentRequestId"`
		PaymentID         string `json:"paymentId"`
		PaymentCreateTime string `json:"paymentCreateTime"`
		PaymentTime       string `json:"paymentTime"`
	}
	type inquiryV2 struct {
		PaymentRequestID string `json:"paymentRequestId"`
		PaymentID        string `json:"paymentId"`
		PaymentStatus    string `json:"paymentStatus"`
		PaymentMethod    string `json:"paymentMethod"`
		PaymentTime      string `json:"paymentTime"`
		PaymentAmount    struct {
			Currency string          `json:"currency"`
			Value    json.RawMessage `json:"value"`
		} `json:"paymentAmount"`
	}

	rep := h.Do(t, gatewaytest.Request{Path: v2Pay, Body: payV2Body("V2_PAY_1", 1000)})
	wantResult(t, "v2 pay", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	p := gatewaytest.Decode[payV2](t, rep)
	if p.PaymentID == "" || p.PaymentRequestID != "V2_PAY_1" || p.PaymentTime == "" || p.PaymentCreateTime == "" {
		t.Errorf("v2 pay answer %s, want paymentId, paymentRequestId, paymentCreateTime and paymentTime", rep.Body)
	}

	rep = h.Do(t, gatewaytest.Request{Path: v2InquiryPayment, Body: `{"paymentRequestId":"V2_PAY_1"}`})
	wantResult(t, "v2 inquiry", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	ip := gatewaytest.Decode[inquiryV2](t, rep)
	if ip.PaymentID != p.PaymentID || ip.PaymentStatus != "SUCCESS" || ip.PaymentMethod != "ALIPAY_CN" || ip.PaymentTime == "" {
		t.Errorf("v2 inquiry %s, want paymentId %s, SUCCESS, ALIPAY_CN, a paymentTime", rep.Body, p.PaymentID)
	}
	if ip.PaymentAmount.Currency != "USD" || string(ip.PaymentAmount.Value) != "1000" {
		t.Errorf("v2 paymentAmount = %s %s, want USD and the integer 1000", ip.PaymentAmount.Currency, ip.PaymentAmount.Value)
	}
	// The same payment is visible on the v1 path.
	if v1 := h.inquire(t, p.PaymentID, ""); v1.PaymentStatus != "SUCCESS" {
		t.Errorf("v1 inquiry of the v2 payment: %s", v1.PaymentStatus)
	}

	// Refund part, then the rest (no refundAmount: a full refund).
	rep = h.Do(t, gatewaytest.Request{Path: v2Refund, Body: `{"refundRequestId":"V2_RF_1","paymentId":"` + p.PaymentID + `","refundAmount":{"currency":"USD","value":300},"memo":"broken cup"}`})
	wantResult(t, "v2 partial refund", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	part := gatewaytest.Decode[antomgw.RefundResponse](t, rep)
	rest := `{"refundRequestId":"V2_RF_2","paymentId":"` + p.PaymentID + `"}`
	rep = h.Do(t, gatewaytest.Request{Path: v2Refund, Body: rest})
	wantResult(t, "v2 refund of the rest", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	full := gatewaytest.Decode[antomgw.RefundResponse](t, rep)
	if full.RefundAmount == nil || full.RefundAmount.Value != "700" || full.RefundID == "" {
		t.Errorf("v2 refund of the rest: %s, want a refundId and 700", rep.Body)
	}
	// A retry of the no-amount refund is the same refund, not a new one
	// and not a refusal because nothing is left.
	rep = h.Do(t, gatewaytest.Request{Path: v2Refund, Body: rest})
	wantResult(t, "v2 refund of the rest, retried", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	wantReplay(t, "v2 refund of the rest, retried", rep, true)
	if again := gatewaytest.Decode[antomgw.RefundResponse](t, rep); again.RefundID != full.RefundID {
		t.Errorf("retried refundId = %q, want %q", again.RefundID, full.RefundID)
	}
	rep = h.Do(t, gatewaytest.Request{Path: v2Refund, Body: `{"refundRequestId":"V2_RF_3","paymentId":"` + p.PaymentID + `","refundAmount":{"currency":"USD","value":1}}`})
	wantResult(t, "v2 refund beyond the amount", rep.Result, wire.StatusFail, wire.CodeRefundAmountExceed)
	rep = h.Do(t, gatewaytest.Request{Path: v2Refund, Body: `{"refundRequestId":"V2_RF_4","paymentId":"` + p.PaymentID + `"}`})
	wantResult(t, "v2 full refund of a refunded payment", rep.Result, wire.StatusFail, wire.CodeRefundAmountExceed)

	for _, c := range []struct{ body, id, value string }{
		{`{"refundRequestId":"V2_RF_1"}`, part.RefundID, "300"},
		{`{"refundId":"` + full.RefundID + `"}`, full.RefundID, "700"},
	} {
		rep = h.Do(t, gatewaytest.Request{Path: v2InquiryRefund, Body: c.body})
		wantResult(t, "v2 inquiryRefund", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
		ir := gatewaytest.Decode[antomgw.InquiryRefundResponse](t, rep)
		if ir.RefundID != c.id || ir.RefundStatus != "SUCCESS" || ir.RefundAmount == nil || ir.RefundAmount.Value != c.value {
			t.Errorf("v2 inquiryRefund %s = %s, want %s SUCCESS %s", c.body, rep.Body, c.id, c.value)
		}
	}

	// Cancel a second payment on the v2 path.
	rep = h.Do(t, gatewaytest.Request{Path: v2Pay, Body: payV2Body("V2_PAY_2", 500)})
	wantResult(t, "v2 pay 2", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	p2 := gatewaytest.Decode[payV2](t, rep)
	rep = h.Do(t, gatewaytest.Request{Path: v2Cancel, Body: `{"paymentId":"` + p2.PaymentID + `"}`})
	wantResult(t, "v2 cancel", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	rep = h.Do(t, gatewaytest.Request{Path: v2InquiryPayment, Body: `{"paymentRequestId":"V2_PAY_2"}`})
	if got := gatewaytest.Decode[inquiryV2](t, rep); got.PaymentStatus != "CANCELLED" {
		t.Errorf("v2 inquiry after cancel: %s, want CANCELLED", rep.Body)
	}
	rep = h.Do(t, gatewaytest.Request{Path: v2Pay, Body: payV2Body("V2_PAY_2", 500)})
	wantResult(t, "v2 pay of a cancelled id", rep.Result, wire.StatusFail, wire.CodeOrderIsCanceled)

	// A delayed v2 payment: U, then SUCCESS.
	rep = h.Do(t, gatewaytest.Request{Path: v2Pay, Body: payV2Body("V2_LATER", sim.AmountLater)})
	wantResult(t, "v2 pay 9903", rep.Result, wire.StatusUnknown, wire.CodePaymentInProcess)
	h.Advance(t, h.Wallet().Delay)
	if ip := h.inquire(t, "", "V2_LATER"); ip.PaymentStatus != "SUCCESS" {
		t.Errorf("v2 9903 later: %s, want SUCCESS", ip.PaymentStatus)
	}
	rep = h.Do(t, gatewaytest.Request{Path: v2Pay, Body: payV2Body("V2_FAIL", sim.AmountRisk)})
	wantResult(t, "v2 pay 9907", rep.Result, wire.StatusFail, wire.CodeRiskReject)

	// v2 validation: request ids are [A-Za-z0-9_], value an Integer.
	before := h.Snapshot(t)
	for _, c := range []struct{ body, field string }{
		{payV2Body("V2-DASH", 100), "paymentRequestId"},
		{payV2Body("V2_BIG", 2147483648), "paymentAmount.value"},
		{`{"paymentRequestId":"V2_NOMETHOD","paymentAmount":{"currency":"USD","value":100}}`, "paymentMethod"},
		{`{"paymentRequestId":"V2_NOAMOUNT","paymentMethod":"ALIPAY_CN"}`, "paymentAmount"},
		{`{"paymentRequestId":"V2_FRACTION","paymentMethod":"ALIPAY_CN","paymentAmount":{"currency":"USD","value":1.5}}`, "paymentAmount.value"},
	} {
		rep := h.Do(t, gatewaytest.Request{Path: v2Pay, Body: c.body})
		wantResult(t, "v2 pay "+c.body, rep.Result, wire.StatusFail, wire.CodeParamIllegal)
		if !strings.Contains(rep.Result.Message, c.field) {
			t.Errorf("v2 pay %s: message %q does not name %s", c.body, rep.Result.Message, c.field)
		}
	}
	h.wantUnchanged(t, "refused v2 pays changed the store", before)
}

// TestSandboxPaths: the SDKs call /ams/sandbox/api/... for SANDBOX_ client
// ids; it is the same API on the same data.
func TestSandboxPaths(t *testing.T) {
	h := newGateway(t)
	const sandbox = "/ams/sandbox/api/v1/payments/"
	rep := h.Do(t, gatewaytest.Request{Path: sandbox + "pay", Body: payBody("REQ_SANDBOX", 100)})
	wantResult(t, "sandbox pay", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	pr := gatewaytest.Decode[antomgw.PayResponse](t, rep)
	if pr.PaymentID == "" {
		t.Fatalf("sandbox pay: no paymentId in %s", rep.Body)
	}
	rep = h.Do(t, gatewaytest.Request{Path: sandbox + "inquiryPayment", Body: `{"paymentRequestId":"REQ_SANDBOX"}`})
	wantResult(t, "sandbox inquiry", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	if ip := gatewaytest.Decode[antomgw.InquiryPaymentResponse](t, rep); ip.PaymentID != pr.PaymentID || ip.PaymentStatus != "SUCCESS" {
		t.Errorf("sandbox inquiry = %s, want %s SUCCESS", rep.Body, pr.PaymentID)
	}
	rep = h.Do(t, gatewaytest.Request{Path: sandbox + "refund", Body: jsonBody(t, refundReq("RF_SANDBOX", pr.PaymentID, 40))})
	wantResult(t, "sandbox refund", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	rep = h.Do(t, gatewaytest.Request{Path: sandbox + "inquiryRefund", Body: `{"refundRequestId":"RF_SANDBOX"}`})
	wantResult(t, "sandbox inquiryRefund", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	rep = h.Do(t, gatewaytest.Request{Path: sandbox + "pay", Body: payBody("REQ_SANDBOX", 100)})
	wantResult(t, "sandbox pay replay", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	wantReplay(t, "sandbox pay replay", rep, true)
	// The production path sees the same payment.
	if ip := h.inquire(t, "", "REQ_SANDBOX"); ip.PaymentID != pr.PaymentID || len(ip.Transactions) != 1 {
		t.Errorf("v1 inquiry of the sandbox payment: %s with %d transactions, want %s with 1", ip.PaymentID, len(ip.Transactions), pr.PaymentID)
	}
	rep = h.Do(t, gatewaytest.Request{Path: sandbox + "cancel", Body: `{"paymentRequestId":"REQ_SANDBOX"}`})
	wantResult(t, "sandbox cancel of a refunded payment", rep.Result, wire.StatusFail, wire.CodeOrderStatusInvalid)
}
