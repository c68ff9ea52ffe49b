package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Codes a processor may give with a PROCESSING decision (Decision.Code),
// which the pay answer then carries.
const (
	CodePaymentInProcess = "PAYMENT_IN_PROCESS"
	CodeUnknownException = "UNKNOWN_EXCEPTION"
)

// PayInput is a validated pay request.
type PayInput struct {
	ClientID    string
	RequestID   string
	ProductCode string
	Scenario    string
	Amount      Money
	MethodType  string
	MethodID    string
	NotifyURL   string
	RedirectURL string
	ReferenceID string
	ExpiresAt   time.Time // zero: now + PaymentExpiry
	// Authorization is paymentFactor.isAuthorization: the payment is an
	// authorisation (CASHIER_PAYMENT only), captured later (see Capture).
	Authorization bool
	// CaptureMode is paymentFactor.captureMode: CaptureAutomatic (also
	// when empty) or CaptureManual, which needs Authorization.
	CaptureMode string
	// Rules are the client's scenario rules for pay (Keys.ScenarioRules);
	// the first that matches is claimed with the new payment.
	Rules []ScenarioRule
}

// PayResult is what a pay call found out; the edge (httpapi) turns it into
// the answer's result.
type PayResult struct {
	// Payment is the payment in its state now; nil when nothing was created
	// (Throttled).
	Payment *Payment
	// Throttled: the processor would not take the payment now. Nothing was
	// created; the same request may be sent again later.
	Throttled bool
	// Unknown: the payment was created but its outcome is not known yet
	// (the processor or the store failed after the claim). It is decided
	// later; an inquiry says how it ended.
	Unknown bool
	// Code and Message are the processor's for a payment it left
	// PROCESSING (Decision.Code, such as PAYMENT_IN_PROCESS); empty
	// otherwise.
	Code, Message string
	// Replay: the request id had reached a final result before this call,
	// and this is that result again.
	Replay bool
	// Hold: delay the answer this long (the decision is already recorded).
	Hold time.Duration
	// Fired is the scenario rule that shaped this call, if any. A result
	// rule whose code records nothing (RecordsNothing) leaves Payment nil:
	// the answer is the rule's code.
	Fired *Fired
}

func payFingerprint(in *PayInput) string {
	fields := []string{in.ProductCode, in.Scenario, strconv.FormatInt(in.Amount.Value, 10),
		in.Amount.Currency, in.MethodType, in.MethodID}
	if in.Authorization {
		// Only for authorisations: the fingerprints of other payments,
		// stored before authorisations existed, stay what they were.
		fields = append(fields, "authorization", in.CaptureMode)
	}
	return fingerprint(fields...)
}

// checkAuthorization checks and normalises the authorisation fields of a
// pay request.
func checkAuthorization(in *PayInput) error {
	mode, err := CheckAuthorization(in.ProductCode, in.Authorization, in.CaptureMode)
	in.CaptureMode = mode
	return err
}

// CheckAuthorization checks the authorisation fields of a payment
// (paymentFactor.isAuthorization and captureMode) for productCode and
// returns the capture mode to record: AUTOMATIC or MANUAL for an
// authorisation (AUTOMATIC when captureMode is empty), empty otherwise.
// An authorisation must be a CASHIER_PAYMENT; MANUAL needs
// isAuthorization. Errors are KindInvalid, naming the field. Pay applies
// it; a caller that records the fields before the payment exists (a
// payment session) applies it first, so that the later Pay accepts them.
func CheckAuthorization(productCode string, authorization bool, captureMode string) (string, error) {
	switch captureMode {
	case "":
		if authorization {
			captureMode = CaptureAutomatic
		}
	case CaptureAutomatic:
		if !authorization {
			captureMode = "" // every payment's default: nothing to record
		}
	case CaptureManual:
		if !authorization {
			return "", Invalid("paymentFactor.captureMode", "paymentFactor.captureMode MANUAL needs paymentFactor.isAuthorization true: only an authorisation is captured later")
		}
	default:
		return "", Invalid("paymentFactor.captureMode", "paymentFactor.captureMode %q is not AUTOMATIC or MANUAL", captureMode)
	}
	if authorization && productCode != ProductCashier {
		return "", Invalid("paymentFactor.isAuthorization", "paymentFactor.isAuthorization is for CASHIER_PAYMENT (online card payments); Antom documents no authorisation and capture for %s", productCode)
	}
	return captureMode, nil
}

