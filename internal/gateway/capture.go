package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CaptureStatus is the status of a capture.
type CaptureStatus string

// Capture statuses.
const (
	// CaptureProcessing: recorded, the processor's answer not yet: the
	// capture's amount is reserved against the authorisation. A repeat of
	// its captureRequestId answers U CAPTURE_IN_PROCESS.
	CaptureProcessing CaptureStatus = "PROCESSING"
	// CaptureSuccess: the amount was taken. Final.
	CaptureSuccess CaptureStatus = "SUCCESS"
	// CaptureFail: the processor refused the capture; its amount may be
	// captured again under a new captureRequestId. Final.
	CaptureFail CaptureStatus = "FAIL"
)

var captureTransitions = map[CaptureStatus][]CaptureStatus{
	CaptureProcessing: {CaptureSuccess, CaptureFail},
}

// CaptureTransitions returns a copy of the capture transition table.
func CaptureTransitions() map[CaptureStatus][]CaptureStatus { return copyTable(captureTransitions) }

// CanMove reports whether the table allows from → to.
func (s CaptureStatus) CanMove(to CaptureStatus) bool {
	return slices.Contains(captureTransitions[s], to)
}

// Capture is one capture of an authorisation (a payment made with
// paymentFactor.isAuthorization): the merchant's, or the gateway's own in
// AUTOMATIC capture mode.
type Capture struct {
	ID        string // captureId, assigned by the gateway
	ClientID  string
	RequestID string // captureRequestId, the merchant's idempotency key
	PaymentID string
	Amount    Money
	// Last: isLastCapture; when it succeeds the rest of the authorisation
	// is released.
	Last bool
	// Automatic: the gateway's own capture in AUTOMATIC capture mode.
	Automatic bool
	// Fingerprint is a digest of paymentId and amount; a repeat of the
	// captureRequestId with another one is REPEAT_REQ_INCONSISTENT.
	Fingerprint string

	Status        CaptureStatus
	ResultCode    string
	ResultMessage string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	CapturedAt    time.Time // zero unless SUCCESS
}

func (c *Capture) move(to CaptureStatus, code, message string, now time.Time) error {
	if !c.Status.CanMove(to) {
		return fmt.Errorf("capture %s: %s → %s: %w", c.ID, c.Status, to, ErrInvalidTransition)
	}
	c.Status, c.ResultCode, c.ResultMessage, c.UpdatedAt = to, code, message, now
	if to == CaptureSuccess {
		c.CapturedAt = now
	}
	return nil
}

// CaptureProcessor is a Processor that also decides captures. A Processor
// that is not one takes every capture the gateway's rules allow, at once.
type CaptureProcessor interface {
	// Capture decides a capture of the authorised payment p. It may be
	// called again for the same capture when the process died before the
	// first decision was recorded, so it must decide the same way. p is
	// the payment as it stands, locked, when the processor is an
	// InstantProcessor; otherwise as it was when the capture was recorded.
	Capture(ctx context.Context, p *Payment, c *Capture) (CaptureDecision, error)
}

// CaptureDecision is the processor's answer for a capture.
type CaptureDecision struct {
	// Status is SUCCESS or FAIL.
	Status CaptureStatus
	// Code and Message: the result code of a FAIL
	// (MULTI_CAPTURE_NOT_SUPPORTED, …).
	Code    string
	Message string
}

// CaptureInput is a validated capture request.
type CaptureInput struct {
	ClientID  string
	RequestID string // captureRequestId
	PaymentID string
	Amount    Money
	Last      bool // isLastCapture
	// Rules are the client's scenario rules for capture
	// (Keys.ScenarioRules); the first that matches is claimed with the new
	// capture, after the gateway's own checks.
	Rules []ScenarioRule
}

// CaptureResult is what a capture call found out; the edge turns it into
// the answer's result: S for a SUCCESS capture, F with its code for a
// FAIL one, U CAPTURE_IN_PROCESS for one still PROCESSING.
type CaptureResult struct {
	Capture *Capture
	// Replay: the captureRequestId had reached a final result before this
	// call, and this is that result again.
	Replay bool
	// Fired is the scenario rule that shaped this call. A result rule
	// whose code records nothing (RecordsNothing) leaves Capture nil.
	Fired *Fired
}

