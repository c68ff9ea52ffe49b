package gateway

import (
	"errors"
	"fmt"
)

// Kind classifies a domain error. httpapi maps each kind to one Antom result
// code; nothing else does.
type Kind int

// Error kinds.
const (
	// KindInternal is a failure of ours (a store error, a bug). The outcome
	// of the call is unknown to the caller.
	KindInternal Kind = iota
	// KindInvalid: a field is missing or illegal (PARAM_ILLEGAL).
	KindInvalid
	// KindNotFound: the payment or refund does not exist for this client.
	KindNotFound
	// KindIdempotencyMismatch: a request id reused with different key fields.
	KindIdempotencyMismatch
	// KindInvalidTransition: the payment's status does not allow the operation.
	KindInvalidTransition
	// KindCancelWindow: the payment is past its cancel window.
	KindCancelWindow
	// KindRefundWindow: the payment is past its refund window.
	KindRefundWindow
	// KindRefundExceed: the refund would exceed the refundable amount.
	KindRefundExceed
	// KindCurrency: the currency is not supported.
	KindCurrency
	// KindUnavailable: the store cannot take writes right now (disk full,
	// read-only); nothing was changed and the request may be retried.
	KindUnavailable
	// KindConflict: an operator's change clashes with what is there (a
	// client id taken, a key version in use).
	KindConflict
	// KindAuthNotFound: a capture names no payment of the client
	// (AUTH_NOT_FOUND).
	KindAuthNotFound
	// KindAuthExpired: the authorisation is past its authExpiryTime
	// (AUTH_EXPIRED).
	KindAuthExpired
	// KindAuthCancelled: the authorisation was voided (AUTH_CANCELLED).
	KindAuthCancelled
	// KindCaptureExceed: the capture would take more than is left of the
	// authorisation (CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT).
	KindCaptureExceed
)

// Error is a domain error: a kind, the field it concerns (for KindInvalid)
// and a message for the merchant.
type Error struct {
	Kind    Kind
	Field   string
	Message string
	Err     error // the underlying cause, if any; never shown to merchants
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" && msg == "" {
		msg = e.Field + " is illegal"
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", msg, e.Err)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of kind k.
func Errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a KindInvalid error naming field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err: the Kind of the first *Error in its chain,
// KindInternal otherwise.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// Sentinel errors stores return; Service turns them into *Error.
var (
	// ErrNotFound: no such row.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a guarded update found the row in another state, or a
	// unique key was already taken.
	ErrConflict = errors.New("conflict")
	// ErrInvalidTransition: the state machine does not allow the move.
	ErrInvalidTransition = errors.New("invalid transition")
)
