package sqlite

// Payment sessions (createPaymentSession): written once, read by the API,
// the wallet's checkout page and the console.

import (
	"context"
	"fmt"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

// InsertSession stores s in one statement that also claims its id and
// (ClientID, RequestID); ErrConflict when either is taken.
func (s *Store) InsertSession(ctx context.Context, ps *gateway.PaymentSession) error {
	inserted, err := changed(s.wr.ExecContext(ctx, `INSERT INTO payment_sessions (`+rows.SessionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, rows.SessionValues(ps, boolInt)...))
	if err != nil {
		return storeErr("insert payment session "+ps.ID, err)
	}
	if !inserted {
		return fmt.Errorf("payment session %s (request %s of client %s): %w", ps.ID, ps.RequestID, ps.ClientID, gateway.ErrConflict)
	}
	return nil
}

// SessionByRequestID returns a client's session by paymentRequestId;
// ErrNotFound when there is none.
func (s *Store) SessionByRequestID(ctx context.Context, clientID, requestID string) (*gateway.PaymentSession, error) {
	return queryOne(ctx, s.rd, "payment session of request "+requestID, rows.ScanSession,
		`SELECT `+rows.SessionColumns+` FROM payment_sessions WHERE client_id = ? AND request_id = ?`, clientID, requestID)
}

// Sessions lists the sessions f selects, newest first.
func (s *Store) Sessions(ctx context.Context, f gateway.SessionFilter) ([]*gateway.PaymentSession, error) {
	var l rows.List
	l.WhereSessions(f)
	if c := f.After; c != nil {
		l.Where("(created_at < ? OR (created_at = ? AND session_id < ?))", c.CreatedAt.UnixMilli(), c.CreatedAt.UnixMilli(), c.ID)
	}
	q, args := l.SQL(rows.SessionColumns+` FROM payment_sessions`, `created_at DESC, session_id DESC`, f.Limit, 50)
	return queryAll(ctx, s.rd, "list payment sessions", rows.ScanSession, q, args...)
}
