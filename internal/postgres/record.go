package postgres

// Payments and refunds: the two records a merchant's calls create.

import (
	"context"
	"fmt"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

// payment reads one payment through q; ErrNotFound when there is none.
func payment(ctx context.Context, q querier, op, where string, args ...any) (*gateway.Payment, error) {
	return queryOne(ctx, q, op, rows.ScanPayment, `SELECT `+rows.PaymentColumns+` FROM payments WHERE `+where, args...)
}

// Payment returns a client's payment by paymentId; ErrNotFound when the
// client has none with that id.
func (s *Store) Payment(ctx context.Context, clientID, paymentID string) (*gateway.Payment, error) {
	return payment(ctx, s.pool, "payment "+paymentID, `payment_id = $1 AND client_id = $2`, paymentID, clientID)
}

// Payments lists the payments f selects, newest first.
func (s *Store) Payments(ctx context.Context, f gateway.PaymentFilter) ([]*gateway.Payment, error) {
	l := rows.List{Numbered: true}
	l.WherePayments(f)
	if c := f.After; c != nil {
		// The cursor as a row-value comparison; SQLite's store spells it out.
		l.Where("(created_at, payment_id) < (?, ?)", c.CreatedAt.UnixMilli(), c.ID)
	}
	q, args := l.SQL(rows.PaymentColumns+` FROM payments`, `created_at DESC, payment_id DESC`, f.Limit, 50)
	return queryAll(ctx, s.pool, "list payments", rows.ScanPayment, q, args...)
}

// PaymentByRequestID returns a client's payment by paymentRequestId;
// ErrNotFound when there is none.
func (s *Store) PaymentByRequestID(ctx context.Context, clientID, requestID string) (*gateway.Payment, error) {
	return payment(ctx, s.pool, "payment request "+requestID, `client_id = $1 AND request_id = $2`, clientID, requestID)
}

// InsertPayment inserts p in one statement that also claims (ClientID,
// RequestID); ErrConflict when another payment holds the pair. A concurrent
// insert of the same pair by another transaction (another node) waits for
// that transaction: when it commits, this one conflicts; when it rolls back,
// this one inserts. The conflict does not abort the transaction.
func (t *tx) InsertPayment(p *gateway.Payment) error {
	inserted, err := t.execOne("insert payment "+p.ID, `INSERT INTO payments (`+rows.PaymentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24,
			$25, $26, $27, $28, $29, $30)
		ON CONFLICT (client_id, request_id) DO NOTHING`, rows.PaymentValues(p, boolean)...)
	if err == nil && !inserted {
		err = fmt.Errorf("payment request %s of client %s: %w", p.RequestID, p.ClientID, gateway.ErrConflict)
	}
	return err
}

// PaymentForUpdate reads a client's payment and locks its row (SELECT … FOR
// UPDATE) until the transaction ends; a row another transaction holds is
// waited for and read as that transaction left it.
func (t *tx) PaymentForUpdate(clientID, paymentID string) (*gateway.Payment, error) {
	p, err := payment(t.ctx, t.tx, "payment "+paymentID, `payment_id = $1 AND client_id = $2 FOR UPDATE`, paymentID, clientID)
	return p, t.note(err)
}

// UpdatePayment writes the mutable fields of p; ErrNotFound when the
// payment does not exist.
func (t *tx) UpdatePayment(p *gateway.Payment) error {
	updated, err := t.execOne("update payment "+p.ID, `UPDATE payments SET
		action_url = $1, status = $2, decided = $3, result_code = $4, result_message = $5,
		updated_at = $6, expires_at = $7, paid_at = $8, cancelled_at = $9, refunded = $10,
		auth_state = $11, auth_expires_at = $12, captured = $13, capturing = $14
		WHERE payment_id = $15 AND client_id = $16`,
		p.ActionURL, string(p.Status), p.Decided, p.ResultCode, p.ResultMessage,
		rows.Millis(p.UpdatedAt), rows.Millis(p.ExpiresAt), rows.Millis(p.PaidAt), rows.Millis(p.CancelledAt), p.Refunded,
		string(p.AuthState), rows.Millis(p.AuthExpiresAt), p.Captured, p.Capturing,
		p.ID, p.ClientID)
	if err == nil && !updated {
		err = fmt.Errorf("update payment %s: %w", p.ID, gateway.ErrNotFound)
	}
	return err
}

// refund reads one refund through q; ErrNotFound when there is none.
func refund(ctx context.Context, q querier, op, where string, args ...any) (*gateway.Refund, error) {
	return queryOne(ctx, q, op, rows.ScanRefund, `SELECT `+rows.RefundColumns+` FROM refunds WHERE `+where, args...)
}

// Refund returns a client's refund by refundId; ErrNotFound when the client
// has none with that id.
func (s *Store) Refund(ctx context.Context, clientID, refundID string) (*gateway.Refund, error) {
	return refund(ctx, s.pool, "refund "+refundID, `refund_id = $1 AND client_id = $2`, refundID, clientID)
}

// RefundByRequestID returns a client's refund by refundRequestId;
// ErrNotFound when there is none.
func (s *Store) RefundByRequestID(ctx context.Context, clientID, requestID string) (*gateway.Refund, error) {
	return refund(ctx, s.pool, "refund request "+requestID, `client_id = $1 AND request_id = $2`, clientID, requestID)
}

// Refunds returns the refunds of a payment, oldest first (by creation
// time, a refund without one first, then insertion order); none is not an
// error.
func (s *Store) Refunds(ctx context.Context, paymentID string) ([]*gateway.Refund, error) {
	return queryAll(ctx, s.pool, "refunds of payment "+paymentID, rows.ScanRefund, `SELECT `+rows.RefundColumns+` FROM refunds
		WHERE payment_id = $1 ORDER BY created_at NULLS FIRST, seq`, paymentID)
}

// InsertRefund inserts r in one statement that also claims (ClientID,
// RequestID); ErrConflict when another refund holds the pair. The conflict
// does not abort the transaction.
func (t *tx) InsertRefund(r *gateway.Refund) error {
	inserted, err := t.execOne("insert refund "+r.ID, `INSERT INTO refunds (`+rows.RefundColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT (client_id, request_id) DO NOTHING`, rows.RefundValues(r, boolean)...)
	if err == nil && !inserted {
		err = fmt.Errorf("refund request %s of client %s: %w", r.RequestID, r.ClientID, gateway.ErrConflict)
	}
	return err
}

// RefundForUpdate reads a client's refund and locks its row until the
// transaction ends.
func (t *tx) RefundForUpdate(clientID, refundID string) (*gateway.Refund, error) {
	r, err := refund(t.ctx, t.tx, "refund "+refundID, `refund_id = $1 AND client_id = $2 FOR UPDATE`, refundID, clientID)
	return r, t.note(err)
}

// UpdateRefund writes the mutable fields of r (status, result, update and
// refund times); ErrNotFound when the refund does not exist.
func (t *tx) UpdateRefund(r *gateway.Refund) error {
	updated, err := t.execOne("update refund "+r.ID, `UPDATE refunds SET
		status = $1, result_code = $2, result_message = $3, updated_at = $4, refunded_at = $5
		WHERE refund_id = $6 AND client_id = $7`,
		string(r.Status), r.ResultCode, r.ResultMessage, rows.Millis(r.UpdatedAt), rows.Millis(r.RefundedAt),
		r.ID, r.ClientID)
	if err == nil && !updated {
		err = fmt.Errorf("update refund %s: %w", r.ID, gateway.ErrNotFound)
	}
	return err
}