// captureFingerprint is the digest a repeat of a captureRequestId must
// match: the payment, the amount and isLastCapture (a repeat that turns a
// capture into the last one would otherwise be told the rest was
// released).
func captureFingerprint(paymentID string, m Money, last bool) string {
	return fingerprint("capture", paymentID, strconv.FormatInt(m.Value, 10), m.Currency, strconv.FormatBool(last))
}

// Capture captures all or part of an authorisation, once per (client,
// captureRequestId). The successful captures of a payment never add up to
// more than it authorised. A repeat of the request while the first is in
// flight answers the PROCESSING capture (U CAPTURE_IN_PROCESS); after a
// final result, that result again (Replay); with another paymentId or
// amount, KindIdempotencyMismatch. Refusals record nothing: the
// captureRequestId stays free.
func (s *Service) Capture(ctx context.Context, in CaptureInput) (*CaptureResult, error) {
	if in.Amount.Value <= 0 {
		return nil, Invalid("captureAmount.value", "captureAmount.value must be a positive integer in minor units")
	}
	fp := captureFingerprint(in.PaymentID, in.Amount, in.Last)
	return onceByRequestID(ctx, s.Store.CaptureByRequestID, in.ClientID, in.RequestID,
		func(c *Capture) bool { return c.Fingerprint == fp },
		fmt.Sprintf("captureRequestId %s was used for a capture with a different paymentId, captureAmount or isLastCapture; use a new captureRequestId", in.RequestID),
		func(c *Capture) *CaptureResult {
			return &CaptureResult{Capture: c, Replay: c.Status != CaptureProcessing}
		},
		func() (*CaptureResult, error) { return s.capture(ctx, in, fp) })
}

// capture is Capture of a captureRequestId not seen before.
func (s *Service) capture(ctx context.Context, in CaptureInput, fp string) (*CaptureResult, error) {
	found, err := s.Store.Payment(ctx, in.ClientID, in.PaymentID)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(KindAuthNotFound, "no authorisation with paymentId %s", in.PaymentID)
	}
	if err != nil {
		return nil, storeError(err)
	}
	now := s.now()
	base := &Capture{ID: s.newID(now), ClientID: in.ClientID, RequestID: in.RequestID, PaymentID: found.ID,
		Amount: in.Amount, Last: in.Last, Fingerprint: fp, Status: CaptureProcessing, CreatedAt: now, UpdatedAt: now}

	cp, decides := s.Processor.(CaptureProcessor)
	ip, instant := s.Processor.(InstantProcessor)
	var out *Capture
	var rule captureRule
	if !decides || (instant && ip.Instant()) {
		// Checked, decided and recorded in one transaction: nothing is
		// ever in flight.
		err = s.Store.Update(ctx, func(tx Tx) error {
			c := *base // fn may run again after a serialisation failure
			out = nil
			p, err := tx.PaymentForUpdate(in.ClientID, found.ID)
			if err != nil {
				return err
			}
			if err := s.checkCapture(p, &c, now); err != nil {
				return err
			}
			if rule, err = claimCaptureRule(tx, in.Rules, &c, now); err != nil || rule.noRecord {
				return err
			}
			if rule.dec == nil && rule.pending {
				if err := s.pendingCapture(tx, p, &c, rule.later, now); err != nil {
					return err
				}
				out = &c
				return tx.UpdatePayment(p)
			}
			dec := CaptureDecision{Status: CaptureSuccess}
			if rule.dec != nil {
				dec = *rule.dec
			} else if decides {
				if dec, err = cp.Capture(ctx, p, &c); err != nil {
					return &Error{Kind: KindInternal, Message: "processor capture", Err: err}
				}
			}
			if err := s.recordCapture(tx, p, &c, dec, now, true); err != nil {
				return err
			}
			out = &c
			return tx.UpdatePayment(p)
		})
	} else {
		out, rule, err = s.captureCallOut(ctx, cp, base, in.Rules, now)
	}
	if err != nil {
		return nil, err
	}
	if rule.noRecord {
		return &CaptureResult{Fired: rule.fired}, nil
	}
	return &CaptureResult{Capture: out, Fired: rule.fired}, nil
}

// captureRule is what a scenario rule claimed with a new capture does to
// it: nothing to the decision (fired only: delay, drop, 5xx); the
// decision (dec: S takes the money, F records a FAIL capture and
// notifies it, the authorisation untouched); PROCESSING (pending, for a
// U: its amount reserved, settled by later, or never when later is nil);
// or no capture at all (noRecord).
type captureRule struct {
	fired    *Fired
	dec      *CaptureDecision
	pending  bool
	later    *Job
	noRecord bool
}

