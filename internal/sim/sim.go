// Package sim is the simulated wallet behind the gateway: it implements
// gateway.Processor and decides every outcome from the payment amount, so a
// merchant can rehearse each branch of an integration offline. The scenario
// table is documented for users in docs/simulator.md; Scenarios is the same
// table in code.
package sim

import (
	"context"
	"strconv"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

var _ gateway.InstantProcessor = (*Wallet)(nil)

// Wallet is the simulated wallet. The zero value needs Marks set; every
// other field has a default. It is safe for concurrent use.
type Wallet struct {
	// Delay is how long every "later" takes. Defaults to 5s.
	Delay time.Duration
	// Hold is how long the 9902 answer is held back. Defaults to 40s, past
	// every official SDK's timeout.
	Hold time.Duration
	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time
	// Marks remembers the first attempt of a 9910 request id (normally the
	// gateway store, so the memory survives restarts and spans nodes).
	Marks interface {
		Mark(ctx context.Context, key string, at time.Time) (bool, error)
	}
	// CheckoutURL returns the URL the user opens to pay an order code,
	// entry code or cashier payment: the wallet's checkout page (see
	// internal/wallet). Defaults to
	// https://wallet.antomgw.invalid/checkout/<paymentId>, on a domain that
	// never resolves.
	CheckoutURL func(p *gateway.Payment) string
}

// Magic amounts (paymentAmount.value in minor units).
const (
	AmountUnknown      = 9901 // U UNKNOWN_EXCEPTION, SUCCESS later
	AmountTimeout      = 9902 // answer held back; SUCCESS at once
	AmountLater        = 9903 // U PAYMENT_IN_PROCESS, SUCCESS later
	AmountLaterFail    = 9904 // U PAYMENT_IN_PROCESS, FAIL later
	AmountNever        = 9905 // U PAYMENT_IN_PROCESS, closed at expiry
	AmountBalance      = 9906 // F USER_BALANCE_NOT_ENOUGH
	AmountRisk         = 9907 // F RISK_REJECT
	AmountExpiredCode  = 9908 // F EXPIRED_CODE
	AmountInvalidCode  = 9909 // F INVALID_PAYMENT_CODE
	AmountTrafficLimit = 9910 // U REQUEST_TRAFFIC_EXCEED_LIMIT once, no payment
)

// Scenario is one row of the scenario table.
type Scenario struct {
	Amount int64  // 0 for "any other amount"
	Answer string // what pay answers
	Later  string // what happens after Delay (or at expiry)
}

// Scenarios is the scenario table, in order, for docs and tests.
var Scenarios = []Scenario{
	{0, "S SUCCESS (PaymentCode, omnichannel v2); U PAYMENT_IN_PROCESS (OrderCode, EntryCode, CASHIER_PAYMENT)", "the U ones become SUCCESS, unless the user opened the checkout page: then the user pays or declines there"},
	{AmountUnknown, "U UNKNOWN_EXCEPTION (payment recorded as PROCESSING)", "SUCCESS"},
	{AmountTimeout, "the answer is held back for Hold (default 40s)", "SUCCESS at once, in the background"},
	{AmountLater, "U PAYMENT_IN_PROCESS", "SUCCESS"},
	{AmountLaterFail, "U PAYMENT_IN_PROCESS", "FAIL, USER_PAYMENT_VERIFICATION_FAILED"},
	{AmountNever, "U PAYMENT_IN_PROCESS", "nothing; closed (FAIL, ORDER_IS_CLOSED) at paymentExpiryTime"},
	{AmountBalance, "F USER_BALANCE_NOT_ENOUGH", ""},
	{AmountRisk, "F RISK_REJECT", ""},
	{AmountExpiredCode, "F EXPIRED_CODE", ""},
	{AmountInvalidCode, "F INVALID_PAYMENT_CODE", ""},
	{AmountTrafficLimit, "U REQUEST_TRAFFIC_EXCEED_LIMIT on the first attempt of a request id; no payment is created", "the next attempt with that id is decided like any other amount"},
}

func (w *Wallet) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Wallet) delay() time.Duration {
	if w.Delay > 0 {
		return w.Delay
	}
	return 5 * time.Second
}

