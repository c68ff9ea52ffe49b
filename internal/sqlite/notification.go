package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

// notification reads one notification through q; ErrNotFound when there
// is none.
func notification(ctx context.Context, q queryer, id string) (*gateway.Notification, error) {
	n, err := queryOne(ctx, q, "notification "+id, rows.ScanNotification, `SELECT `+rows.NotificationColumns+` FROM notifications WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// InsertNotification adds n to the outbox.
func (t *tx) InsertNotification(n *gateway.Notification) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO notifications
		(id, client_id, kind, payment_id, refund_id, url, body, created_at, due_at, attempts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.ClientID, string(n.Kind), n.PaymentID, n.RefundID, n.URL, n.Body,
		n.CreatedAt.UnixMilli(), n.DueAt.UnixMilli(), n.Attempts)
	if err == nil {
		t.notified++
	}
	return storeErr("insert notification", err)
}

// ClaimNotifications leases due pending notifications in one statement.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]gateway.Notification, error) {
	if limit <= 0 {
		return nil, nil
	}
	at := now.UnixMilli()
	return queryAll(ctx, s.wr, "claim notifications", rows.ScanNotification, `UPDATE notifications SET lease_until = ?
		WHERE id IN (
			SELECT id FROM notifications
			WHERE delivered_at IS NULL AND given_up_at IS NULL AND due_at <= ?
			  AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY due_at, id
			LIMIT ?)
		RETURNING `+rows.NotificationColumns, now.Add(lease).UnixMilli(), at, at, limit)
}

// NextNotificationDue returns the earliest time a pending notification can
// be claimed.
func (s *Store) NextNotificationDue(ctx context.Context) (time.Time, bool, error) {
	return nextDue(ctx, s.rd, "next notification due", `SELECT MIN(CASE WHEN lease_until > due_at THEN lease_until ELSE due_at END)
		FROM notifications WHERE delivered_at IS NULL AND given_up_at IS NULL`)
}

// NotificationForUpdate reads a notification inside the transaction, which
// holds SQLite's write lock.
func (t *tx) NotificationForUpdate(id string) (*gateway.Notification, error) {
	return notification(t.ctx, t.tx, id)
}

// UpdateNotification writes n's delivery state and releases its lease.
func (t *tx) UpdateNotification(n *gateway.Notification) error {
	updated, err := t.execOne("update notification", `UPDATE notifications SET attempts = ?, lease_until = NULL,
		due_at = ?, delivered_at = ?, given_up_at = ?, last_error = ? WHERE id = ?`,
		n.Attempts, n.DueAt.UnixMilli(), rows.Millis(n.DeliveredAt), rows.Millis(n.GivenUpAt), n.LastError, n.ID)
	if err == nil && !updated {
		err = fmt.Errorf("notification %s: %w", n.ID, gateway.ErrNotFound)
	}
	return err
}

// InsertAttempt stores a delivery attempt.
func (t *tx) InsertAttempt(a *gateway.Attempt) error {
	inserted, err := t.execOne("insert attempt", `INSERT INTO notification_attempts (`+rows.AttemptColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (notification_id, number) DO NOTHING`, rows.AttemptValues(a)...)
	if err == nil && !inserted {
		err = fmt.Errorf("attempt %d of notification %s: %w", a.Number, a.NotificationID, gateway.ErrConflict)
	}
	return err
}

// DeferNotification releases a claim without an attempt.
func (s *Store) DeferNotification(ctx context.Context, id string, until time.Time) error {
	_, err := s.wr.ExecContext(ctx, `UPDATE notifications SET lease_until = NULL, due_at = ? WHERE id = ?`, until.UnixMilli(), id)
	return storeErr("defer notification", err)
}

// Notifications lists notifications, newest first.
func (s *Store) Notifications(ctx context.Context, f gateway.NotificationFilter) ([]gateway.Notification, error) {
	var l rows.List
	l.WhereNotifications(f)
	q, args := l.SQL(rows.NotificationColumns+` FROM notifications`, `created_at DESC, id DESC`, f.Limit, 100)
	return queryAll(ctx, s.rd, "list notifications", rows.ScanNotification, q, args...)
}

// Notification returns one notification.
func (s *Store) Notification(ctx context.Context, id string) (*gateway.Notification, error) {
	return notification(ctx, s.rd, id)
}

// NotificationAttempts lists the attempts of a notification, oldest first.
func (s *Store) NotificationAttempts(ctx context.Context, id string) ([]gateway.Attempt, error) {
	return queryAll(ctx, s.rd, "notification attempts", rows.ScanAttempt, `SELECT `+rows.AttemptColumns+`
		FROM notification_attempts WHERE notification_id = ? ORDER BY number`, id)
}

// NotificationStats returns the notifications this Store committed since it
// was opened, and counts the pending ones through their partial index
// (notifications_pending), never the whole table.
func (s *Store) NotificationStats(ctx context.Context) (created, pending int64, err error) {
	err = s.rd.QueryRowContext(ctx, rows.CountPending).Scan(&pending)
	return s.group.enqueued.Load(), pending, storeErr("notification stats", err)
}
