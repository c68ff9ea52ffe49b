package antomgw

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// Defaults of ResolveOptions.
const (
	DefaultResolveDeadline = 60 * time.Second
	DefaultPollInterval    = 2 * time.Second
	DefaultMaxPollInterval = 16 * time.Second
	DefaultCancelAttempts  = 3
)

// ResolveOptions configures ResolvePayment and PayAndResolve. The zero
// value (or nil) uses every default.
type ResolveOptions struct {
	// Deadline is how long to poll inquiryPayment, counted from the start
	// of ResolvePayment, before the payment is cancelled. Defaults to
	// DefaultResolveDeadline (60s).
	Deadline time.Duration
	// PollInterval is the pause after the first inquiry; it doubles after
	// each inquiry up to MaxPollInterval, jittered into [d/2, d) like the
	// retries (Config.JitterFunc). Defaults to DefaultPollInterval (2s, the
	// first pause of Antom's own demo).
	PollInterval time.Duration
	// MaxPollInterval caps the pause between inquiries. Defaults to
	// DefaultMaxPollInterval (16s).
	MaxPollInterval time.Duration
	// CancelAttempts is how many times the cancel is sent while it answers
	// U or no verified answer comes back (each of them with the client's
	// own retries inside). Defaults to DefaultCancelAttempts (3).
	CancelAttempts int
	// PendingFunc, when set, is called by PayAndResolve with the pay
	// response of a U answer before polling starts: the moment to show an
	// OrderCode's QR code (OrderCodeForm) to the user.
	PendingFunc func(*PayResponse)
	// PollFunc, when set, is called after each inquiry that leaves the
	// payment undecided, with the inquiry's number, its answer (nil when
	// none came back), its error, and the pause before the next one: a way
	// to show progress.
	PollFunc func(inquiry int, payment *InquiryPaymentResponse, err error, wait time.Duration)
}

func (o *ResolveOptions) withDefaults() ResolveOptions {
	var r ResolveOptions
	if o != nil {
		r = *o
	}
	if r.Deadline <= 0 {
		r.Deadline = DefaultResolveDeadline
	}
	if r.PollInterval <= 0 {
		r.PollInterval = DefaultPollInterval
	}
	if r.MaxPollInterval <= 0 {
		r.MaxPollInterval = DefaultMaxPollInterval
	}
	r.MaxPollInterval = max(r.MaxPollInterval, r.PollInterval)
	if r.CancelAttempts <= 0 {
		r.CancelAttempts = DefaultCancelAttempts
	}
	return r
}

// Outcome is how a payment ended, as far as ResolvePayment could tell.
type Outcome string

// The outcomes of ResolvePayment and PayAndResolve.
const (
	// OutcomeSuccess: the payment succeeded. Hand over the goods.
	OutcomeSuccess Outcome = "SUCCESS"
	// OutcomeFail: the payment failed; Resolution.Result says why. No money
	// moved.
	OutcomeFail Outcome = "FAIL"
	// OutcomeCancelled: the payment is cancelled, by ResolvePayment at its
	// deadline (Resolution.Cancel is set) or before. No money moved (or it
	// was reversed).
	OutcomeCancelled Outcome = "CANCELLED"
	// OutcomeNotFound: the gateway has no payment with that
	// paymentRequestId, not even after the deadline: the pay request never
	// arrived. Do not reuse the paymentRequestId.
	OutcomeNotFound Outcome = "NOT_FOUND"
	// OutcomeUnresolved: the state is still unknown (the cancel did not
	// answer, the context ended, or the gateway refused the inquiry);
	// ResolvePayment returns an error with it. Ask a person, or try
	// again later with the same paymentRequestId.
	OutcomeUnresolved Outcome = "UNRESOLVED"
)

// Resolution is what ResolvePayment and PayAndResolve found out.
type Resolution struct {
	// Outcome is how the payment ended.
	Outcome Outcome
	// Result is the result that decided the outcome: S SUCCESS; the
	// payment's failure code with status F (the code is empty when the
	// gateway gives none, as omnichannel v2 inquiries do); the cancel's
	// result. Zero for OutcomeUnresolved.
	Result Result
	// Pay is the verified pay answer (PayAndResolve only; nil when the
	// answer was lost).
	Pay *PayResponse
	// Payment is the last verified inquiry answer, nil when none came.
	Payment *InquiryPaymentResponse
	// Cancel is the verified cancel answer, when a cancel was answered.
	Cancel *CancelResponse
	// Inquiries and CancelAttempts count the calls made.
	Inquiries      int
	CancelAttempts int
}

// PayAndResolve is a POS terminal's whole pay: it sends req and, when the
// answer is U or does not come back at all (a timeout, a lost connection,
// retries exhausted), resolves the payment with ResolvePayment. S and F
// answers end it at once. It returns an error only with
// OutcomeUnresolved, or when the request could not be sent at all.
func (c *Client) PayAndResolve(ctx context.Context, req *PayRequest, opts *ResolveOptions) (*Resolution, error) {
	o := opts.withDefaults()
	resp, err := c.Pay(ctx, req)
	switch {
	case err == nil:
		return &Resolution{Outcome: OutcomeSuccess, Result: resp.Result, Pay: resp}, nil
	case IsFail(err):
		r, _ := ResultOf(err)
		return &Resolution{Outcome: OutcomeFail, Result: r, Pay: resp}, nil
	case !IsUnknown(err):
		return nil, err // never sent
	case missingKey(err):
		// Every further answer would be refused the same way: polling
		// cannot help until the gateway key is installed.
		return &Resolution{Outcome: OutcomeUnresolved}, fmt.Errorf("antomgw: resolve payment %s: unresolved (install the key, then ResolvePayment with the same paymentRequestId): %w", req.PaymentRequestID, err)
	}
	if resp != nil && o.PendingFunc != nil {
		o.PendingFunc(resp)
	}
	c.log.Info("antomgw: pay outcome unknown; resolving", "payment_request_id", req.PaymentRequestID, "reason", err)
	res, rerr := c.resolve(ctx, req.PaymentRequestID, o)
	res.Pay = resp
	return res, rerr
}

