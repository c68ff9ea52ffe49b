package postgres

// Captures: the merchant's captures of authorisations, and the gateway's
// own in AUTOMATIC capture mode.

import (
	"context"
	"fmt"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

// capture reads one capture through q; ErrNotFound when there is none.
func capture(ctx context.Context, q querier, op, where string, args ...any) (*gateway.Capture, error) {
	return queryOne(ctx, q, op, rows.ScanCapture, `SELECT `+rows.CaptureColumns+` FROM captures WHERE `+where, args...)
}

// Capture returns a client's capture by captureId; ErrNotFound when the
// client has none with that id.
func (s *Store) Capture(ctx context.Context, clientID, captureID string) (*gateway.Capture, error) {
	return capture(ctx, s.pool, "capture "+captureID, `capture_id = $1 AND client_id = $2`, captureID, clientID)
}

// CaptureByRequestID returns a client's capture by captureRequestId;
// ErrNotFound when there is none.
func (s *Store) CaptureByRequestID(ctx context.Context, clientID, requestID string) (*gateway.Capture, error) {
	return capture(ctx, s.pool, "capture request "+requestID, `client_id = $1 AND request_id = $2`, clientID, requestID)
}

// Captures returns the captures of a payment, oldest first (by creation
// time, a capture without one first, then insertion order); none is not
// an error.
func (s *Store) Captures(ctx context.Context, paymentID string) ([]*gateway.Capture, error) {
	return queryAll(ctx, s.pool, "captures of payment "+paymentID, rows.ScanCapture, `SELECT `+rows.CaptureColumns+` FROM captures
		WHERE payment_id = $1 ORDER BY created_at NULLS FIRST, seq`, paymentID)
}

// InsertCapture inserts c in one statement that also claims (ClientID,
// RequestID); ErrConflict when another capture holds the pair. A
// concurrent insert of the same pair by another transaction is waited
// for, as for payments. The conflict does not abort the transaction.
func (t *tx) InsertCapture(c *gateway.Capture) error {
	inserted, err := t.execOne("insert capture "+c.ID, `INSERT INTO captures (`+rows.CaptureColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (client_id, request_id) DO NOTHING`, rows.CaptureValues(c, boolean)...)
	if err == nil && !inserted {
		err = fmt.Errorf("capture request %s of client %s: %w", c.RequestID, c.ClientID, gateway.ErrConflict)
	}
	return err
}

// CaptureForUpdate reads a client's capture and locks its row until the
// transaction ends.
func (t *tx) CaptureForUpdate(clientID, captureID string) (*gateway.Capture, error) {
	c, err := capture(t.ctx, t.tx, "capture "+captureID, `capture_id = $1 AND client_id = $2 FOR UPDATE`, captureID, clientID)
	return c, t.note(err)
}

// UpdateCapture writes the mutable fields of c (status, result, update and
// capture times); ErrNotFound when the capture does not exist.
func (t *tx) UpdateCapture(c *gateway.Capture) error {
	updated, err := t.execOne("update capture "+c.ID, `UPDATE captures SET
		status = $1, result_code = $2, result_message = $3, updated_at = $4, captured_at = $5
		WHERE capture_id = $6 AND client_id = $7`,
		string(c.Status), c.ResultCode, c.ResultMessage, rows.Millis(c.UpdatedAt), rows.Millis(c.CapturedAt),
		c.ID, c.ClientID)
	if err == nil && !updated {
		err = fmt.Errorf("update capture %s: %w", c.ID, gateway.ErrNotFound)
	}
	return err
}
