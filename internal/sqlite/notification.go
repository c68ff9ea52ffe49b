package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

const notificationCols = `id, client_id, kind, payment_id, refund_id, url, body, created_at,
	due_at, attempts, delivered_at, given_up_at, last_error`

func scanNotification(row scanner) (*gateway.Notification, error) {
	var n gateway.Notification
	var kind string
	err := row.Scan(&n.ID, &n.ClientID, &kind, &n.PaymentID, &n.RefundID, &n.URL, &n.Body,
		timeCol{&n.CreatedAt}, timeCol{&n.DueAt}, &n.Attempts, timeCol{&n.DeliveredAt},
		timeCol{&n.GivenUpAt}, &n.LastError)
	if err != nil {
		return nil, err
	}
	n.Kind = gateway.NotificationKind(kind)
	return &n, nil
}

// InsertNotification adds n to the outbox.
func (t *tx) InsertNotification(n *gateway.Notification) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO notifications
		(id, client_id, kind, payment_id, refund_id, url, body, created_at, due_at, attempts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.ClientID, string(n.Kind), n.PaymentID, n.RefundID, n.URL, n.Body,
		n.CreatedAt.UnixMilli(), n.DueAt.UnixMilli(), n.Attempts)
	if err != nil {
		return storeErr("insert notification", err)
	}
	return nil
}

// ClaimNotifications leases due pending notifications in one statement.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]gateway.Notification, error) {
	if limit <= 0 {
		return nil, nil
	}
	at := now.UnixMilli()
	rows, err := s.wr.QueryContext(ctx, `UPDATE notifications SET lease_until = ?
		WHERE id IN (
			SELECT id FROM notifications
			WHERE delivered_at IS NULL AND given_up_at IS NULL AND due_at <= ?
			  AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY due_at, id
			LIMIT ?)
		RETURNING `+notificationCols, now.Add(lease).UnixMilli(), at, at, limit)
	if err != nil {
		return nil, storeErr("claim notifications", err)
	}
	var out []gateway.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			rows.Close()
			return nil, storeErr("claim notifications", err)
		}
		out = append(out, *n)
	}
	if err := closeRows(rows); err != nil {
		return nil, storeErr("claim notifications", err)
	}
	return out, nil
}

// NotificationForUpdate reads a notification inside the transaction, which
// holds SQLite's write lock.
func (t *tx) NotificationForUpdate(id string) (*gateway.Notification, error) {
	n, err := scanNotification(t.tx.QueryRowContext(t.ctx, `SELECT `+notificationCols+` FROM notifications WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("notification %s: %w", id, gateway.ErrNotFound)
	}
	if err != nil {
		return nil, storeErr("notification", err)
	}
	return n, nil
}

// UpdateNotification writes n's delivery state and releases its lease.
func (t *tx) UpdateNotification(n *gateway.Notification) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE notifications SET attempts = ?, lease_until = NULL,
		due_at = ?, delivered_at = ?, given_up_at = ?, last_error = ? WHERE id = ?`,
		n.Attempts, n.DueAt.UnixMilli(), millis(n.DeliveredAt), millis(n.GivenUpAt), n.LastError, n.ID)
	if err != nil {
		return storeErr("update notification", err)
	}
	if k, err := rowsAffected("update notification", res); err != nil {
		return err
	} else if k == 0 {
		return fmt.Errorf("notification %s: %w", n.ID, gateway.ErrNotFound)
	}
	return nil
}

// InsertAttempt stores a delivery attempt.
func (t *tx) InsertAttempt(a *gateway.Attempt) error {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO notification_attempts
		(notification_id, number, at, duration_ms, outcome, http_status, error) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (notification_id, number) DO NOTHING`,
		a.NotificationID, a.Number, a.At.UnixMilli(), a.Duration.Milliseconds(), string(a.Outcome), a.HTTPStatus, a.Error)
	if err != nil {
		return storeErr("insert attempt", err)
	}
	if k, err := rowsAffected("insert attempt", res); err != nil {
		return err
	} else if k == 0 {
		return fmt.Errorf("attempt %d of notification %s: %w", a.Number, a.NotificationID, gateway.ErrConflict)
	}
	return nil
}

// DeferNotification releases a claim without an attempt.
func (s *Store) DeferNotification(ctx context.Context, id string, until time.Time) error {
	_, err := s.wr.ExecContext(ctx, `UPDATE notifications SET lease_until = NULL, due_at = ? WHERE id = ?`, until.UnixMilli(), id)
	return storeErr("defer notification", err)
}

// Notifications lists notifications, newest first.
func (s *Store) Notifications(ctx context.Context, f gateway.NotificationFilter) ([]gateway.Notification, error) {
	var where []string
	var args []any
	if f.Undelivered {
		where = append(where, "delivered_at IS NULL")
	}
	if f.PaymentID != "" {
		where = append(where, "payment_id = ?")
		args = append(args, f.PaymentID)
	}
	q := `SELECT ` + notificationCols + ` FROM notifications`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, storeErr("list notifications", err)
	}
	var out []gateway.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			rows.Close()
			return nil, storeErr("list notifications", err)
		}
		out = append(out, *n)
	}
	return out, storeErr("list notifications", closeRows(rows))
}

// Notification returns one notification.
func (s *Store) Notification(ctx context.Context, id string) (*gateway.Notification, error) {
	n, err := scanNotification(s.rd.QueryRowContext(ctx, `SELECT `+notificationCols+` FROM notifications WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("notification %s: %w", id, gateway.ErrNotFound)
	}
	if err != nil {
		return nil, storeErr("notification", err)
	}
	return n, nil
}

// NotificationAttempts lists the attempts of a notification, oldest first.
func (s *Store) NotificationAttempts(ctx context.Context, id string) ([]gateway.Attempt, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT notification_id, number, at, duration_ms, outcome, http_status, error
		FROM notification_attempts WHERE notification_id = ? ORDER BY number`, id)
	if err != nil {
		return nil, storeErr("notification attempts", err)
	}
	var out []gateway.Attempt
	for rows.Next() {
		var a gateway.Attempt
		var ms int64
		var outcome string
		if err := rows.Scan(&a.NotificationID, &a.Number, timeCol{&a.At}, &ms, &outcome, &a.HTTPStatus, &a.Error); err != nil {
			rows.Close()
			return nil, storeErr("notification attempts", err)
		}
		a.Duration = time.Duration(ms) * time.Millisecond
		a.Outcome = gateway.AttemptOutcome(outcome)
		out = append(out, a)
	}
	return out, storeErr("notification attempts", closeRows(rows))
}

// NotificationStats counts notifications.
func (s *Store) NotificationStats(ctx context.Context) (created, pending int64, err error) {
	err = s.rd.QueryRowContext(ctx, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN delivered_at IS NULL AND given_up_at IS NULL THEN 1 ELSE 0 END), 0)
		FROM notifications`).Scan(&created, &pending)
	return created, pending, storeErr("notification stats", err)
}
