package gateway

import (
	"context"
	"time"
)

// Processor decides what the wallet does with a payment or a refund. The
// simulated wallet (internal/sim) implements it; it is the only place
// outcomes are invented.
type Processor interface {
	// Admit is asked before a new payment is created. Returning false
	// answers REQUEST_TRAFFIC_EXCEED_LIMIT (U) and creates nothing.
	Admit(ctx context.Context, p *Payment) (bool, error)
	// Authorize decides a new payment. It may be called again with the
	// same payment when the process died before the first decision was
	// recorded, so it must decide the same way.
	Authorize(ctx context.Context, p *Payment) (Decision, error)
	// Refund decides a refund of a successful payment.
	Refund(ctx context.Context, p *Payment, r *Refund) (RefundDecision, error)
}

// InstantProcessor is a Processor that decides in-process, at once, with no
// effect outside the gateway (the simulated wallet). For it the Service
// creates and decides a new payment in one transaction. A processor that
// calls out (a real wallet) must not claim this: its payment must be
// committed before the call, so that a crash during the call leaves a
// PROCESSING payment to resolve rather than no record of money that moved.
type InstantProcessor interface {
	Processor
	Instant() bool
}

// Decision is the processor's answer for a payment.
type Decision struct {
	// Status is SUCCESS, FAIL or PROCESSING.
	Status PaymentStatus
	// Code and Message: the paymentResultCode for FAIL; for PROCESSING the
	// code the pay call answers with (PAYMENT_IN_PROCESS, UNKNOWN_EXCEPTION).
	Code    string
	Message string
	// Later, for PROCESSING: the move to make at Later.At. Nil leaves the
	// payment processing until it expires.
	Later *Later
	// ActionURL: where the user completes the payment (order code, entry
	// code, cashier page).
	ActionURL string
	// Hold delays the answer to this call (not the decision, which is
	// recorded at once): a response lost to a client timeout.
	Hold time.Duration
}

// Later is a delayed transition decided now.
type Later struct {
	At      time.Time
	Status  PaymentStatus
	Code    string
	Message string
}

// RefundDecision is the processor's answer for a refund.
type RefundDecision struct {
	// Status is SUCCESS, FAIL or PROCESSING (then SettleAt says when it
	// becomes SUCCESS).
	Status   RefundStatus
	Code     string
	Message  string
	SettleAt time.Time

	// A scenario rule's U refund: settle it as FAIL with this code
	// instead of SUCCESS, or never (it stays PROCESSING).
	settleFail string
	never      bool
}
