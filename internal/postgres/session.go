package postgres

// Payment sessions (createPaymentSession): written once, read by the API,
// the wallet's checkout page and the console.

import (
	"context"
	"fmt"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

// InsertSession stores s in one statement that also claims its id and
// (ClientID, RequestID); ErrConflict when either is taken. A concurrent
// insert of the same id or pair waits for the other transaction, as for
// payments.
func (s *Store) InsertSession(ctx context.Context, ps *gateway.PaymentSession) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO payment_sessions (`+rows.SessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
		ON CONFLICT DO NOTHING`, rows.SessionValues(ps, boolean)...)
	if err != nil {
		return storeErr("insert payment session "+ps.ID, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("payment session %s (request %s of client %s): %w", ps.ID, ps.RequestID, ps.ClientID, gateway.ErrConflict)
	}
	return nil
}

// SessionByRequestID returns a client's session by paymentRequestId;
// ErrNotFound when there is none.
func (s *Store) SessionByRequestID(ctx context.Context, clientID, requestID string) (*gateway.PaymentSession, error) {
	return queryOne(ctx, s.pool, "payment session of request "+requestID, rows.ScanSession,
		`SELECT `+rows.SessionColumns+` FROM payment_sessions WHERE client_id = $1 AND request_id = $2`, clientID, requestID)
}

// Sessions lists the sessions f selects, newest first.
func (s *Store) Sessions(ctx context.Context, f gateway.SessionFilter) ([]*gateway.PaymentSession, error) {
	l := rows.List{Numbered: true}
	l.WhereSessions(f)
	if c := f.After; c != nil {
		l.Where("(created_at, session_id) < (?, ?)", c.CreatedAt.UnixMilli(), c.ID)
	}
	q, args := l.SQL(rows.SessionColumns+` FROM payment_sessions`, `created_at DESC, session_id DESC`, f.Limit, 50)
	return queryAll(ctx, s.pool, "list payment sessions", rows.ScanSession, q, args...)
}
