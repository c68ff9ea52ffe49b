package postgres

import (
	"context"
	"fmt"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

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
