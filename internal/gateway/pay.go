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

// ResultStatus is the status of an answer: S, F or U.
type ResultStatus string

// Answer statuses.
const (
	ResultS ResultStatus = "S"
	ResultF ResultStatus = "F"
	ResultU ResultStatus = "U"
)

// Answer codes the pay call gives besides a payment's own result code.
const (
	CodePaymentInProcess = "PAYMENT_IN_PROCESS"
	CodeUnknownException = "UNKNOWN_EXCEPTION"
	CodeTrafficExceed    = "REQUEST_TRAFFIC_EXCEED_LIMIT"
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
}

// PayResult is what a pay call answers.
type PayResult struct {
	// Payment is nil when nothing was created (REQUEST_TRAFFIC_EXCEED_LIMIT).
	Payment *Payment
	Status  ResultStatus
	Code    string
	Message string
	// Replay: the request id had reached a final result before this call,
	// and this is that result again.
	Replay bool
	// Hold: delay the answer this long (the decision is already recorded).
	Hold time.Duration
}

func payFingerprint(in *PayInput) string {
	return fingerprint(in.ProductCode, in.Scenario, strconv.FormatInt(in.Amount.Value, 10),
		in.Amount.Currency, in.MethodType, in.MethodID)
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
		ExpiresAt: expires.UTC().Truncate(time.Millisecond),
	}
	admitted, err := s.Processor.Admit(ctx, p)
	if err != nil {
		return nil, &Error{Kind: KindInternal, Message: "processor admit", Err: err}
	}
	if !admitted {
		return &PayResult{Status: ResultU, Code: CodeTrafficExceed, Message: "The request traffic exceeds the limit; retry the same request later."}, nil
	}
	if ip, ok := s.Processor.(InstantProcessor); ok && ip.Instant() {
		return s.payInstant(ctx, p, fp)
	}
	err = s.Store.Update(ctx, func(tx Tx) error {
		if err := tx.InsertPayment(p); err != nil {
			return err
		}
		return tx.InsertJob(&Job{Kind: JobPaymentResolve, ClientID: p.ClientID, TargetID: p.ID,
			DueAt: now.Add(orDefault(s.ResolveAfter, 30*time.Second))})
	})
	if errors.Is(err, ErrConflict) {
		existing, err := s.Store.PaymentByRequestID(ctx, in.ClientID, in.RequestID)
		if err != nil {
			return nil, storeError(err)
		}
		return duplicatePay(existing, fp)
	}
	if err != nil {
		return nil, storeError(err)
	}

	dec, err := s.Processor.Authorize(ctx, p)
	if err != nil {
		// The payment stays PROCESSING; the resolve job decides it later.
		s.log().Error("processor authorize failed; the payment is resolved later", "client_id", p.ClientID, "payment_id", p.ID, "err", err)
		return &PayResult{Payment: p, Status: ResultU, Code: CodeUnknownException, Message: "The outcome is not known yet; inquire the payment."}, nil
	}
	decided, err := s.decide(ctx, p.ClientID, p.ID, dec, nil)
	if err != nil {
		s.log().Error("recording the processor's decision failed; the payment is resolved later", "client_id", p.ClientID, "payment_id", p.ID, "err", err)
		return &PayResult{Payment: p, Status: ResultU, Code: CodeUnknownException, Message: "The outcome is not known yet; inquire the payment."}, nil
	}
	res := answer(decided)
	if decided.Status == PaymentProcessing && dec.Code != "" {
		res.Code, res.Message = dec.Code, dec.Message
	}
	res.Hold = dec.Hold
	return res, nil
}

// payInstant claims and decides a new payment in one transaction, for a
// processor that decides in-process with no effect outside the gateway:
// one commit per payment instead of two, and nothing left to resolve if
// the process dies (the claim and the decision commit together, or
// neither does).
func (s *Service) payInstant(ctx context.Context, base *Payment, fp string) (*PayResult, error) {
	var p *Payment
	var dec Decision
	err := s.Store.Update(ctx, func(tx Tx) error {
		q := *base // fn may run again after a serialisation failure
		if err := tx.InsertPayment(&q); err != nil {
			return err
		}
		d, err := s.Processor.Authorize(ctx, &q)
		if err != nil {
			return &Error{Kind: KindInternal, Message: "processor authorize", Err: err}
		}
		if err := s.apply(tx, &q, d, q.CreatedAt); err != nil {
			return err
		}
		p, dec = &q, d
		return nil
	})
	if errors.Is(err, ErrConflict) {
		existing, err := s.Store.PaymentByRequestID(ctx, base.ClientID, base.RequestID)
		if err != nil {
			return nil, storeError(err)
		}
		return duplicatePay(existing, fp)
	}
	if err != nil {
		return nil, storeError(err)
	}
	res := answer(p)
	if p.Status == PaymentProcessing && dec.Code != "" {
		res.Code, res.Message = dec.Code, dec.Message
	}
	res.Hold = dec.Hold
	return res, nil
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
// (its notifyPayment) is added here, in the same transaction. A cancel by
// the merchant is not notified: the merchant asked for it.
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
	if to == PaymentSuccess || to == PaymentFail {
		return s.notify(tx, NotifyPayment, p, nil, p.NotifyURL, now)
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

// answer is the pay answer for a payment's current state.
func answer(p *Payment) *PayResult {
	r := &PayResult{Payment: p}
	switch p.Status {
	case PaymentSuccess:
		r.Status, r.Code, r.Message = ResultS, CodeSuccess, "success"
	case PaymentFail:
		r.Status, r.Code, r.Message = ResultF, p.ResultCode, p.ResultMessage
	case PaymentCancelled:
		r.Status, r.Code, r.Message = ResultF, CodeOrderCancelled, "The paymentRequestId belongs to a cancelled payment; use a new paymentRequestId."
	default:
		r.Status, r.Code, r.Message = ResultU, CodePaymentInProcess, "The payment is being processed."
	}
	return r
}

func duplicatePay(p *Payment, fp string) (*PayResult, error) {
	if p.Fingerprint != fp {
		return nil, &Error{Kind: KindIdempotencyMismatch, Message: fmt.Sprintf(
			"paymentRequestId %s was used for a payment with different key fields (amount, currency, payment method or product); use a new paymentRequestId", p.RequestID)}
	}
	r := answer(p)
	if p.Closed() {
		r.Message = "The paymentRequestId belongs to a closed payment; use a new paymentRequestId."
	}
	r.Replay = p.Status.Final()
	return r, nil
}
