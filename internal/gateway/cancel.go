package gateway

import (
	"context"
	"errors"
	"time"
)

// payment finds a client's payment by paymentId, or by paymentRequestId when
// paymentId is empty.
func (s *Service) payment(ctx context.Context, clientID, paymentID, requestID string) (*Payment, error) {
	var p *Payment
	var err error
	switch {
	case paymentID != "":
		p, err = s.Store.Payment(ctx, clientID, paymentID)
	case requestID != "":
		p, err = s.Store.PaymentByRequestID(ctx, clientID, requestID)
	default:
		return nil, Invalid("paymentId", "paymentId or paymentRequestId is required")
	}
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(KindNotFound, "no payment with that paymentId or paymentRequestId")
	}
	if err != nil {
		return nil, storeError(err)
	}
	return p, nil
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
// (funds reversed). Cancelling a cancelled payment succeeds again.
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