// claimCaptureRule claims, inside tx, the first of rules matching the new
// capture c (checked already).
func claimCaptureRule(tx Tx, rules []ScenarioRule, c *Capture, now time.Time) (captureRule, error) {
	amount := c.Amount
	f, err := claimRule(tx, rules, ScenarioCall{API: ScenarioCapture, Ref: c.RequestID, Amount: &amount}, now)
	if err != nil || f == nil {
		return captureRule{}, err
	}
	r := captureRule{fired: f}
	e := f.Effect
	if e.Kind != EffectResult {
		return r, nil
	}
	switch {
	case RecordsNothing(e.ResultCode):
		r.noRecord = true
	case e.ResultStatus == "S":
		r.dec = &CaptureDecision{Status: CaptureSuccess}
	case e.ResultStatus == "F":
		r.dec = &CaptureDecision{Status: CaptureFail, Code: e.ResultCode, Message: e.message()}
	default:
		r.pending = true
		switch to, code, _ := ParseThen(e.Then); to {
		case PaymentSuccess:
			r.later = &Job{Status: string(CaptureSuccess), Code: code, Message: "success"}
		case PaymentFail:
			r.later = &Job{Status: string(CaptureFail), Code: code, Message: "settled by scenario rule"}
		}
		if r.later != nil {
			r.later.Kind, r.later.ClientID, r.later.TargetID = JobCaptureResolve, c.ClientID, c.ID
			r.later.DueAt = now.Add(orDefault(e.ThenAfter, DefaultThenAfter))
		}
	}
	return r, nil
}

// pendingCapture records, inside tx, a capture a rule's U left
// PROCESSING: its amount reserved against p (which the caller writes),
// and the job that settles it as the rule's Then says (none for never).
func (s *Service) pendingCapture(tx Tx, p *Payment, c *Capture, later *Job, now time.Time) error {
	if err := tx.InsertCapture(c); err != nil {
		return err
	}
	p.Capturing += c.Amount.Value
	p.UpdatedAt = now
	if later != nil {
		j := *later
		if err := tx.InsertJob(&j); err != nil {
			return err
		}
	}
	return nil
}

// captureCallOut records a PROCESSING capture (its amount reserved, and a
// job to ask again should the process die), asks the processor outside
// any transaction, and records its answer. A processor error leaves the
// capture PROCESSING for the job.
func (s *Service) captureCallOut(ctx context.Context, cp CaptureProcessor, base *Capture, rules []ScenarioRule, now time.Time) (*Capture, captureRule, error) {
	var p *Payment
	var c Capture
	var rule captureRule
	err := s.Store.Update(ctx, func(tx Tx) error {
		c = *base // fn may run again after a serialisation failure
		q, err := tx.PaymentForUpdate(c.ClientID, c.PaymentID)
		if err != nil {
			return err
		}
		if err := s.checkCapture(q, &c, now); err != nil {
			return err
		}
		if rule, err = claimCaptureRule(tx, rules, &c, now); err != nil || rule.noRecord {
			return err
		}
		switch {
		case rule.dec != nil:
			// Decided by the rule: recorded at once, the processor not
			// asked.
			if err := s.recordCapture(tx, q, &c, *rule.dec, now, true); err != nil {
				return err
			}
			return tx.UpdatePayment(q)
		case rule.pending:
			if err := s.pendingCapture(tx, q, &c, rule.later, now); err != nil {
				return err
			}
			return tx.UpdatePayment(q)
		}
		if err := tx.InsertCapture(&c); err != nil {
			return err
		}
		q.Capturing += c.Amount.Value
		q.UpdatedAt = now
		p = q
		if err := tx.InsertJob(&Job{Kind: JobCaptureResolve, ClientID: c.ClientID, TargetID: c.ID,
			DueAt: now.Add(orDefault(s.ResolveAfter, 30*time.Second))}); err != nil {
			return err
		}
		return tx.UpdatePayment(q)
	})
	if err != nil || rule.noRecord || rule.dec != nil || rule.pending {
		return &c, rule, err
	}
	dec, err := cp.Capture(ctx, p, &c)
	if err != nil {
		s.log().Error("processor capture failed; the capture is resolved later", "client_id", c.ClientID, "capture_id", c.ID, "err", err)
		return &c, rule, nil
	}
	done, err := s.finishCapture(ctx, &c, dec, nil)
	if err != nil {
		s.log().Error("recording the processor's capture decision failed; the capture is resolved later", "client_id", c.ClientID, "capture_id", c.ID, "err", err)
		return &c, rule, nil
	}
	return done, rule, nil
}