// ResolvePayment finds out how a payment whose pay answer was U or lost
// ended, the way Antom asks POS terminals to: it polls inquiryPayment by
// paymentRequestID with backoff until the payment is final or the
// deadline passes, and then cancels it, sending the cancel again while it
// answers U. It inquires at least once before cancelling. ctx bounds
// everything: give it room for the deadline and the cancel.
//
// It returns a nil error with every outcome but OutcomeUnresolved.
func (c *Client) ResolvePayment(ctx context.Context, paymentRequestID string, opts *ResolveOptions) (*Resolution, error) {
	return c.resolve(ctx, paymentRequestID, opts.withDefaults())
}

func (c *Client) resolve(ctx context.Context, id string, o ResolveOptions) (*Resolution, error) {
	res := &Resolution{Outcome: OutcomeUnresolved}
	deadline := time.Now().Add(o.Deadline)
	var lastErr error
	for i := 1; ; i++ {
		resp, err := c.InquiryPayment(ctx, &InquiryPaymentRequest{PaymentRequestID: id})
		res.Inquiries++
		switch {
		case err == nil:
			res.Payment = resp
			if final(res, resp) {
				return res, nil
			}
		case IsCode(err, wire.CodeOrderNotExist):
			// Not (yet) there: the pay may still be on its way. Keep
			// polling; the cancel at the deadline settles it.
		case IsFail(err):
			return res, fmt.Errorf("antomgw: resolve payment %s: %w", id, err)
		case missingKey(err):
			return res, unresolved(id, err, nil)
		}
		if err != nil {
			lastErr = err
		}
		if ctx.Err() != nil {
			return res, unresolved(id, ctx.Err(), lastErr)
		}
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		wait := min(backoff(i, o.PollInterval, o.MaxPollInterval, c.cfg.JitterFunc()), left)
		c.log.Debug("antomgw: payment not final; polling", "payment_request_id", id, "inquiry", i, "wait", wait)
		if o.PollFunc != nil {
			o.PollFunc(i, resp, err, wait)
		}
		if !sleep(ctx, wait) {
			return res, unresolved(id, ctx.Err(), lastErr)
		}
	}

	c.log.Info("antomgw: payment not final at the deadline; cancelling", "payment_request_id", id, "deadline", o.Deadline)
	for a := 1; a <= o.CancelAttempts; a++ {
		resp, err := c.CancelPayment(ctx, &CancelRequest{PaymentRequestID: id})
		res.CancelAttempts = a
		if resp != nil {
			res.Cancel = resp
		}
		switch {
		case err == nil:
			res.Outcome, res.Result = OutcomeCancelled, resp.Result
			return res, nil
		case IsCode(err, wire.CodeOrderNotExist):
			res.Outcome, res.Result = OutcomeNotFound, resp.Result
			return res, nil
		case IsFail(err):
			// The payment can no longer be cancelled (it failed, or it
			// succeeded outside the cancel window): say what it is.
			ir, ierr := c.InquiryPayment(ctx, &InquiryPaymentRequest{PaymentRequestID: id})
			res.Inquiries++
			if ierr == nil {
				res.Payment = ir
				if final(res, ir) {
					return res, nil
				}
			}
			return res, fmt.Errorf("antomgw: resolve payment %s: cancel: %w", id, err)
		case missingKey(err):
			return res, unresolved(id, err, nil)
		}
		lastErr = err
		if ctx.Err() != nil {
			return res, unresolved(id, ctx.Err(), lastErr)
		}
		if a < o.CancelAttempts {
			wait := backoff(a, o.PollInterval, o.MaxPollInterval, c.cfg.JitterFunc())
			c.log.Warn("antomgw: retrying cancel", "payment_request_id", id, "attempt", a+1, "reason", err, "delay", wait)
			if !sleep(ctx, wait) {
				return res, unresolved(id, ctx.Err(), lastErr)
			}
		}
	}
	return res, unresolved(id, errors.New("the cancel did not answer S"), lastErr)
}

// final fills res from an inquiry answer and reports whether the payment
// is final.
func final(res *Resolution, r *InquiryPaymentResponse) bool {
	switch r.PaymentStatus {
	case PaymentStatusSuccess:
		res.Outcome, res.Result = OutcomeSuccess, r.Result
	case PaymentStatusFail:
		res.Outcome = OutcomeFail
		res.Result = Result{Code: r.PaymentResultCode, Status: wire.StatusFail, Message: r.PaymentResultMessage}
	case PaymentStatusCancelled:
		res.Outcome = OutcomeCancelled
		res.Result = Result{Code: wire.CodeOrderIsCanceled, Status: wire.StatusFail, Message: r.PaymentResultMessage}
	default:
		return false
	}
	return true
}

// missingKey reports whether err is an answer signed with a gateway key
// version the client does not hold.
func missingKey(err error) bool {
	var ke *KeyVersionError
	return errors.As(err, &ke)
}

func unresolved(id string, why, last error) error {
	if last != nil {
		return fmt.Errorf("antomgw: resolve payment %s: unresolved: %w (last answer: %w)", id, why, last)
	}
	return fmt.Errorf("antomgw: resolve payment %s: unresolved: %w", id, why)
}
