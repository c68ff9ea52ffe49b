package gateway

import (
	"fmt"
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
func (s RefundStatus) CanMove(to RefundStatus) bool {
	for _, t := range refundTransitions[s] {
		if t == to {
			return true
		}
	}
	return false
}

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
	r.Status = to
	r.ResultCode, r.ResultMessage = code, message
	r.UpdatedAt = now
	if to == RefundSuccess {
		r.RefundedAt = now
	}
	return nil
}
