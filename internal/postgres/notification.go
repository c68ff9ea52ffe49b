package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

// notification reads one notification with query, through q; ErrNotFound
// when there is none.
func notification(ctx context.Context, q querier, id, query string) (*gateway.Notification, error) {
	n, err := queryOne(ctx, q, "notification "+id, rows.ScanNotification, query, id)
	if err != nil {
		return nil, err
	}
	return &n, nil
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
	if err == nil {
		t.notified++
	}
	return t.fail("insert notification", err)
}

// ClaimNotifications leases up to limit pending notifications due at now and
// not leased by anyone at now, until now+lease, in one statement, and
// returns them by due time, then id. As in ClaimJobs, FOR UPDATE SKIP LOCKED
// makes concurrent claims from several nodes disjoint.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]gateway.Notification, error) {
	if limit <= 0 {
		return nil, nil
	}
	out, err := queryAll(ctx, s.pool, "claim notifications", rows.ScanNotification, `UPDATE notifications SET lease_until = $1
		WHERE id IN (
			SELECT id FROM notifications
			WHERE delivered_at IS NULL AND given_up_at IS NULL AND due_at <= $2
			  AND (lease_until IS NULL OR lease_until <= $2)
			ORDER BY due_at, id
			LIMIT $3
			FOR UPDATE SKIP LOCKED)
		RETURNING `+rows.NotificationColumns, now.Add(lease).UnixMilli(), now.UnixMilli(), limit)
	if err != nil {
		return nil, err
	}
	sortClaimed(out, func(n gateway.Notification) (time.Time, string) { return n.DueAt, n.ID })
	return out, nil
}

// NextNotificationDue returns the earliest time a pending notification can
// be claimed.
func (s *Store) NextNotificationDue(ctx context.Context) (time.Time, bool, error) {
	return s.nextDue(ctx, "next notification due", `SELECT MIN(CASE WHEN lease_until > due_at THEN lease_until ELSE due_at END)
		FROM notifications WHERE delivered_at IS NULL AND given_up_at IS NULL`)
}

// NotificationForUpdate reads and locks a notification's row until the
// transaction ends, so two records of one notification (two nodes after a
// lease takeover) take turns and number their attempts apart.
func (t *tx) NotificationForUpdate(id string) (*gateway.Notification, error) {
	n, err := notification(t.ctx, t.tx, id, `SELECT `+rows.NotificationColumns+` FROM notifications WHERE id = $1 FOR UPDATE`)
	return n, t.note(err)
}

// UpdateNotification writes n's delivery state and releases its lease.
func (t *tx) UpdateNotification(n *gateway.Notification) error {
	updated, err := t.execOne("update notification", `UPDATE notifications SET attempts = $1, lease_until = NULL,
		due_at = $2, delivered_at = $3, given_up_at = $4, last_error = $5 WHERE id = $6`,
		n.Attempts, n.DueAt.UnixMilli(), rows.Millis(n.DeliveredAt), rows.Millis(n.GivenUpAt), n.LastError, n.ID)
	if err == nil && !updated {
		err = fmt.Errorf("notification %s: %w", n.ID, gateway.ErrNotFound)
	}
	return err
}

// InsertAttempt stores a delivery attempt; ErrConflict when its number is
// taken.
func (t *tx) InsertAttempt(a *gateway.Attempt) error {
	inserted, err := t.execOne("insert attempt", `INSERT INTO notification_attempts (`+rows.AttemptColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (notification_id, number) DO NOTHING`, rows.AttemptValues(a)...)
	if err == nil && !inserted {
		err = fmt.Errorf("attempt %d of notification %s: %w", a.Number, a.NotificationID, gateway.ErrConflict)
	}
	return err
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
	l := rows.List{Numbered: true}
	l.WhereNotifications(f)
	q, args := l.SQL(rows.NotificationColumns+` FROM notifications`, `created_at DESC, id DESC`, f.Limit, 100)
	return queryAll(ctx, s.pool, "list notifications", rows.ScanNotification, q, args...)
}

// Notification returns one notification; ErrNotFound when there is none.
func (s *Store) Notification(ctx context.Context, id string) (*gateway.Notification, error) {
	return notification(ctx, s.pool, id, `SELECT `+rows.NotificationColumns+` FROM notifications WHERE id = $1`)
}

// NotificationAttempts lists the attempts of a notification, oldest first.
func (s *Store) NotificationAttempts(ctx context.Context, id string) ([]gateway.Attempt, error) {
	return queryAll(ctx, s.pool, "notification attempts", rows.ScanAttempt, `SELECT `+rows.AttemptColumns+`
		FROM notification_attempts WHERE notification_id = $1 ORDER BY number`, id)
}

// NotificationStats returns the notifications this Store committed since it
// was opened, and counts the pending ones through their partial index
// (notifications_pending), never the whole table.
func (s *Store) NotificationStats(ctx context.Context) (created, pending int64, err error) {
	err = s.pool.QueryRow(ctx, rows.CountPending).Scan(&pending)
	return s.enqueued.Load(), pending, storeErr("notification stats", err)
}
