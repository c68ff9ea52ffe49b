package sqlite

// Captures: the merchant's captures of authorisations, and the gateway's
// own in AUTOMATIC capture mode.

import (
	"context"
	"fmt"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

// capture reads one capture through q; ErrNotFound when there is none.
func capture(ctx context.Context, q queryer, op, where string, args ...any) (*gateway.Capture, error) {
	return queryOne(ctx, q, op, rows.ScanCapture, `SELECT `+rows.CaptureColumns+` FROM captures WHERE `+where, args...)
}

// Capture returns a client's capture by captureId; ErrNotFound when the
// client has none with that id.
func (s *Store) Capture(ctx context.Context, clientID, captureID string) (*gateway.Capture, error) {
	return capture(ctx, s.rd, "capture "+captureID, `capture_id = ? AND client_id = ?`, captureID, clientID)
}

// CaptureByRequestID returns a client's capture by captureRequestId;
// ErrNotFound when there is none.
func (s *Store) CaptureByRequestID(ctx context.Context, clientID, requestID string) (*gateway.Capture, error) {
	return capture(ctx, s.rd, "capture request "+requestID, `client_id = ? AND request_id = ?`, clientID, requestID)
}

// Captures returns the captures of a payment, oldest first (by creation
// time, then insertion order); none is not an error.
func (s *Store) Captures(ctx context.Context, paymentID string) ([]*gateway.Capture, error) {
	return queryAll(ctx, s.rd, "captures of payment "+paymentID, rows.ScanCapture, `SELECT `+rows.CaptureColumns+` FROM captures
		WHERE payment_id = ? ORDER BY created_at, rowid`, paymentID)
}

// InsertCapture inserts c in one statement that also claims (ClientID,
// RequestID); ErrConflict when another capture holds the pair.
func (t *tx) InsertCapture(c *gateway.Capture) error {
	inserted, err := t.execOne("insert capture "+c.ID, `INSERT INTO captures (`+rows.CaptureColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client_id, request_id) DO NOTHING`, rows.CaptureValues(c, boolInt)...)
	if err == nil && !inserted {
		err = fmt.Errorf("capture request %s of client %s: %w", c.RequestID, c.ClientID, gateway.ErrConflict)
	}
	return err
}

// CaptureForUpdate reads a client's capture inside the transaction, which
// holds the write lock.
func (t *tx) CaptureForUpdate(clientID, captureID string) (*gateway.Capture, error) {
	return capture(t.ctx, t.tx, "capture "+captureID, `capture_id = ? AND client_id = ?`, captureID, clientID)
}

// UpdateCapture writes the mutable fields of c (status, result, update and
// capture times); ErrNotFound when the capture does not exist.
func (t *tx) UpdateCapture(c *gateway.Capture) error {
	updated, err := t.execOne("update capture "+c.ID, `UPDATE captures SET
		status = ?, result_code = ?, result_message = ?, updated_at = ?, captured_at = ?
		WHERE capture_id = ? AND client_id = ?`,
		string(c.Status), c.ResultCode, c.ResultMessage, rows.Millis(c.UpdatedAt), rows.Millis(c.CapturedAt),
		c.ID, c.ClientID)
	if err == nil && !updated {
		err = fmt.Errorf("update capture %s: %w", c.ID, gateway.ErrNotFound)
	}
	return err
}
