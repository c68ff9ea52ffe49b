package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/jackc/pgx/v5"
)

const paymentColumns = `payment_id, client_id, request_id, product_code, scenario,
	amount_value, amount_currency, method_type, method_id, notify_url, redirect_url,
	reference_id, fingerprint, action_url, status, decided, result_code, result_message,
	created_at, updated_at, expires_at, paid_at, cancelled_at, refunded`

func scanPayment(row pgx.Row) (*gateway.Payment, error) {
	var p gateway.Payment
	var status string
	err := row.Scan(&p.ID, &p.ClientID, &p.RequestID, &p.ProductCode, &p.Scenario,
		&p.Amount.Value, &p.Amount.Currency, &p.MethodType, &p.MethodID, &p.NotifyURL, &p.RedirectURL,
		&p.ReferenceID, &p.Fingerprint, &p.ActionURL, &status, &p.Decided, &p.ResultCode, &p.ResultMessage,
		timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}, timeCol{&p.ExpiresAt}, timeCol{&p.PaidAt},
		timeCol{&p.CancelledAt}, &p.Refunded)
	if err != nil {
		return nil, err
	}
	p.Status = gateway.PaymentStatus(status)
	return &p, nil
}

// payment reads one payment with query; ErrNotFound when there is none.
func payment(ctx context.Context, q querier, op, query string, args ...any) (*gateway.Payment, error) {
	p, err := scanPayment(q.QueryRow(ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", op, gateway.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Payment returns a client's payment by paymentId; ErrNotFound when the
// client has none with that id.
func (s *Store) Payment(ctx context.Context, clientID, paymentID string) (*gateway.Payment, error) {
	p, err := payment(ctx, s.pool, "payment "+paymentID,
		`SELECT `+paymentColumns+` FROM payments WHERE payment_id = $1 AND client_id = $2`, paymentID, clientID)
	if err != nil && !errors.Is(err, gateway.ErrNotFound) {
		return nil, storeErr("payment "+paymentID, err)
	}
	return p, err
}

// Payments lists the payments f selects, newest first.
func (s *Store) Payments(ctx context.Context, f gateway.PaymentFilter) ([]*gateway.Payment, error) {
	var where []string
	var args []any
	add := func(cond string, a any) {
		args = append(args, a)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.ClientID != "" {
		add("client_id = ?", f.ClientID)
	}
	if f.PaymentID != "" {
		add("payment_id = ?", f.PaymentID)
	}
	if f.RequestID != "" {
		add("request_id = ?", f.RequestID)
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if !f.From.IsZero() {
		add("created_at >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("created_at < ?", f.To.UnixMilli())
	}
	if c := f.After; c != nil {
		args = append(args, c.CreatedAt.UnixMilli(), c.ID)
		where = append(where, fmt.Sprintf("(created_at, payment_id) < ($%d, $%d)", len(args)-1, len(args)))
	}
	q := `SELECT ` + paymentColumns + ` FROM payments`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY created_at DESC, payment_id DESC LIMIT $%d`, len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, storeErr("list payments", err)
	}
	defer rows.Close()
	var out []*gateway.Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, storeErr("list payments", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("list payments", err)
	}
	return out, nil
}

// PaymentByRequestID returns a client's payment by paymentRequestId;
// ErrNotFound when there is none.
func (s *Store) PaymentByRequestID(ctx context.Context, clientID, requestID string) (*gateway.Payment, error) {
	p, err := payment(ctx, s.pool, "payment request "+requestID,
		`SELECT `+paymentColumns+` FROM payments WHERE client_id = $1 AND request_id = $2`, clientID, requestID)
	if err != nil && !errors.Is(err, gateway.ErrNotFound) {
		return nil, storeErr("payment request "+requestID, err)
	}
	return p, err
}

// InsertPayment inserts p in one statement that also claims (ClientID,
// RequestID); ErrConflict when another payment holds the pair. A concurrent
// insert of the same pair by another transaction (another node) waits for
// that transaction: when it commits, this one conflicts; when it rolls back,
// this one inserts. The conflict does not abort the transaction.
func (t *tx) InsertPayment(p *gateway.Payment) error {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO payments (`+paymentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
		ON CONFLICT (client_id, request_id) DO NOTHING`,
		p.ID, p.ClientID, p.RequestID, p.ProductCode, p.Scenario,
		p.Amount.Value, p.Amount.Currency, p.MethodType, p.MethodID, p.NotifyURL, p.RedirectURL,
		p.ReferenceID, p.Fingerprint, p.ActionURL, string(p.Status), p.Decided, p.ResultCode, p.ResultMessage,
		millis(p.CreatedAt), millis(p.UpdatedAt), millis(p.ExpiresAt), millis(p.PaidAt),
		millis(p.CancelledAt), p.Refunded)
	if err != nil {
		return t.fail("insert payment "+p.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("payment request %s of client %s: %w", p.RequestID, p.ClientID, gateway.ErrConflict)
	}
	return nil
}

// PaymentForUpdate reads a client's payment and locks its row (SELECT … FOR
// UPDATE) until the transaction ends; a row another transaction holds is
// waited for and read as that transaction left it.
func (t *tx) PaymentForUpdate(clientID, paymentID string) (*gateway.Payment, error) {
	p, err := payment(t.ctx, t.tx, "payment "+paymentID,
		`SELECT `+paymentColumns+` FROM payments WHERE payment_id = $1 AND client_id = $2 FOR UPDATE`, paymentID, clientID)
	if err != nil && !errors.Is(err, gateway.ErrNotFound) {
		return nil, t.fail("payment "+paymentID, err)
	}
	return p, err
}

// UpdatePayment writes the mutable fields of p; ErrNotFound when the
// payment does not exist.
func (t *tx) UpdatePayment(p *gateway.Payment) error {
	tag, err := t.tx.Exec(t.ctx, `UPDATE payments SET
		action_url = $1, status = $2, decided = $3, result_code = $4, result_message = $5,
		updated_at = $6, expires_at = $7, paid_at = $8, cancelled_at = $9, refunded = $10
		WHERE payment_id = $11 AND client_id = $12`,
		p.ActionURL, string(p.Status), p.Decided, p.ResultCode, p.ResultMessage,
		millis(p.UpdatedAt), millis(p.ExpiresAt), millis(p.PaidAt), millis(p.CancelledAt), p.Refunded,
		p.ID, p.ClientID)
	if err != nil {
		return t.fail("update payment "+p.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("update payment %s: %w", p.ID, gateway.ErrNotFound)
	}
	return nil
}