func fingerprint(fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Pay creates a payment once per (client, paymentRequestId) and answers with
// its outcome. A duplicate request never starts a second execution: while
// the first is in flight it answers U PAYMENT_IN_PROCESS with the same
// paymentId; after a final result it answers that result again (Replay).
func (s *Service) Pay(ctx context.Context, in PayInput) (*PayResult, error) {
	if in.Amount.Value <= 0 {
		return nil, Invalid("paymentAmount.value", "paymentAmount.value must be a positive integer in minor units")
	}
	if err := checkAuthorization(&in); err != nil {
		return nil, err
	}
	now := s.now()
	fp := payFingerprint(&in)
	if existing, err := s.Store.PaymentByRequestID(ctx, in.ClientID, in.RequestID); err == nil {
		return duplicatePay(existing, fp)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, storeError(err)
	}
	expires := in.ExpiresAt
	if expires.IsZero() {
		expires = now.Add(orDefault(s.PaymentExpiry, 14*time.Minute))
	} else if !expires.After(now) {
		// Checked after the duplicate lookup: a retry of a request whose
		// paymentExpiryTime has passed since gets that request's result.
		return nil, Invalid("paymentExpiryTime", "paymentExpiryTime is in the past")
	}
	p := &Payment{
		ID: s.newID(now), ClientID: in.ClientID, RequestID: in.RequestID,
		ProductCode: in.ProductCode, Scenario: in.Scenario, Amount: in.Amount,
		MethodType: in.MethodType, MethodID: in.MethodID, NotifyURL: in.NotifyURL,
		RedirectURL: in.RedirectURL, ReferenceID: in.ReferenceID, Fingerprint: fp,
		Status: PaymentProcessing, CreatedAt: now, UpdatedAt: now,
		ExpiresAt:     expires.UTC().Truncate(time.Millisecond),
		Authorization: in.Authorization, CaptureMode: in.CaptureMode,
	}
	admitted, err := s.Processor.Admit(ctx, p)
	if err != nil {
		return nil, &Error{Kind: KindInternal, Message: "processor admit", Err: err}
	}
	if !admitted {
		return &PayResult{Throttled: true}, nil
	}
	if ip, ok := s.Processor.(InstantProcessor); ok && ip.Instant() {
		return s.payInstant(ctx, p, fp, in.Rules)
	}
	var rule payRule
	err = s.Store.Update(ctx, func(tx Tx) error {
		var err error
		if rule, err = claimPayRule(tx, in.Rules, p, now); err != nil || rule.noRecord {
			return err
		}
		if err := tx.InsertPayment(p); err != nil {
			return err
		}
		return tx.InsertJob(&Job{Kind: JobPaymentResolve, ClientID: p.ClientID, TargetID: p.ID,
			DueAt: now.Add(orDefault(s.ResolveAfter, 30*time.Second))})
	})
	if err != nil {
		return s.claimLost(ctx, p, err)
	}
	if rule.noRecord {
		return &PayResult{Fired: rule.fired}, nil
	}
	if rule.dec != nil {
		decided, err := s.decide(ctx, p.ClientID, p.ID, *rule.dec, nil)
		if err != nil {
			s.log().Error("recording a scenario rule's decision failed; the payment is resolved later", "client_id", p.ClientID, "payment_id", p.ID, "err", err)
			return &PayResult{Payment: p, Unknown: true, Fired: rule.fired}, nil
		}
		r := decidedPay(decided, *rule.dec)
		r.Fired = rule.fired
		return r, nil
	}

	dec, err := s.Processor.Authorize(ctx, p)
	if err != nil {
		// The payment stays PROCESSING; the resolve job decides it later.
		s.log().Error("processor authorize failed; the payment is resolved later", "client_id", p.ClientID, "payment_id", p.ID, "err", err)
		return &PayResult{Payment: p, Unknown: true}, nil
	}
	decided, err := s.decide(ctx, p.ClientID, p.ID, dec, nil)
	if err != nil {
		s.log().Error("recording the processor's decision failed; the payment is resolved later", "client_id", p.ClientID, "payment_id", p.ID, "err", err)
		return &PayResult{Payment: p, Unknown: true, Fired: rule.fired}, nil
	}
	r := decidedPay(decided, dec)
	r.Fired = rule.fired
	return r, nil
}

// payRule is what a scenario rule claimed with a new payment does to it:
// nothing to the decision (fired only: delay, drop, 5xx), the decision
// (dec, for a result rule), or no payment at all (noRecord).
type payRule struct {
	fired    *Fired
	dec      *Decision
	noRecord bool
}

// claimPayRule claims, inside tx, the first of rules matching the new
// payment p.
func claimPayRule(tx Tx, rules []ScenarioRule, p *Payment, now time.Time) (payRule, error) {
	amount := p.Amount
	f, err := claimRule(tx, rules, ScenarioCall{API: ScenarioPay, Ref: p.RequestID, Amount: &amount,
		ProductCode: p.ProductCode, Scenario: p.Scenario}, now)
	if err != nil || f == nil {
		return payRule{}, err
	}
	r := payRule{fired: f}
	if f.Effect.Kind == EffectResult {
		dec, ok := ruleDecision(f.Effect, now)
		r.dec, r.noRecord = &dec, !ok
	}
	return r, nil
}

// payInstant claims and decides a new payment in one transaction, for a
// processor that decides in-process with no effect outside the gateway:
// one commit per payment instead of two, and nothing left to resolve if
// the process dies (the claim and the decision commit together, or
// neither does).
func (s *Service) payInstant(ctx context.Context, base *Payment, fp string, rules []ScenarioRule) (*PayResult, error) {
	var p *Payment
	var dec Decision
	var rule payRule
	err := s.Store.Update(ctx, func(tx Tx) error {
		q := *base // fn may run again after a serialisation failure
		var err error
		if rule, err = claimPayRule(tx, rules, &q, q.CreatedAt); err != nil || rule.noRecord {
			return err
		}
		if err := tx.InsertPayment(&q); err != nil {
			return err
		}
		var d Decision
		if rule.dec != nil {
			d = *rule.dec
		} else if d, err = s.Processor.Authorize(ctx, &q); err != nil {
			return &Error{Kind: KindInternal, Message: "processor authorize", Err: err}
		}
		if err := s.apply(tx, &q, d, q.CreatedAt); err != nil {
			return err
		}
		p, dec = &q, d
		return nil
	})
	if err != nil {
		return s.claimLost(ctx, base, err)
	}
	if rule.noRecord {
		return &PayResult{Fired: rule.fired}, nil
	}
	r := decidedPay(p, dec)
	r.Fired = rule.fired
	return r, nil
}

// decide records the processor's decision for a payment, once: a payment
// already decided, or no longer PROCESSING (a cancel won), is left alone.
// job, when not nil, is deleted in the same transaction.
func (s *Service) decide(ctx context.Context, clientID, paymentID string, dec Decision, job *Job) (*Payment, error) {
	var out *Payment
	err := s.Store.Update(ctx, func(tx Tx) error {
		p, err := tx.PaymentForUpdate(clientID, paymentID)
		if err != nil {
			return err
		}
		out = p
		if job != nil {
			if err := tx.DeleteJob(job.ID); err != nil {
				return err
			}
		}
		if p.Decided || p.Status != PaymentProcessing {
			return nil
		}
		if err := tx.DeleteJobs(p.ID, JobPaymentResolve); err != nil {
			return err
		}
		return s.apply(tx, p, dec, s.now())
	})
	return out, err
}

// apply records a decision on an undecided PROCESSING payment, inside tx:
// the final status (and its notification), or the delayed transition and
// the expiry.
func (s *Service) apply(tx Tx, p *Payment, dec Decision, now time.Time) error {
	p.Decided = true
	p.ActionURL = dec.ActionURL
	switch dec.Status {
	case PaymentSuccess, PaymentFail:
		if err := s.settle(tx, p, dec.Status, dec.Code, dec.Message, now); err != nil {
			return err
		}
	case PaymentProcessing:
		p.UpdatedAt = now
		if l := dec.Later; l != nil {
			if err := tx.InsertJob(&Job{Kind: JobPaymentSettle, ClientID: p.ClientID, TargetID: p.ID,
				DueAt: l.At, Status: string(l.Status), Code: l.Code, Message: l.Message}); err != nil {
				return err
			}
		}
		if err := tx.InsertJob(&Job{Kind: JobPaymentExpire, ClientID: p.ClientID, TargetID: p.ID, DueAt: p.ExpiresAt}); err != nil {
			return err
		}
	default:
		return fmt.Errorf("processor decided status %q", dec.Status)
	}
	return tx.UpdatePayment(p)
}

// settle moves a payment to a final status and removes its pending jobs. It
// is the one place a payment becomes final, so what a final payment causes
// (its notifyPayment; for an authorisation, its automatic capture or its
// expiry) is added here, in the same transaction. A cancel by the merchant
// is not notified: the merchant asked for it.
func (s *Service) settle(tx Tx, p *Payment, to PaymentStatus, code, message string, now time.Time) error {
	if to == PaymentSuccess && code == "" {
		code, message = CodeSuccess, "success"
	}
	if err := p.move(to, code, message, now); err != nil {
		return err
	}
	if err := tx.DeleteJobs(p.ID); err != nil {
		return err
	}
	authorised := to == PaymentSuccess && p.Authorization
	if authorised {
		s.authorised(p, now)
	}
	if to == PaymentSuccess || to == PaymentFail {
		if err := s.notify(tx, NotifyPayment, p, nil, p.NotifyURL, now); err != nil {
			return err
		}
	}
	if authorised {
		return s.afterAuthorised(tx, p, now)
	}
	return nil
}

// notify adds a notification to the outbox inside tx, when there is a URL
// to send it to.
func (s *Service) notify(tx Tx, kind NotificationKind, p *Payment, r *Refund, url string, now time.Time) error {
	if url == "" || s.NotificationBody == nil {
		return nil
	}
	body, err := s.NotificationBody(kind, p, r)
	if err != nil {
		return fmt.Errorf("render %s: %w", kind, err)
	}
	sched := s.NotifySchedule
	if len(sched) == 0 {
		sched = AntomSchedule
	}
	n := &Notification{ID: s.newID(now), ClientID: p.ClientID, Kind: kind, PaymentID: p.ID,
		URL: url, Body: body, CreatedAt: now, DueAt: sched.First(now)}
	if r != nil {
		n.RefundID = r.ID
	}
	return tx.InsertNotification(n)
}

// decidedPay is the result of a payment the processor just decided: its
// code for a payment left PROCESSING, and the hold.
func decidedPay(p *Payment, dec Decision) *PayResult {
	r := &PayResult{Payment: p, Hold: dec.Hold}
	if p.Status == PaymentProcessing {
		r.Code, r.Message = dec.Code, dec.Message
	}
	return r
}

// claimLost answers a pay whose claim failed: as a duplicate when another
// request with the same paymentRequestId holds the claim, else with the
// store's error.
func (s *Service) claimLost(ctx context.Context, p *Payment, err error) (*PayResult, error) {
	if !errors.Is(err, ErrConflict) {
		return nil, storeError(err)
	}
	existing, err := s.Store.PaymentByRequestID(ctx, p.ClientID, p.RequestID)
	if err != nil {
		return nil, storeError(err)
	}
	return duplicatePay(existing, p.Fingerprint)
}

func duplicatePay(p *Payment, fp string) (*PayResult, error) {
	if p.Fingerprint != fp {
		return nil, &Error{Kind: KindIdempotencyMismatch, Message: fmt.Sprintf(
			"paymentRequestId %s was used for a payment with different key fields (amount, currency, payment method or product); use a new paymentRequestId", p.RequestID)}
	}
	return &PayResult{Payment: p, Replay: p.Status.Final()}, nil
}