// finishCapture records the processor's decision for a PROCESSING
// capture, once: a capture already final is left alone. job, when not
// nil, is deleted in the same transaction.
func (s *Service) finishCapture(ctx context.Context, base *Capture, dec CaptureDecision, job *Job) (*Capture, error) {
	var out *Capture
	err := s.Store.Update(ctx, func(tx Tx) error {
		if job != nil {
			if err := tx.DeleteJob(job.ID); err != nil {
				return err
			}
		}
		c, err := tx.CaptureForUpdate(base.ClientID, base.ID)
		if err != nil {
			return err
		}
		out = c
		if c.Status != CaptureProcessing {
			return nil
		}
		if err := tx.DeleteJobs(c.ID, JobCaptureResolve); err != nil {
			return err
		}
		p, err := tx.PaymentForUpdate(c.ClientID, c.PaymentID)
		if err != nil {
			return err
		}
		p.Capturing -= c.Amount.Value
		if err := s.recordCapture(tx, p, c, dec, s.now(), false); err != nil {
			return err
		}
		if err := tx.UpdateCapture(c); err != nil {
			return err
		}
		return tx.UpdatePayment(p)
	})
	return out, err
}

// checkCapture applies the capture rules to c against the locked payment
// p at now. Each refusal is a *Error whose kind names the result code.
func (s *Service) checkCapture(p *Payment, c *Capture, now time.Time) error {
	switch {
	case !p.Authorization:
		return Errorf(KindInvalidTransition, "payment %s is not an authorisation (its pay request did not set paymentFactor.isAuthorization); there is nothing to capture", p.ID)
	case p.Status == PaymentProcessing:
		return Errorf(KindInvalidTransition, "the authorisation of payment %s has not succeeded yet (paymentStatus PROCESSING); capture it once it is SUCCESS", p.ID)
	case p.Status == PaymentFail:
		return Errorf(KindInvalidTransition, "the authorisation of payment %s failed (%s); there is nothing to capture", p.ID, p.ResultCode)
	case p.AuthState == AuthExpired || p.authExpiredAt(now):
		return Errorf(KindAuthExpired, "the authorisation expired at authExpiryTime %s; the held amount was released", p.AuthExpiresAt.UTC().Format(time.RFC3339))
	case p.AuthState == AuthVoided || p.Status == PaymentCancelled:
		return Errorf(KindAuthCancelled, "the authorisation was cancelled (voided); the held amount was released")
	case p.CaptureMode != CaptureManual:
		return Errorf(KindInvalidTransition, "payment %s was captured automatically (captureMode AUTOMATIC); capture is for captureMode MANUAL", p.ID)
	case p.AuthState == AuthCaptured && p.Captured < p.Amount.Value:
		return Errorf(KindInvalidTransition, "a capture with isLastCapture released the rest of the authorisation; nothing more can be captured")
	case p.AuthState == AuthCaptured:
		return Errorf(KindInvalidTransition, "the authorisation is fully captured")
	case !p.AuthState.Open():
		return Errorf(KindInvalidTransition, "the authorisation of payment %s cannot be captured", p.ID)
	case !strings.EqualFold(c.Amount.Currency, p.Amount.Currency):
		return Errorf(KindCurrency, "captureAmount.currency %s differs from the authorised currency %s", c.Amount.Currency, p.Amount.Currency)
	}
	if left := p.Capturable(); c.Amount.Value > left {
		msg := fmt.Sprintf("captureAmount %s exceeds what is left of the authorisation, %s (authorised %s, captured %s",
			s.money(c.Amount), s.money(Money{Value: left, Currency: p.Amount.Currency}), s.money(p.Amount),
			s.money(Money{Value: p.Captured, Currency: p.Amount.Currency}))
		if p.Capturing > 0 {
			msg += fmt.Sprintf(", being captured %s", s.money(Money{Value: p.Capturing, Currency: p.Amount.Currency}))
		}
		return &Error{Kind: KindCaptureExceed, Message: msg + ")"}
	}
	c.Amount.Currency = p.Amount.Currency
	return nil
}

