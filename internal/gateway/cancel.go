package gateway

import (
	"context"
	"errors"
	"time"
)

// payment finds a client's payment by paymentId, or by paymentRequestId when
// paymentId is empty.
func (s *Service) payment(ctx context.Context, clientID, paymentID, requestID string) (*Payment, error) {
	return lookup(ctx, clientID, lookupBy[Payment]{"paymentId", paymentID, s.Store.Payment},
		lookupBy[Payment]{"paymentRequestId", requestID, s.Store.PaymentByRequestID}, "payment")
}

// lookupBy is one way to find a client's record: the field that names it,
// its value and the store read.
type lookupBy[T any] struct {
	field, value string
	read         func(ctx context.Context, clientID, value string) (*T, error)
}

// lookup finds a client's payment or refund by its id, which wins, or by
// the merchant's request id.
func lookup[T any](ctx context.Context, clientID string, byID, byRequest lookupBy[T], what string) (*T, error) {
	by := byID
	switch {
	case byID.value != "":
	case byRequest.value != "":
		by = byRequest
	default:
		return nil, Invalid(byID.field, "%s or %s is required", byID.field, byRequest.field)
	}
	v, err := by.read(ctx, clientID, by.value)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(KindNotFound, "no %s with that %s or %s", what, byID.field, byRequest.field)
	}
	if err != nil {
		return nil, storeError(err)
	}
	return v, nil
}

// InquirePayment returns a payment (by paymentId, which wins, or by
// paymentRequestId) and its refunds.
func (s *Service) InquirePayment(ctx context.Context, clientID, paymentID, requestID string) (*Payment, []*Refund, error) {
	p, err := s.payment(ctx, clientID, paymentID, requestID)
	if err != nil {
		return nil, nil, err
	}
	refunds, err := s.Store.Refunds(ctx, p.ID)
	if err != nil {
		return nil, nil, storeError(err)
	}
	return p, refunds, nil
}

// Cancel cancels a payment: a PROCESSING one at once (a completion arriving
// later loses), a SUCCESS one inside the cancel window and before any refund
// (funds reversed). Cancelling a cancelled payment succeeds again. An
// authorisation is voided instead: while nothing of it is captured, until
// its authExpiryTime (the cancel window does not apply); after a capture
// it cannot be cancelled (refund the captured money instead).
func (s *Service) Cancel(ctx context.Context, clientID, paymentID, requestID string) (*Payment, error) {
	found, err := s.payment(ctx, clientID, paymentID, requestID)
	if err != nil {
		return nil, err
	}
	var out *Payment
	err = s.Store.Update(ctx, func(tx Tx) error {
		p, err := tx.PaymentForUpdate(clientID, found.ID)
		if err != nil {
			return err
		}
		out = p
		now := s.now()
		switch p.Status {
		case PaymentCancelled:
			return nil
		case PaymentFail:
			return Errorf(KindInvalidTransition, "the payment has failed (%s); there is nothing to cancel", p.ResultCode)
		case PaymentSuccess:
			if p.Authorization {
				return s.void(tx, p, now)
			}
			if p.Refunded > 0 {
				return Errorf(KindInvalidTransition, "the payment has refunds; it can no longer be cancelled")
			}
			if window := orDefault(s.CancelWindow, 24*time.Hour); now.Sub(p.PaidAt) > window {
				return Errorf(KindCancelWindow, "the cancel window (%s after payment) has passed; refund the payment instead", window)
			}
		}
		if err := s.settle(tx, p, PaymentCancelled, CodeOrderCancelled, "cancelled by the merchant", now); err != nil {
			return err
		}
		return tx.UpdatePayment(p)
	})
	if err != nil {
		return nil, storeError(err)
	}
	return out, nil
}

// void cancels the SUCCESS authorisation p inside tx: an open one with
// nothing captured is VOIDED and the payment CANCELLED; one past its
// authExpiryTime is expired (and so cancelled) now, which is what the
// merchant asked for. Anything captured, or being captured, refuses the
// cancel.
func (s *Service) void(tx Tx, p *Payment, now time.Time) error {
	expired, err := s.expireAuth(tx, p, now)
	if err != nil {
		return err
	}
	switch {
	case expired && p.Status == PaymentCancelled:
		return tx.UpdatePayment(p)
	case p.Capturing > 0:
		return Errorf(KindInvalidTransition, "a capture of the authorisation is in process; it can no longer be cancelled")
	case p.Captured > 0:
		return Errorf(KindInvalidTransition, "the authorisation has captures (%s captured); it can no longer be cancelled: refund the captured money instead",
			s.money(Money{Value: p.Captured, Currency: p.Amount.Currency}))
	case p.AuthState != AuthAuthorised:
		return Errorf(KindInvalidTransition, "the authorisation is %s; it can no longer be cancelled", p.AuthState)
	}
	if err := p.authMove(AuthVoided, now); err != nil {
		return err
	}
	if err := s.settle(tx, p, PaymentCancelled, CodeOrderCancelled, "The authorisation was voided by the merchant; the held amount was released.", now); err != nil {
		return err
	}
	return tx.UpdatePayment(p)
}
