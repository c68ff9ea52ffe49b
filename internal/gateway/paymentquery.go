package gateway

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// PaymentFilter selects payments to list. Every zero field selects
// everything.
type PaymentFilter struct {
	ClientID  string
	PaymentID string
	RequestID string // paymentRequestId
	Status    PaymentStatus
	// From and To bound CreatedAt: From <= CreatedAt < To.
	From, To time.Time
	// After continues a listing after this payment (the last of the
	// previous page).
	After *PaymentCursor
	// Limit is the most payments returned. Defaults to 50.
	Limit int
}

// PaymentCursor is a position in the newest-first order of payments.
type PaymentCursor struct {
	CreatedAt time.Time
	ID        string
}

// String encodes the cursor for a URL or a command line.
func (c PaymentCursor) String() string {
	return strconv.FormatInt(c.CreatedAt.UnixMilli(), 10) + "." + c.ID
}

// ParsePaymentCursor reads what PaymentCursor.String wrote.
func ParsePaymentCursor(s string) (*PaymentCursor, error) {
	ms, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || id == "" {
		return nil, Invalid("cursor", "cursor %q is not one this gateway gave", s)
	}
	return &PaymentCursor{CreatedAt: time.UnixMilli(n).UTC(), ID: id}, nil
}

// PaymentPage is one page of a payment listing.
type PaymentPage struct {
	Payments []*Payment
	// Next continues the listing; nil on the last page.
	Next *PaymentCursor
}

