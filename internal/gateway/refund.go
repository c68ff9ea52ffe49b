package gateway

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RefundStatus is the status of a refund, spelled as Antom's refundStatus.
type RefundStatus string

// Refund statuses.
const (
	// RefundProcessing: accepted, not yet done (isAsyncRefund).
	RefundProcessing RefundStatus = "PROCESSING"
	// RefundSuccess: the money went back. Final.
	RefundSuccess RefundStatus = "SUCCESS"
	// RefundFail: the refund failed; its amount is refundable again. Final.
	RefundFail RefundStatus = "FAIL"
)

var refundTransitions = map[RefundStatus][]RefundStatus{
	RefundProcessing: {RefundSuccess, RefundFail},
}

// RefundTransitions returns a copy of the refund transition table.
func RefundTransitions() map[RefundStatus][]RefundStatus {
	return copyTable(refundTransitions)
}

// CanMove reports whether the table allows from → to.
func (s RefundStatus) CanMove(to RefundStatus) bool { return slices.Contains(refundTransitions[s], to) }

// Refund is one refund of a payment.
type Refund struct {
	ID          string // refundId, assigned by the gateway
	ClientID    string
	RequestID   string // refundRequestId, the merchant's idempotency key
	PaymentID   string
	Amount      Money
	Reason      string
	ReferenceID string // referenceRefundId
	NotifyURL   string
	Async       bool
	Fingerprint string

	Status        RefundStatus
	ResultCode    string
	ResultMessage string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	RefundedAt    time.Time // zero unless SUCCESS
}

func (r *Refund) move(to RefundStatus, code, message string, now time.Time) error {
	if !r.Status.CanMove(to) {
		return fmt.Errorf("refund %s: %s → %s: %w", r.ID, r.Status, to, ErrInvalidTransition)
	}
	r.Status, r.ResultCode, r.ResultMessage, r.UpdatedAt = to, code, message, now
	if to == RefundSuccess {
		r.RefundedAt = now
	}
	return nil
}

// RefundInput is a validated refund request.
type RefundInput struct {
	ClientID  string
	RequestID string
	PaymentID string
	// Amount to refund. A zero Amount refunds whatever is left of the
	// payment (omnichannel v2 without refundAmount); its amount is fixed
	// when the refund is created, and a retry replays it.
	Amount      Money
	Reason      string
	ReferenceID string
	NotifyURL   string
	Async       bool
	// Rules are the client's scenario rules for refund
	// (Keys.ScenarioRules); the first that matches is claimed with the
	// new refund, after the gateway's own checks.
	Rules []ScenarioRule
}

// RefundResult is what a refund call answers.
type RefundResult struct {
	Refund *Refund
	// Replay: the refundRequestId was seen before; this is that refund.
	Replay bool
	// Fired is the scenario rule that shaped this call. A result rule
	// whose code records nothing (RecordsNothing) leaves Refund nil.
	Fired *Fired
}

// Refund refunds part or all of a successful payment, once per (client,
// refundRequestId). The refunds of a payment never add up to more than it.
func (s *Service) Refund(ctx context.Context, in RefundInput) (*RefundResult, error) {
	rest := in.Amount == Money{}
	if !rest && in.Amount.Value <= 0 {
		return nil, Invalid("refundAmount.value", "refundAmount.value must be a positive integer in minor units")
	}
	fp := fingerprint(in.PaymentID, strconv.FormatInt(in.Amount.Value, 10), in.Amount.Currency)
	if rest {
		fp = fingerprint(in.PaymentID, "the rest")
	}
	return onceByRequestID(ctx, s.Store.RefundByRequestID, in.ClientID, in.RequestID,
		func(r *Refund) bool { return r.Fingerprint == fp },
		fmt.Sprintf("refundRequestId %s was used for a refund with a different paymentId or amount; use a new refundRequestId", in.RequestID),
		func(r *Refund) *RefundResult { return &RefundResult{Refund: r, Replay: true} },
		func() (*RefundResult, error) { return s.refund(ctx, in, fp, rest) })
}

