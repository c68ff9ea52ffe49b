package gateway

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// RunJobs claims the jobs due now (at most limit) and carries them out. A
// job that fails stays leased and is retried when its lease runs out. It
// returns how many jobs were done.
func (s *Service) RunJobs(ctx context.Context, limit int) (int, error) {
	jobs, err := s.Store.ClaimJobs(ctx, s.now(), orDefault(s.JobLease, 30*time.Second), limit)
	if err != nil {
		return 0, storeError(err)
	}
	done := 0
	var first error
	for i := range jobs {
		if err := s.runJob(ctx, &jobs[i]); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		done++
	}
	return done, first
}

func (s *Service) runJob(ctx context.Context, j *Job) error {
	switch j.Kind {
	case JobPaymentResolve:
		p, err := s.Store.Payment(ctx, j.ClientID, j.TargetID)
		if errors.Is(err, ErrNotFound) {
			return s.Store.Update(ctx, func(tx Tx) error { return tx.DeleteJob(j.ID) })
		}
		if err != nil {
			return err
		}
		if p.Decided || p.Status != PaymentProcessing {
			return s.Store.Update(ctx, func(tx Tx) error { return tx.DeleteJob(j.ID) })
		}
		dec, err := s.Processor.Authorize(ctx, p)
		if err != nil {
			return err
		}
		_, err = s.decide(ctx, p.ClientID, p.ID, dec, j)
		return err
	case JobPaymentSettle, JobPaymentExpire:
		to, code, msg := PaymentStatus(j.Status), j.Code, j.Message
		if j.Kind == JobPaymentExpire {
			to, code, msg = PaymentFail, CodeOrderIsClosed, "The payment was not completed before paymentExpiryTime and is closed."
		}
		return s.doJob(ctx, j, func(tx Tx) error {
			p, err := tx.PaymentForUpdate(j.ClientID, j.TargetID)
			if err != nil || p.Status != PaymentProcessing {
				return err // gone, or a cancel or an earlier move won
			}
			if err := s.settle(tx, p, to, code, msg, s.now()); err != nil {
				return err
			}
			return tx.UpdatePayment(p)
		})
	case JobRefundSettle:
		return s.doJob(ctx, j, func(tx Tx) error {
			r, err := tx.RefundForUpdate(j.ClientID, j.TargetID)
			if err != nil || r.Status != RefundProcessing {
				return err // gone, or already final
			}
			now := s.now()
			if err := r.move(RefundStatus(j.Status), j.Code, j.Message, now); err != nil {
				return err
			}
			p, err := tx.PaymentForUpdate(r.ClientID, r.PaymentID)
			if err != nil {
				return err
			}
			if r.Status == RefundFail {
				p.Refunded -= r.Amount.Value
				p.UpdatedAt = now
				if err := tx.UpdatePayment(p); err != nil {
					return err
				}
			}
			if err := tx.UpdateRefund(r); err != nil {
				return err
			}
			return s.notify(tx, NotifyRefund, p, r, r.NotifyURL, now)
		})
	case JobAuthExpire:
		return s.doJob(ctx, j, func(tx Tx) error { return s.expireAuthJob(tx, j) })
	case JobCaptureResolve:
		return s.resolveCapture(ctx, j)
	default:
		// A kind this version does not know (written by a newer node):
		// leave it for its lease to run out and a node that knows it.
		return errors.New("unknown job kind " + string(j.Kind))
	}
}

// doJob runs fn on a job's target in one transaction that also deletes the
// job. A target that is gone leaves nothing to do: fn's ErrNotFound is not
// an error.
func (s *Service) doJob(ctx context.Context, j *Job, fn func(tx Tx) error) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteJob(j.ID); err != nil {
			return err
		}
		if err := fn(tx); !errors.Is(err, ErrNotFound) {
			return err
		}
		return nil
	})
}

// RunWorker carries out due jobs every interval until ctx ends. Errors are
// logged; the failed job is retried after its lease.
func (s *Service) RunWorker(ctx context.Context, interval time.Duration, log *slog.Logger) {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := s.RunJobs(ctx, 64)
			if err != nil && ctx.Err() == nil {
				log.Warn("delayed transition failed; it will be retried after its lease", "err", err)
			}
			if n < 64 || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
