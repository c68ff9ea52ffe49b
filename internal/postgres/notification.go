package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/jackc/pgx/v5"
)

const notificationCols = `id, client_id, kind, payment_id, refund_id, url, body, created_at,
	due_at, attempts, delivered_at, given_up_at, last_error`

func scanNotification(row pgx.Row) (*gateway.Notification, error) {
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

// notifications reads the notifications a query returns.
func notifications(ctx context.Context, q querier, op, query string, args ...any) ([]gateway.Notification, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, storeErr(op, err)
	}
	defer rows.Close()
	var out []gateway.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, storeErr(op, err)
		}
		out = append(out, *n)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr(op, err)
	}
	return out, nil
}

// InsertNotification adds n to the outbox, in the transaction of the state
// change that causes it.
func (t *tx) InsertNotification(n *gateway.Notification) error {
	body := n.Body
	if body == nil {
		body = []byte{} // NOT NULL; nil and empty read back alike
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO notifications
		(id, client_id, kind, payment_id, refund_id, url, body, created_at, due_at, attempts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		n.ID, n.ClientID, string(n.Kind), n.PaymentID, n.RefundID, n.URL, body,
		n.CreatedAt.UnixMilli(), n.DueAt.UnixMilli(), n.Attempts)
	if err != nil {
		return t.fail("insert notification", err)
	}
	return nil
}

// ClaimNotifications leases up to limit pending notifications due at now and
// not leased by anyone at now, until now+lease, in one statement, and
// returns them by due time, then id. As in ClaimJobs, FOR UPDATE SKIP LOCKED
// makes concurrent claims from several nodes disjoint.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]gateway.Notification, error) {
	if limit <= 0 {
		return nil, nil
	}
	out, err := notifications(ctx, s.pool, "claim notifications", `UPDATE notifications SET lease_until = $1
		WHERE id IN (
			SELECT id FROM notifications
			WHERE delivered_at IS NULL AND given_up_at IS NULL AND due_at <= $2
			  AND (lease_until IS NULL OR lease_until <= $2)
			ORDER BY due_at, id
			LIMIT $3
			FOR UPDATE SKIP LOCKED)
		RETURNING `+notificationCols, now.Add(lease).UnixMilli(), now.UnixMilli(), limit)
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, k int) bool {
		if !out[i].DueAt.Equal(out[k].DueAt) {
			return out[i].DueAt.Before(out[k].DueAt)
		}
		return out[i].ID < out[k].ID
	})
	return out, nil
}

// NotificationForUpdate reads and locks a notification's row until the
// transaction ends, so two records of one notification (two nodes after a
// lease takeover) take turns and number their attempts apart.
func (t *tx) NotificationForUpdate(id string) (*gateway.Notification, error) {
	n, err := scanNotification(t.tx.QueryRow(t.ctx, `SELECT `+notificationCols+` FROM notifications WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("notification %s: %w", id, gateway.ErrNotFound)
	}
	if err != nil {
		return nil, t.fail("notification", err)
	}
	return n, nil
}

// UpdateNotification writes n's delivery state and releases its lease.
func (t *tx) UpdateNotification(n *gateway.Notification) error {
	tag, err := t.tx.Exec(t.ctx, `UPDATE notifications SET attempts = $1, lease_until = NULL,
		due_at = $2, delivered_at = $3, given_up_at = $4, last_error = $5 WHERE id = $6`,
		n.Attempts, n.DueAt.UnixMilli(), millis(n.DeliveredAt), millis(n.GivenUpAt), n.LastError, n.ID)
	if err != nil {
		return t.fail("update notification", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("notification %s: %w", n.ID, gateway.ErrNotFound)
	}
	return nil
}

// InsertAttempt stores a delivery attempt; ErrConflict when its number is
// taken.
func (t *tx) InsertAttempt(a *gateway.Attempt) error {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO notification_attempts
		(notification_id, number, at, duration_ms, outcome, http_status, error) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (notification_id, number) DO NOTHING`,
		a.NotificationID, a.Number, a.At.UnixMilli(), a.Duration.Milliseconds(), string(a.Outcome), a.HTTPStatus, a.Error)
	if err != nil {
		return t.fail("insert attempt", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("attempt %d of notification %s: %w", a.Number, a.NotificationID, gateway.ErrConflict)
	}
	return nil
}

// DeferNotification releases a claim without an attempt and makes the
// notification due at until. An unknown id is not an error.
func (s *Store) DeferNotification(ctx context.Context, id string, until time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE notifications SET lease_until = NULL, due_at = $1 WHERE id = $2`, until.UnixMilli(), id)
	return storeErr("defer notification", err)
}

// Notifications lists notifications, newest first (by creation time, then
// id), at most f.Limit (default 100).
func (s *Store) Notifications(ctx context.Context, f gateway.NotificationFilter) ([]gateway.Notification, error) {
	var where []string
	var args []any
	if f.Undelivered {
		where = append(where, "delivered_at IS NULL")
	}
	if f.PaymentID != "" {
		args = append(args, f.PaymentID)
		where = append(where, "payment_id = $"+strconv.Itoa(len(args)))
	}
	q := `SELECT ` + notificationCols + ` FROM notifications`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	q += ` ORDER BY created_at DESC, id DESC LIMIT $` + strconv.Itoa(len(args))
	return notifications(ctx, s.pool, "list notifications", q, args...)
}

// Notification returns one notification; ErrNotFound when there is none.
func (s *Store) Notification(ctx context.Context, id string) (*gateway.Notification, error) {
	n, err := scanNotification(s.pool.QueryRow(ctx, `SELECT `+notificationCols+` FROM notifications WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("notification %s: %w", id, gateway.ErrNotFound)
	}
	if err != nil {
		return nil, storeErr("notification", err)
	}
	return n, nil
}

// NotificationAttempts lists the attempts of a notification, oldest first.
func (s *Store) NotificationAttempts(ctx context.Context, id string) ([]gateway.Attempt, error) {
	rows, err := s.pool.Query(ctx, `SELECT notification_id, number, at, duration_ms, outcome, http_status, error
		FROM notification_attempts WHERE notification_id = $1 ORDER BY number`, id)
	if err != nil {
		return nil, storeErr("notification attempts", err)
	}
	defer rows.Close()
	var out []gateway.Attempt
	for rows.Next() {
		var a gateway.Attempt
		var ms int64
		var outcome string
		if err := rows.Scan(&a.NotificationID, &a.Number, timeCol{&a.At}, &ms, &outcome, &a.HTTPStatus, &a.Error); err != nil {
			return nil, storeErr("notification attempts", err)
		}
		a.Duration = time.Duration(ms) * time.Millisecond
		a.Outcome = gateway.AttemptOutcome(outcome)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("notification attempts", err)
	}
	return out, nil
}

// NotificationStats counts notifications, and the pending ones among them.
func (s *Store) NotificationStats(ctx context.Context) (created, pending int64, err error) {
	err = s.pool.QueryRow(ctx, `SELECT count(*),
		count(*) FILTER (WHERE delivered_at IS NULL AND given_up_at IS NULL)
		FROM notifications`).Scan(&created, &pending)
	return created, pending, storeErr("notification stats", err)
}