// refund is Refund of a refundRequestId not seen before; rest: refund
// whatever is left.
func (s *Service) refund(ctx context.Context, in RefundInput, fp string, rest bool) (*RefundResult, error) {
	p, err := s.payment(ctx, in.ClientID, in.PaymentID, "")
	if err != nil {
		return nil, err
	}
	now := s.now()
	var fired *Fired
	r := &Refund{
		ID: s.newID(now), ClientID: in.ClientID, RequestID: in.RequestID, PaymentID: p.ID,
		Amount: in.Amount, Reason: in.Reason, ReferenceID: in.ReferenceID, NotifyURL: in.NotifyURL,
		Async: in.Async, Fingerprint: fp, Status: RefundProcessing, CreatedAt: now, UpdatedAt: now,
	}
	if r.NotifyURL == "" {
		r.NotifyURL = p.NotifyURL
	}
	err = s.Store.Update(ctx, func(tx Tx) error {
		p, err := tx.PaymentForUpdate(in.ClientID, p.ID)
		if err != nil {
			return err
		}
		if p.Status != PaymentSuccess {
			return Errorf(KindInvalidTransition, "only a SUCCESS payment can be refunded; this one is %s", p.Status)
		}
		if window := orDefault(s.RefundWindow, 365*24*time.Hour); now.Sub(p.PaidAt) > window {
			return Errorf(KindRefundWindow, "the refund window (%s after payment) has passed", window)
		}
		if p.Authorization && p.Captured == 0 {
			return Errorf(KindInvalidTransition, "nothing of the authorisation is captured; only captured money can be refunded (void the authorisation with cancel instead)")
		}
		left := p.Refundable()
		if rest {
			if left <= 0 {
				return Errorf(KindRefundExceed, "the payment is already fully refunded")
			}
			r.Amount = Money{Value: left, Currency: p.Amount.Currency}
		}
		if !strings.EqualFold(r.Amount.Currency, p.Amount.Currency) {
			return Invalid("refundAmount.currency", "refundAmount.currency %s differs from the payment's %s", r.Amount.Currency, p.Amount.Currency)
		}
		if r.Amount.Value > left {
			what := "the refundable amount"
			if p.Authorization {
				what = "the refundable amount (captured less refunded)"
			}
			return Errorf(KindRefundExceed, "refundAmount %s exceeds %s %s", s.money(r.Amount), what, s.money(Money{Value: left, Currency: p.Amount.Currency}))
		}
		amount := r.Amount
		fired, err = claimRule(tx, in.Rules, ScenarioCall{API: ScenarioRefund, Ref: r.RequestID, Amount: &amount}, now)
		if err != nil {
			return err
		}
		var dec RefundDecision
		if fired != nil && fired.Effect.Kind == EffectResult {
			if RecordsNothing(fired.Effect.ResultCode) {
				return nil
			}
			dec = ruleRefundDecision(fired.Effect, now)
		} else if dec, err = s.Processor.Refund(ctx, p, r); err != nil {
			return &Error{Kind: KindInternal, Message: "processor refund", Err: err}
		}
		r.ResultCode, r.ResultMessage = dec.Code, dec.Message
		switch dec.Status {
		case RefundSuccess:
			r.Status, r.RefundedAt = RefundSuccess, now
			if r.ResultCode == "" {
				r.ResultCode, r.ResultMessage = CodeSuccess, "success"
			}
		case RefundFail:
			r.Status = RefundFail
		default:
			r.Status = RefundProcessing
		}
		if err := tx.InsertRefund(r); err != nil {
			return err
		}
		if r.Status == RefundProcessing && !dec.never {
			to, code, msg := RefundSuccess, CodeSuccess, "success"
			if dec.settleFail != "" {
				to, code, msg = RefundFail, dec.settleFail, "settled by scenario rule"
			}
			if err := tx.InsertJob(&Job{Kind: JobRefundSettle, ClientID: r.ClientID, TargetID: r.ID,
				DueAt: dec.SettleAt, Status: string(to), Code: code, Message: msg}); err != nil {
				return err
			}
		}
		if r.Status == RefundFail {
			return nil
		}
		p.Refunded += r.Amount.Value
		p.UpdatedAt = now
		return tx.UpdatePayment(p)
	})
	if err != nil {
		return nil, err
	}
	if fired != nil && fired.Effect.Kind == EffectResult && RecordsNothing(fired.Effect.ResultCode) {
		return &RefundResult{Fired: fired}, nil
	}
	return &RefundResult{Refund: r, Fired: fired}, nil
}

// ruleRefundDecision turns a result rule into a refund's decision: S
// refunds, F records a FAIL refund with the code (the payment untouched),
// U leaves it PROCESSING and settles it as the rule's Then says.
func ruleRefundDecision(e ScenarioEffect, now time.Time) RefundDecision {
	switch e.ResultStatus {
	case "S":
		return RefundDecision{Status: RefundSuccess}
	case "F":
		return RefundDecision{Status: RefundFail, Code: e.ResultCode, Message: e.message()}
	}
	d := RefundDecision{Status: RefundProcessing, Code: e.ResultCode, Message: e.message(),
		SettleAt: now.Add(orDefault(e.ThenAfter, DefaultThenAfter))}
	switch to, code, _ := ParseThen(e.Then); to {
	case "":
		d.never = true
	case PaymentFail:
		d.settleFail = code
	}
	return d
}

// InquireRefund returns a refund by refundId (which wins) or refundRequestId.
func (s *Service) InquireRefund(ctx context.Context, clientID, refundID, requestID string) (*Refund, error) {
	return lookup(ctx, clientID, lookupBy[Refund]{"refundId", refundID, s.Store.Refund},
		lookupBy[Refund]{"refundRequestId", requestID, s.Store.RefundByRequestID}, "refund")
}