// Instant reports that the simulated wallet decides in-process, with no
// effect outside the gateway, so a payment is created and decided in one
// transaction (gateway.InstantProcessor).
func (*Wallet) Instant() bool { return true }

// Admit implements gateway.Processor: it refuses the first attempt of a
// 9910 request id.
func (w *Wallet) Admit(ctx context.Context, p *gateway.Payment) (bool, error) {
	if p.Amount.Value != AmountTrafficLimit {
		return true, nil
	}
	first, err := w.Marks.Mark(ctx, "sim.9910:"+strconv.Itoa(len(p.ClientID))+":"+p.ClientID+":"+p.RequestID, w.now())
	if err != nil {
		return false, err
	}
	return !first, nil
}

// Authorize implements gateway.Processor. It decides from the amount alone,
// so asking again about the same payment gives the same decision.
func (w *Wallet) Authorize(_ context.Context, p *gateway.Payment) (gateway.Decision, error) {
	later := func(to gateway.PaymentStatus, code, msg string) *gateway.Later {
		return &gateway.Later{At: p.CreatedAt.Add(w.delay()), Status: to, Code: code, Message: msg}
	}
	fail := func(code, msg string) gateway.Decision {
		return gateway.Decision{Status: gateway.PaymentFail, Code: code, Message: msg}
	}
	inProcess := func(l *gateway.Later) gateway.Decision {
		return gateway.Decision{Status: gateway.PaymentProcessing, Code: gateway.CodePaymentInProcess,
			Message: "The payment is being processed.", Later: l, ActionURL: w.actionURL(p)}
	}
	switch p.Amount.Value {
	case AmountUnknown:
		d := inProcess(later(gateway.PaymentSuccess, "", ""))
		d.Code, d.Message = gateway.CodeUnknownException, "An unknown exception occurred; retry the same request or inquire the payment."
		return d, nil
	case AmountTimeout:
		hold := w.Hold
		if hold <= 0 {
			hold = 40 * time.Second
		}
		return gateway.Decision{Status: gateway.PaymentSuccess, Hold: hold}, nil
	case AmountLater:
		return inProcess(later(gateway.PaymentSuccess, "", "")), nil
	case AmountLaterFail:
		return inProcess(later(gateway.PaymentFail, "USER_PAYMENT_VERIFICATION_FAILED", "The user failed payment verification.")), nil
	case AmountNever:
		return inProcess(nil), nil
	case AmountBalance:
		return fail("USER_BALANCE_NOT_ENOUGH", "The user balance is not enough."), nil
	case AmountRisk:
		return fail("RISK_REJECT", "The payment was rejected for risk."), nil
	case AmountExpiredCode:
		return fail("EXPIRED_CODE", "The payment code has expired."), nil
	case AmountInvalidCode:
		return fail("INVALID_PAYMENT_CODE", "The payment code is invalid."), nil
	}
	if p.ProductCode == gateway.ProductCashier || p.Scenario == gateway.ScenarioOrderCode || p.Scenario == gateway.ScenarioEntryCode {
		return inProcess(later(gateway.PaymentSuccess, "", "")), nil
	}
	return gateway.Decision{Status: gateway.PaymentSuccess}, nil
}

// Refund implements gateway.Processor: refunds succeed, at once or, for
// isAsyncRefund, after Delay.
func (w *Wallet) Refund(_ context.Context, _ *gateway.Payment, r *gateway.Refund) (gateway.RefundDecision, error) {
	if r.Async {
		return gateway.RefundDecision{Status: gateway.RefundProcessing, SettleAt: r.CreatedAt.Add(w.delay())}, nil
	}
	return gateway.RefundDecision{Status: gateway.RefundSuccess}, nil
}

func (w *Wallet) actionURL(p *gateway.Payment) string {
	if w.CheckoutURL != nil {
		return w.CheckoutURL(p)
	}
	return "https://wallet.antomgw.invalid/checkout/" + p.ID
}
