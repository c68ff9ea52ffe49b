package gateway

import (
	"context"
	"errors"
)

// StartCheckout records that the wallet's user opened the page where they
// pay a PROCESSING OrderCode, EntryCode or cashier payment: from then on
// the user decides (ResolvePayment, from the wallet page), so the
// processor's automatic completion of the payment (its pending
// JobPaymentSettle) is called off, in one transaction. The expiry stays:
// a user who never decides leaves the payment to be closed at
// paymentExpiryTime. A payment that is not PROCESSING, or has no pending
// completion, is returned unchanged. Starting twice is harmless.
func (s *Service) StartCheckout(ctx context.Context, ref PaymentRef) (*Payment, error) {
	found, err := s.FindPayment(ctx, ref)
	if err != nil {
		return nil, err
	}
	if found.Status != PaymentProcessing || !found.Decided {
		return found, nil
	}
	var out *Payment
	err = s.Store.Update(ctx, func(tx Tx) error {
		p, err := tx.PaymentForUpdate(found.ClientID, found.ID)
		if err != nil {
			return err
		}
		out = p
		if p.Status != PaymentProcessing {
			return nil
		}
		return tx.DeleteJobs(p.ID, JobPaymentSettle)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(KindNotFound, "no payment %s", found.ID)
	}
	if err != nil {
		return nil, storeError(err)
	}
	return out, nil
}