// recordCapture applies a decision to capture c of payment p inside tx:
// a SUCCESS takes the amount and moves the authorisation on; either final
// status adds notifyCapture. insert says c is new (inserted here); else
// the caller updates it. The caller writes p.
func (s *Service) recordCapture(tx Tx, p *Payment, c *Capture, dec CaptureDecision, now time.Time, insert bool) error {
	switch dec.Status {
	case CaptureSuccess:
		code, msg := dec.Code, dec.Message
		if code == "" {
			code, msg = CodeSuccess, "success"
		}
		if err := c.move(CaptureSuccess, code, msg, now); err != nil {
			return err
		}
		p.Captured += c.Amount.Value
		p.UpdatedAt = now
		if p.AuthState.Open() {
			to := AuthPartiallyCaptured
			if c.Last || p.Captured >= p.Amount.Value {
				to = AuthCaptured
			}
			if err := p.authMove(to, now); err != nil {
				return err
			}
			if to == AuthCaptured {
				if err := tx.DeleteJobs(p.ID, JobAuthExpire); err != nil {
					return err
				}
			}
		}
	case CaptureFail:
		code := dec.Code
		if code == "" {
			code = DefaultFailCode
		}
		if err := c.move(CaptureFail, code, dec.Message, now); err != nil {
			return err
		}
	default:
		return fmt.Errorf("processor decided capture status %q", dec.Status)
	}
	if insert {
		if err := tx.InsertCapture(c); err != nil {
			return err
		}
	}
	return s.notifyCapture(tx, p, c, now)
}

// notifyCapture adds notifyCapture for a capture that reached SUCCESS or
// FAIL to the outbox inside tx, to the payment's notify URL.
func (s *Service) notifyCapture(tx Tx, p *Payment, c *Capture, now time.Time) error {
	if p.NotifyURL == "" || s.CaptureNotificationBody == nil {
		return nil
	}
	body, err := s.CaptureNotificationBody(p, c)
	if err != nil {
		return fmt.Errorf("render %s: %w", NotifyCapture, err)
	}
	sched := s.NotifySchedule
	if len(sched) == 0 {
		sched = AntomSchedule
	}
	return tx.InsertNotification(&Notification{ID: s.newID(now), ClientID: p.ClientID, Kind: NotifyCapture,
		PaymentID: p.ID, URL: p.NotifyURL, Body: body, CreatedAt: now, DueAt: sched.First(now)})
}

// resolveCapture carries out a JobCaptureResolve: it asks the processor
// again about a capture whose decision was never recorded, or, when the
// job carries a status (a scenario rule's U, settled as its Then says),
// records that status.
func (s *Service) resolveCapture(ctx context.Context, j *Job) error {
	c, err := s.Store.Capture(ctx, j.ClientID, j.TargetID)
	if errors.Is(err, ErrNotFound) {
		return s.Store.Update(ctx, func(tx Tx) error { return tx.DeleteJob(j.ID) })
	}
	if err != nil {
		return err
	}
	if c.Status != CaptureProcessing {
		return s.Store.Update(ctx, func(tx Tx) error { return tx.DeleteJob(j.ID) })
	}
	dec := CaptureDecision{Status: CaptureSuccess}
	if j.Status != "" {
		dec = CaptureDecision{Status: CaptureStatus(j.Status), Code: j.Code, Message: j.Message}
	} else if cp, ok := s.Processor.(CaptureProcessor); ok {
		p, err := s.Store.Payment(ctx, c.ClientID, c.PaymentID)
		if err != nil {
			return err
		}
		if dec, err = cp.Capture(ctx, p, c); err != nil {
			return err
		}
	}
	_, err = s.finishCapture(ctx, c, dec, j)
	return err
}

// Captures returns the captures of a client's payment, oldest first.
func (s *Service) Captures(ctx context.Context, clientID, paymentID string) ([]*Capture, error) {
	cs, err := s.Store.Captures(ctx, paymentID)
	if err != nil {
		return nil, storeError(err)
	}
	out := cs[:0]
	for _, c := range cs {
		if c.ClientID == clientID {
			out = append(out, c)
		}
	}
	return out, nil
}
