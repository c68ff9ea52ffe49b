package gateway

import (
	"fmt"
	"slices"
	"time"
)

// PaymentStatus is the status of a payment, spelled as Antom's paymentStatus.
type PaymentStatus string

// Payment statuses. The allowed moves between them are paymentTransitions.
const (
	// PaymentProcessing: created, outcome not known yet. Every payment
	// starts here.
	PaymentProcessing PaymentStatus = "PROCESSING"
	// PaymentSuccess: the user paid. Final, except for a cancel inside the
	// cancel window, which reverses the funds.
	PaymentSuccess PaymentStatus = "SUCCESS"
	// PaymentFail: the payment failed or was closed unpaid at its expiry
	// (ResultCode ORDER_IS_CLOSED). Final.
	PaymentFail PaymentStatus = "FAIL"
	// PaymentCancelled: cancelled by the merchant; any funds were reversed.
	// Final.
	PaymentCancelled PaymentStatus = "CANCELLED"
)

// paymentTransitions is the one table of allowed payment moves.
var paymentTransitions = map[PaymentStatus][]PaymentStatus{
	PaymentProcessing: {PaymentSuccess, PaymentFail, PaymentCancelled},
	PaymentSuccess:    {PaymentCancelled},
}

// PaymentTransitions returns a copy of the transition table, for
// documentation and tests.
func PaymentTransitions() map[PaymentStatus][]PaymentStatus {
	return copyTable(paymentTransitions)
}

// Final reports whether no move leads out of s except a cancel.
func (s PaymentStatus) Final() bool { return s != PaymentProcessing }

// CanMove reports whether the table allows from → to.
func (s PaymentStatus) CanMove(to PaymentStatus) bool {
	return slices.Contains(paymentTransitions[s], to)
}

// Result codes the domain records on payments and refunds (paymentResultCode).
const (
	CodeSuccess        = "SUCCESS"
	CodeOrderIsClosed  = "ORDER_IS_CLOSED"
	CodeOrderCancelled = "ORDER_IS_CANCELED"
)

// Product codes and in-store scenarios (paymentFactor.inStorePaymentScenario).
const (
	ProductInStore = "IN_STORE_PAYMENT"
	ProductCashier = "CASHIER_PAYMENT"

	ScenarioPaymentCode = "PaymentCode"
	ScenarioOrderCode   = "OrderCode"
	ScenarioEntryCode   = "EntryCode"
)

// Money is an amount in integer minor units of an ISO 4217 currency.
type Money struct {
	Value    int64
	Currency string
}

func (m Money) String() string { return fmt.Sprintf("%d %s", m.Value, m.Currency) }

// Payment is one payment of one client. Times are UTC, to the millisecond.
type Payment struct {
	ID          string // paymentId, assigned by the gateway
	ClientID    string
	RequestID   string // paymentRequestId, the merchant's idempotency key
	ProductCode string
	Scenario    string // in-store scenario; empty for cashier and v2 payments
	Amount      Money
	MethodType  string // paymentMethod.paymentMethodType (v2: paymentMethod)
	MethodID    string // paymentMethod.paymentMethodId (the user's code)
	NotifyURL   string // paymentNotifyUrl of the request, else the client's
	RedirectURL string
	ReferenceID string // order.referenceOrderId or originalMerchantOrderId
	// Fingerprint is a digest of the key fields; a duplicate request with
	// another fingerprint is REPEAT_REQ_INCONSISTENT.
	Fingerprint string
	// ActionURL is where the user completes an OrderCode, EntryCode or
	// cashier payment.
	ActionURL string

	Status PaymentStatus
	// Decided: the processor's decision is recorded (it may still be
	// PROCESSING, waiting for a delayed transition).
	Decided       bool
	ResultCode    string // paymentResultCode once final
	ResultMessage string

	CreatedAt   time.Time
	UpdatedAt   time.Time
	ExpiresAt   time.Time // paymentExpiryTime
	PaidAt      time.Time // zero unless SUCCESS (kept after a cancel)
	CancelledAt time.Time
	Refunded    int64 // sum of refunds not FAIL, in minor units

	// Authorization: paymentFactor.isAuthorization was set. The payment's
	// SUCCESS holds its amount (an authorisation) until it is captured,
	// voided or expires; see AuthState. False for every other payment,
	// whose other authorisation fields stay zero.
	Authorization bool
	// CaptureMode is CaptureAutomatic or CaptureManual for an
	// authorisation; empty otherwise.
	CaptureMode string
	// AuthState is where the authorisation stands once it succeeded;
	// AuthNone before, and for a payment that is not an authorisation.
	AuthState AuthState
	// AuthExpiresAt is authExpiryTime: when an uncaptured authorisation
	// (or the uncaptured rest of one) is released. Zero until the
	// authorisation succeeded.
	AuthExpiresAt time.Time
	// Captured is the sum of the successful captures, in minor units.
	Captured int64
	// Capturing is the sum of the captures still PROCESSING (reserved
	// against the authorised amount).
	Capturing int64
}

// move applies the transition table to p. It returns an error wrapping
// ErrInvalidTransition when the table does not allow it.
func (p *Payment) move(to PaymentStatus, code, message string, now time.Time) error {
	if !p.Status.CanMove(to) {
		return fmt.Errorf("payment %s: %s → %s: %w", p.ID, p.Status, to, ErrInvalidTransition)
	}
	p.Status, p.ResultCode, p.ResultMessage, p.UpdatedAt = to, code, message, now
	switch to {
	case PaymentSuccess:
		p.PaidAt = now
	case PaymentCancelled:
		p.CancelledAt = now
	}
	return nil
}

// Closed reports whether the payment was closed at its expiry without being
// paid.
func (p *Payment) Closed() bool {
	return p.Status == PaymentFail && p.ResultCode == CodeOrderIsClosed
}

func copyTable[S comparable](m map[S][]S) map[S][]S {
	out := make(map[S][]S, len(m))
	for k, v := range m {
		out[k] = append([]S(nil), v...)
	}
	return out
}