// Payments lists the payments f selects, newest first, a page at a time.
func (s *Service) Payments(ctx context.Context, f PaymentFilter) (*PaymentPage, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Status != "" && !knownStatus(f.Status) {
		return nil, Invalid("status", "status %q is not PROCESSING, SUCCESS, FAIL or CANCELLED", f.Status)
	}
	want := f.Limit
	f.Limit++ // one more says whether there is a next page
	list, err := s.Store.Payments(ctx, f)
	if err != nil {
		return nil, storeError(err)
	}
	page := &PaymentPage{Payments: list}
	if len(list) > want {
		page.Payments = list[:want]
		last := list[want-1]
		page.Next = &PaymentCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	return page, nil
}

func knownStatus(s PaymentStatus) bool {
	switch s {
	case PaymentProcessing, PaymentSuccess, PaymentFail, PaymentCancelled:
		return true
	}
	return false
}

// PaymentDetail is a payment with everything that happened to it.
type PaymentDetail struct {
	Payment       *Payment
	Refunds       []*Refund
	Captures      []*Capture           // oldest first; only an authorisation has any
	Notifications []NotificationDetail // newest first
}

// NotificationDetail is a notification with its delivery attempts.
type NotificationDetail struct {
	Notification Notification
	Attempts     []Attempt // oldest first
}

// PaymentRef names one payment: by paymentId, or by client and
// paymentRequestId.
type PaymentRef struct {
	PaymentID string
	ClientID  string
	RequestID string
}

func (r PaymentRef) filter() (PaymentFilter, error) {
	switch {
	case r.PaymentID != "":
		return PaymentFilter{PaymentID: r.PaymentID, ClientID: r.ClientID, Limit: 1}, nil
	case r.ClientID != "" && r.RequestID != "":
		return PaymentFilter{ClientID: r.ClientID, RequestID: r.RequestID, Limit: 1}, nil
	}
	return PaymentFilter{}, Invalid("paymentId", "give a paymentId, or a client id and a paymentRequestId")
}

// FindPayment returns the payment ref names.
func (s *Service) FindPayment(ctx context.Context, ref PaymentRef) (*Payment, error) {
	f, err := ref.filter()
	if err != nil {
		return nil, err
	}
	list, err := s.Store.Payments(ctx, f)
	if err != nil {
		return nil, storeError(err)
	}
	if len(list) == 0 {
		if ref.PaymentID != "" {
			return nil, Errorf(KindNotFound, "no payment %s", ref.PaymentID)
		}
		return nil, Errorf(KindNotFound, "client %s has no payment with paymentRequestId %s", ref.ClientID, ref.RequestID)
	}
	return list[0], nil
}

// ShowPayment returns a payment with its refunds, captures, notifications
// and every delivery attempt.
func (s *Service) ShowPayment(ctx context.Context, ref PaymentRef) (*PaymentDetail, error) {
	p, err := s.FindPayment(ctx, ref)
	if err != nil {
		return nil, err
	}
	d := &PaymentDetail{Payment: p}
	if d.Refunds, err = s.Store.Refunds(ctx, p.ID); err != nil {
		return nil, storeError(err)
	}
	if p.Authorization {
		if d.Captures, err = s.Store.Captures(ctx, p.ID); err != nil {
			return nil, storeError(err)
		}
	}
	ns, err := s.Store.Notifications(ctx, NotificationFilter{PaymentID: p.ID, Limit: 1000})
	if err != nil {
		return nil, storeError(err)
	}
	for _, n := range ns {
		attempts, err := s.Store.NotificationAttempts(ctx, n.ID)
		if err != nil {
			return nil, storeError(err)
		}
		d.Notifications = append(d.Notifications, NotificationDetail{Notification: n, Attempts: attempts})
	}
	return d, nil
}

// ResolveOutcome is how an operator decides a PROCESSING payment.
type ResolveOutcome string

// Outcomes of ResolvePayment.
const (
	ResolveSuccess ResolveOutcome = "success" // the user paid
	ResolveFail    ResolveOutcome = "fail"    // it failed, with a result code
	ResolveClose   ResolveOutcome = "close"   // closed unpaid (FAIL, ORDER_IS_CLOSED)
)

// DefaultFailCode is the result code of a payment failed by hand without
// one.
const DefaultFailCode = "PROCESS_FAIL"

// maxResultMessage is the longest resultMessage Antom's answers and
// notifications carry.
const maxResultMessage = 256

// ResolvePayment decides a PROCESSING payment by hand, as the wallet would
// have: it goes through the same path as every other completion, so the
// payment's pending transitions are dropped and its notifyPayment is added
// in the same transaction. code (for ResolveFail; DefaultFailCode when
// empty) and message become the payment's result. A payment that is no
// longer PROCESSING is refused (KindInvalidTransition) and left alone.
func (s *Service) ResolvePayment(ctx context.Context, ref PaymentRef, outcome ResolveOutcome, code, message string) (*Payment, error) {
	if n := utf8.RuneCountInString(message); n > maxResultMessage {
		return nil, Invalid("message", "the message is %d characters; a resultMessage holds at most %d", n, maxResultMessage)
	}
	found, err := s.FindPayment(ctx, ref)
	if err != nil {
		return nil, err
	}
	var to PaymentStatus
	switch outcome {
	case ResolveSuccess:
		to, code = PaymentSuccess, CodeSuccess
		if message == "" {
			message = "success"
		}
	case ResolveFail:
		to = PaymentFail
		if code == "" {
			code = DefaultFailCode
		}
		if message == "" {
			message = "Failed by the operator."
		}
	case ResolveClose:
		to, code = PaymentFail, CodeOrderIsClosed
		if message == "" {
			message = "Closed by the operator."
		}
	default:
		return nil, Invalid("outcome", "outcome %q is not success, fail or close", outcome)
	}
	var out *Payment
	err = s.Store.Update(ctx, func(tx Tx) error {
		p, err := tx.PaymentForUpdate(found.ClientID, found.ID)
		if err != nil {
			return err
		}
		if p.Status != PaymentProcessing {
			return Errorf(KindInvalidTransition, "payment %s is %s, not PROCESSING; only a PROCESSING payment can be resolved", p.ID, p.Status)
		}
		p.Decided = true
		if err := s.settle(tx, p, to, code, message, s.now()); err != nil {
			return err
		}
		out = p
		return tx.UpdatePayment(p)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(KindNotFound, "no payment %s", found.ID)
	}
	if err != nil {
		return nil, storeError(err)
	}
	return out, nil
}
