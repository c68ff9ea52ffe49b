package sqlite

// Payments and refunds: the two records a merchant's calls create.

import (
	"context"
	"fmt"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

// payment reads one payment through q; ErrNotFound when there is none.
func payment(ctx context.Context, q queryer, op, where string, args ...any) (*gateway.Payment, error) {
	return queryOne(ctx, q, op, rows.ScanPayment, `SELECT `+rows.PaymentColumns+` FROM payments WHERE `+where, args...)
}

// Payment returns a client's payment by paymentId; ErrNotFound when the
// client has none with that id.
func (s *Store) Payment(ctx context.Context, clientID, paymentID string) (*gateway.Payment, error) {
	return payment(ctx, s.rd, "payment "+paymentID, `payment_id = ? AND client_id = ?`, paymentID, clientID)
}

// PaymentByRequestID returns a client's payment by paymentRequestId;
// ErrNotFound when there is none.
func (s *Store) PaymentByRequestID(ctx context.Context, clientID, requestID string) (*gateway.Payment, error) {
	return payment(ctx, s.rd, "payment request "+requestID, `client_id = ? AND request_id = ?`, clientID, requestID)
}

// Payments lists the payments f selects, newest first.
func (s *Store) Payments(ctx context.Context, f gateway.PaymentFilter) ([]*gateway.Payment, error) {
	var l rows.List
	l.WherePayments(f)
	if c := f.After; c != nil {
		// The cursor spelled out; PostgreSQL's store compares the row value
		// (created_at, payment_id) instead.
		l.Where("(created_at < ? OR (created_at = ? AND payment_id < ?))", c.CreatedAt.UnixMilli(), c.CreatedAt.UnixMilli(), c.ID)
	}
	q, args := l.SQL(rows.PaymentColumns+` FROM payments`, `created_at DESC, payment_id DESC`, f.Limit, 50)
	return queryAll(ctx, s.rd, "list payments", rows.ScanPayment, q, args...)
}

// InsertPayment inserts p in one statement that also claims (ClientID,
// RequestID); ErrConflict when another payment holds the pair.
func (t *tx) InsertPayment(p *gateway.Payment) error {
	inserted, err := t.execOne("insert payment "+p.ID, `INSERT INTO payments (`+rows.PaymentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client_id, request_id) DO NOTHING`, rows.PaymentValues(p, boolInt)...)
	if err == nil && !inserted {
		err = fmt.Errorf("payment request %s of client %s: %w", p.RequestID, p.ClientID, gateway.ErrConflict)
	}
	return err
}

// PaymentForUpdate reads a client's payment inside the transaction. The
// transaction holds SQLite's write lock from its BEGIN IMMEDIATE, so the row
// cannot change under it.
func (t *tx) PaymentForUpdate(clientID, paymentID string) (*gateway.Payment, error) {
	return payment(t.ctx, t.tx, "payment "+paymentID, `payment_id = ? AND client_id = ?`, paymentID, clientID)
}

// UpdatePayment writes the mutable fields of p; ErrNotFound when the
// payment does not exist.
func (t *tx) UpdatePayment(p *gateway.Payment) error {
	updated, err := t.execOne("update payment "+p.ID, `UPDATE payments SET
		action_url = ?, status = ?, decided = ?, result_code = ?, result_message = ?,
		updated_at = ?, expires_at = ?, paid_at = ?, cancelled_at = ?, refunded = ?,
		auth_state = ?, auth_expires_at = ?, captured = ?, capturing = ?
		WHERE payment_id = ? AND client_id = ?`,
		p.ActionURL, string(p.Status), boolInt(p.Decided), p.ResultCode, p.ResultMessage,
		rows.Millis(p.UpdatedAt), rows.Millis(p.ExpiresAt), rows.Millis(p.PaidAt), rows.Millis(p.CancelledAt), p.Refunded,
		string(p.AuthState), rows.Millis(p.AuthExpiresAt), p.Captured, p.Capturing,
		p.ID, p.ClientID)
	if err == nil && !updated {
		err = fmt.Errorf("update payment %s: %w", p.ID, gateway.ErrNotFound)
	}
	return err
}

// refund reads one refund through q; ErrNotFound when there is none.
func refund(ctx context.Context, q queryer, op, where string, args ...any) (*gateway.Refund, error) {
	return queryOne(ctx, q, op, rows.ScanRefund, `SELECT `+rows.RefundColumns+` FROM refunds WHERE `+where, args...)
}

// Refund returns a client's refund by refundId; ErrNotFound when the client
// has none with that id.
func (s *Store) Refund(ctx context.Context, clientID, refundID string) (*gateway.Refund, error) {
	return refund(ctx, s.rd, "refund "+refundID, `refund_id = ? AND client_id = ?`, refundID, clientID)
}

// RefundByRequestID returns a client's refund by refundRequestId;
// ErrNotFound when there is none.
func (s *Store) RefundByRequestID(ctx context.Context, clientID, requestID string) (*gateway.Refund, error) {
	return refund(ctx, s.rd, "refund request "+requestID, `client_id = ? AND request_id = ?`, clientID, requestID)
}

// Refunds returns the refunds of a payment, oldest first (by creation
// time, then insertion order); none is not an error.
func (s *Store) Refunds(ctx context.Context, paymentID string) ([]*gateway.Refund, error) {
	return queryAll(ctx, s.rd, "refunds of payment "+paymentID, rows.ScanRefund, `SELECT `+rows.RefundColumns+` FROM refunds
		WHERE payment_id = ? ORDER BY created_at, rowid`, paymentID)
}

// InsertRefund inserts r in one statement that also claims (ClientID,
// RequestID); ErrConflict when another refund holds the pair.
func (t *tx) InsertRefund(r *gateway.Refund) error {
	inserted, err := t.execOne("insert refund "+r.ID, `INSERT INTO refunds (`+rows.RefundColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client_id, request_id) DO NOTHING`, rows.RefundValues(r, boolInt)...)
	if err == nil && !inserted {
		err = fmt.Errorf("refund request %s of client %s: %w", r.RequestID, r.ClientID, gateway.ErrConflict)
	}
	return err
}

// RefundForUpdate reads a client's refund inside the transaction, which
// holds the write lock.
func (t *tx) RefundForUpdate(clientID, refundID string) (*gateway.Refund, error) {
	return refund(t.ctx, t.tx, "refund "+refundID, `refund_id = ? AND client_id = ?`, refundID, clientID)
}

// UpdateRefund writes the mutable fields of r (status, result, update and
// refund times); ErrNotFound when the refund does not exist.
func (t *tx) UpdateRefund(r *gateway.Refund) error {
	updated, err := t.execOne("update refund "+r.ID, `UPDATE refunds SET
		status = ?, result_code = ?, result_message = ?, updated_at = ?, refunded_at = ?
		WHERE refund_id = ? AND client_id = ?`,
		string(r.Status), r.ResultCode, r.ResultMessage, rows.Millis(r.UpdatedAt), rows.Millis(r.RefundedAt),
		r.ID, r.ClientID)
	if err == nil && !updated {
		err = fmt.Errorf("update refund %s: %w", r.ID, gateway.ErrNotFound)
	}
	return err
}
