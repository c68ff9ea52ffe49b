package sqlite

import (
	"context"
	"fmt"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

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
