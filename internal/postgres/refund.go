package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/jackc/pgx/v5"
)

const refundColumns = `refund_id, client_id, request_id, payment_id, amount_value, amount_currency,
	reason, reference_id, notify_url, async, fingerprint, status, result_code, result_message,
	created_at, updated_at, refunded_at`

func scanRefund(row pgx.Row) (*gateway.Refund, error) {
	var r gateway.Refund
	var status string
	err := row.Scan(&r.ID, &r.ClientID, &r.RequestID, &r.PaymentID, &r.Amount.Value, &r.Amount.Currency,
		&r.Reason, &r.ReferenceID, &r.NotifyURL, &r.Async, &r.Fingerprint, &status, &r.ResultCode, &r.ResultMessage,
		timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt}, timeCol{&r.RefundedAt})
	if err != nil {
		return nil, err
	}
	r.Status = gateway.RefundStatus(status)
	return &r, nil
}

// refund reads one refund with query; ErrNotFound when there is none.
func refund(ctx context.Context, q querier, op, query string, args ...any) (*gateway.Refund, error) {
	r, err := scanRefund(q.QueryRow(ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", op, gateway.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Refund returns a client's refund by refundId; ErrNotFound when the client
// has none with that id.
func (s *Store) Refund(ctx context.Context, clientID, refundID string) (*gateway.Refund, error) {
	r, err := refund(ctx, s.pool, "refund "+refundID,
		`SELECT `+refundColumns+` FROM refunds WHERE refund_id = $1 AND client_id = $2`, refundID, clientID)
	if err != nil && !errors.Is(err, gateway.ErrNotFound) {
		return nil, storeErr("refund "+refundID, err)
	}
	return r, err
}

// RefundByRequestID returns a client's refund by refundRequestId;
// ErrNotFound when there is none.
func (s *Store) RefundByRequestID(ctx context.Context, clientID, requestID string) (*gateway.Refund, error) {
	r, err := refund(ctx, s.pool, "refund request "+requestID,
		`SELECT `+refundColumns+` FROM refunds WHERE client_id = $1 AND request_id = $2`, clientID, requestID)
	if err != nil && !errors.Is(err, gateway.ErrNotFound) {
		return nil, storeErr("refund request "+requestID, err)
	}
	return r, err
}

// Refunds returns the refunds of a payment, oldest first (by creation
// time, a refund without one first, then insertion order); none is not an
// error.
func (s *Store) Refunds(ctx context.Context, paymentID string) ([]*gateway.Refund, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+refundColumns+` FROM refunds
		WHERE payment_id = $1 ORDER BY created_at NULLS FIRST, seq`, paymentID)
	if err != nil {
		return nil, storeErr("refunds of payment "+paymentID, err)
	}
	defer rows.Close()
	var out []*gateway.Refund
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			return nil, storeErr("refunds of payment "+paymentID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("refunds of payment "+paymentID, err)
	}
	return out, nil
}

// InsertRefund inserts r in one statement that also claims (ClientID,
// RequestID); ErrConflict when another refund holds the pair. The conflict
// does not abort the transaction.
func (t *tx) InsertRefund(r *gateway.Refund) error {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO refunds (`+refundColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT (client_id, request_id) DO NOTHING`,
		r.ID, r.ClientID, r.RequestID, r.PaymentID, r.Amount.Value, r.Amount.Currency,
		r.Reason, r.ReferenceID, r.NotifyURL, r.Async, r.Fingerprint, string(r.Status), r.ResultCode, r.ResultMessage,
		millis(r.CreatedAt), millis(r.UpdatedAt), millis(r.RefundedAt))
	if err != nil {
		return t.fail("insert refund "+r.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("refund request %s of client %s: %w", r.RequestID, r.ClientID, gateway.ErrConflict)
	}
	return nil
}

// RefundForUpdate reads a client's refund and locks its row until the
// transaction ends.
func (t *tx) RefundForUpdate(clientID, refundID string) (*gateway.Refund, error) {
	r, err := refund(t.ctx, t.tx, "refund "+refundID,
		`SELECT `+refundColumns+` FROM refunds WHERE refund_id = $1 AND client_id = $2 FOR UPDATE`, refundID, clientID)
	if err != nil && !errors.Is(err, gateway.ErrNotFound) {
		return nil, t.fail("refund "+refundID, err)
	}
	return r, err
}

// UpdateRefund writes the mutable fields of r (status, result, update and
// refund times); ErrNotFound when the refund does not exist.
func (t *tx) UpdateRefund(r *gateway.Refund) error {
	tag, err := t.tx.Exec(t.ctx, `UPDATE refunds SET
		status = $1, result_code = $2, result_message = $3, updated_at = $4, refunded_at = $5
		WHERE refund_id = $6 AND client_id = $7`,
		string(r.Status), r.ResultCode, r.ResultMessage, millis(r.UpdatedAt), millis(r.RefundedAt),
		r.ID, r.ClientID)
	if err != nil {
		return t.fail("update refund "+r.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("update refund %s: %w", r.ID, gateway.ErrNotFound)
	}
	return nil
}
