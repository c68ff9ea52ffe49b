package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

const notificationCols = `id, client_id, kind, payment_id, refund_id, url, body, created_at,
	due_at, attempts, delivered_at, given_up_at, last_error`

func scanNotification(row scanner) (gateway.Notification, error) {
	var n gateway.Notification
	err := row.Scan(&n.ID, &n.ClientID, &n.Kind, &n.PaymentID, &n.RefundID, &n.URL, &n.Body,
		timeCol{&n.CreatedAt}, timeCol{&n.DueAt}, &n.Attempts, timeCol{&n.DeliveredAt},
		timeCol{&n.GivenUpAt}, &n.LastError)
	return n, err
}

// notification reads one notification through q; ErrNotFound when there
// is none.
func notification(ctx context.Context, q queryer, id string) (*gateway.Notification, error) {
	n, err := queryOne(ctx, q, "notification "+id, scanNotification, `SELECT `+notificationCols+` FROM notifications WHERE id = ?`, id)
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
	return storeErr("insert notification", err)
}

// ClaimNotifications leases due pending notifications in one statement.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]gateway.Notification, error) {
	if limit <= 0 {
		return nil, nil
	}
	at := now.UnixMilli()
	return queryAll(ctx, s.wr, "claim notifications", scanNotification, `UPDATE notifications SET lease_until = ?
		WHERE id IN (
			SELECT id FROM notifications
			WHERE delivered_at IS NULL AND given_up_at IS NULL AND due_at <= ?
			  AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY due_at, id
			LIMIT ?)
		RETURNING `+notificationCols, now.Add(lease).UnixMilli(), at, at, limit)
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
		n.Attempts, n.DueAt.UnixMilli(), millis(n.DeliveredAt), millis(n.GivenUpAt), n.LastError, n.ID)
	if err == nil && !updated {
		err = fmt.Errorf("notification %s: %w", n.ID, gateway.ErrNotFound)
	}
	return err
}

// InsertAttempt stores a delivery attempt.
func (t *tx) InsertAttempt(a *gateway.Attempt) error {
	inserted, err := t.execOne("insert attempt", `INSERT INTO notification_attempts
		(notification_id, number, at, duration_ms, outcome, http_status, error) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (notification_id, number) DO NOTHING`,
		a.NotificationID, a.Number, a.At.UnixMilli(), a.Duration.Milliseconds(), string(a.Outcome), a.HTTPStatus, a.Error)
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
	var l listQuery
	if f.Undelivered {
		l.add("delivered_at IS NULL")
	}
	if f.PaymentID != "" {
		l.add("payment_id = ?", f.PaymentID)
	}
	q, args := l.sql(notificationCols+` FROM notifications`, `created_at DESC, id DESC`, f.Limit, 100)
	return queryAll(ctx, s.rd, "list notifications", scanNotification, q, args...)
}

// Notification returns one notification.
func (s *Store) Notification(ctx context.Context, id string) (*gateway.Notification, error) {
	return notification(ctx, s.rd, id)
}

// NotificationAttempts lists the attempts of a notification, oldest first.
func (s *Store) NotificationAttempts(ctx context.Context, id string) ([]gateway.Attempt, error) {
	return queryAll(ctx, s.rd, "notification attempts", scanAttempt, `SELECT notification_id, number, at, duration_ms, outcome, http_status, error
		FROM notification_attempts WHERE notification_id = ? ORDER BY number`, id)
}

func scanAttempt(row scanner) (gateway.Attempt, error) {
	var a gateway.Attempt
	var ms int64
	err := row.Scan(&a.NotificationID, &a.Number, timeCol{&a.At}, &ms, &a.Outcome, &a.HTTPStatus, &a.Error)
	a.Duration = time.Duration(ms) * time.Millisecond
	return a, err
}

// NotificationStats counts notifications.
func (s *Store) NotificationStats(ctx context.Context) (created, pending int64, err error) {
	err = s.rd.QueryRowContext(ctx, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN delivered_at IS NULL AND given_up_at IS NULL THEN 1 ELSE 0 END), 0)
		FROM notifications`).Scan(&created, &pending)
	return created, pending, storeErr("notification stats", err)
}
