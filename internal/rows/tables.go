package rows

import (
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// PaymentColumns lists the columns of payments, in the order ScanPayment
// reads and PaymentValues writes them.
const PaymentColumns = `payment_id, client_id, request_id, product_code, scenario,
	amount_value, amount_currency, method_type, method_id, notify_url, redirect_url,
	reference_id, fingerprint, action_url, status, decided, result_code, result_message,
	created_at, updated_at, expires_at, paid_at, cancelled_at, refunded,
	is_authorization, capture_mode, auth_state, auth_expires_at, captured, capturing`

// ScanPayment reads a row of PaymentColumns. After an error its result is
// garbage, to drop.
func ScanPayment(row Scanner) (*gateway.Payment, error) {
	p := new(gateway.Payment)
	return p, row.Scan(&p.ID, &p.ClientID, &p.RequestID, &p.ProductCode, &p.Scenario,
		&p.Amount.Value, &p.Amount.Currency, &p.MethodType, &p.MethodID, &p.NotifyURL, &p.RedirectURL,
		&p.ReferenceID, &p.Fingerprint, &p.ActionURL, &p.Status, &p.Decided, &p.ResultCode, &p.ResultMessage,
		Time{&p.CreatedAt}, Time{&p.UpdatedAt}, Time{&p.ExpiresAt}, Time{&p.PaidAt},
		Time{&p.CancelledAt}, &p.Refunded,
		&p.Authorization, &p.CaptureMode, &p.AuthState, Time{&p.AuthExpiresAt}, &p.Captured, &p.Capturing)
}

// PaymentValues returns the arguments that write p as a row of
// PaymentColumns: times by Millis, and the boolean columns (decided,
// is_authorization) as boolean encodes them, which is the store's to say.
func PaymentValues(p *gateway.Payment, boolean func(bool) any) []any {
	return []any{p.ID, p.ClientID, p.RequestID, p.ProductCode, p.Scenario,
		p.Amount.Value, p.Amount.Currency, p.MethodType, p.MethodID, p.NotifyURL, p.RedirectURL,
		p.ReferenceID, p.Fingerprint, p.ActionURL, string(p.Status), boolean(p.Decided), p.ResultCode, p.ResultMessage,
		Millis(p.CreatedAt), Millis(p.UpdatedAt), Millis(p.ExpiresAt), Millis(p.PaidAt),
		Millis(p.CancelledAt), p.Refunded,
		boolean(p.Authorization), p.CaptureMode, string(p.AuthState), Millis(p.AuthExpiresAt), p.Captured, p.Capturing}
}

// WherePayments adds to l the conditions of f, all but f.After: the
// cursor's condition, created_at and payment_id before the cursor's, is the
// store's to write (SQLite's spells it out, PostgreSQL's compares row
// values), after these.
func (l *List) WherePayments(f gateway.PaymentFilter) {
	if f.ClientID != "" {
		l.Where("client_id = ?", f.ClientID)
	}
	if f.PaymentID != "" {
		l.Where("payment_id = ?", f.PaymentID)
	}
	if f.RequestID != "" {
		l.Where("request_id = ?", f.RequestID)
	}
	if f.Status != "" {
		l.Where("status = ?", string(f.Status))
	}
	if !f.From.IsZero() {
		l.Where("created_at >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		l.Where("created_at < ?", f.To.UnixMilli())
	}
}

// RefundColumns lists the columns of refunds, in the order ScanRefund reads
// and RefundValues writes them.
const RefundColumns = `refund_id, client_id, request_id, payment_id, amount_value, amount_currency,
	reason, reference_id, notify_url, async, fingerprint, status, result_code, result_message,
	created_at, updated_at, refunded_at`

// ScanRefund reads a row of RefundColumns. After an error its result is
// garbage, to drop.
func ScanRefund(row Scanner) (*gateway.Refund, error) {
	r := new(gateway.Refund)
	return r, row.Scan(&r.ID, &r.ClientID, &r.RequestID, &r.PaymentID, &r.Amount.Value, &r.Amount.Currency,
		&r.Reason, &r.ReferenceID, &r.NotifyURL, &r.Async, &r.Fingerprint, &r.Status, &r.ResultCode, &r.ResultMessage,
		Time{&r.CreatedAt}, Time{&r.UpdatedAt}, Time{&r.RefundedAt})
}

// RefundValues returns the arguments that write r as a row of
// RefundColumns: times by Millis, and the boolean column (async) as
// boolean encodes it, which is the store's to say.
func RefundValues(r *gateway.Refund, boolean func(bool) any) []any {
	return []any{r.ID, r.ClientID, r.RequestID, r.PaymentID, r.Amount.Value, r.Amount.Currency,
		r.Reason, r.ReferenceID, r.NotifyURL, boolean(r.Async), r.Fingerprint, string(r.Status), r.ResultCode, r.ResultMessage,
		Millis(r.CreatedAt), Millis(r.UpdatedAt), Millis(r.RefundedAt)}
}

// NotificationColumns lists the columns of notifications that
// ScanNotification reads, in its order.
const NotificationColumns = `id, client_id, kind, payment_id, refund_id, url, body, created_at,
	due_at, attempts, delivered_at, given_up_at, last_error`

// CountPending counts the pending notifications (neither delivered nor
// given up). Its condition is exactly that of the partial index
// notifications_pending in both stores, so the count reads that index,
// whose size is the backlog, and never the whole table (which grows by a
// row per payment).
const CountPending = `SELECT count(*) FROM notifications WHERE delivered_at IS NULL AND given_up_at IS NULL`

// ScanNotification reads a row of NotificationColumns. After an error its result is
// garbage, to drop.
func ScanNotification(row Scanner) (gateway.Notification, error) {
	var n gateway.Notification
	err := row.Scan(&n.ID, &n.ClientID, &n.Kind, &n.PaymentID, &n.RefundID, &n.URL, &n.Body,
		Time{&n.CreatedAt}, Time{&n.DueAt}, &n.Attempts, Time{&n.DeliveredAt},
		Time{&n.GivenUpAt}, &n.LastError)
	return n, err
}

// WhereNotifications adds to l the conditions of f.
func (l *List) WhereNotifications(f gateway.NotificationFilter) {
	if f.Undelivered {
		l.Where("delivered_at IS NULL")
	}
	if f.PaymentID != "" {
		l.Where("payment_id = ?", f.PaymentID)
	}
}

// AttemptColumns lists the columns of notification_attempts, in the order
// ScanAttempt reads and AttemptValues writes them.
const AttemptColumns = `notification_id, number, at, duration_ms, outcome, http_status, error`

// ScanAttempt reads a row of AttemptColumns; duration_ms is the attempt's
// Duration in whole milliseconds. After an error its result is garbage, to
// drop.
func ScanAttempt(row Scanner) (gateway.Attempt, error) {
	var a gateway.Attempt
	var ms int64
	err := row.Scan(&a.NotificationID, &a.Number, Time{&a.At}, &ms, &a.Outcome, &a.HTTPStatus, &a.Error)
	a.Duration = time.Duration(ms) * time.Millisecond
	return a, err
}

// AttemptValues returns the arguments that write a as a row of
// AttemptColumns. Its time, at, is NOT NULL: the zero time is written as
// its own Unix milliseconds.
func AttemptValues(a *gateway.Attempt) []any {
	return []any{a.NotificationID, a.Number, a.At.UnixMilli(), a.Duration.Milliseconds(), string(a.Outcome), a.HTTPStatus, a.Error}
}

// JobColumns lists the columns of jobs that ScanJob reads, in its order.
const JobColumns = `id, kind, client_id, target_id, due_at, status, code, message, attempts`

// ScanJob reads a row of JobColumns. After an error its result is
// garbage, to drop.
func ScanJob(row Scanner) (gateway.Job, error) {
	var j gateway.Job
	err := row.Scan(&j.ID, &j.Kind, &j.ClientID, &j.TargetID, Time{&j.DueAt}, &j.Status, &j.Code, &j.Message, &j.Attempts)
	return j, err
}

// ClientColumns lists the columns of clients, in the order ScanClient
// reads them.
const ClientColumns = `client_id, notify_url, encrypted, gateway_key_version, created_at`

// ScanClient reads a row of ClientColumns. The client's Keys stay empty:
// they are rows of client_keys (see AddClientKeys). After an error its
// result is garbage, to drop.
func ScanClient(row Scanner) (gateway.Client, error) {
	var c gateway.Client
	err := row.Scan(&c.ID, &c.NotifyURL, &c.Encrypted, &c.GatewayKeyVersion, Time{&c.CreatedAt})
	return c, err
}

// ClientKeyColumns lists the columns of client_keys, in the order
// ScanClientKey reads them.
const ClientKeyColumns = `client_id, version, public_key, created_at, retired_at`

// ScanClientKey reads a row of ClientKeyColumns. After an error its result is
// garbage, to drop.
func ScanClientKey(row Scanner) (gateway.ClientKey, error) {
	var k gateway.ClientKey
	err := row.Scan(&k.ClientID, &k.Version, &k.PublicKey, Time{&k.CreatedAt}, Time{&k.RetiredAt})
	return k, err
}

// AddClientKeys appends each of keys, in order, to the Keys of its client
// among clients; a key of a client not among them is dropped (with the
// schemas' foreign keys there is none).
func AddClientKeys(clients []gateway.Client, keys []gateway.ClientKey) {
	index := make(map[string]int, len(clients))
	for i, c := range clients {
		index[c.ID] = i
	}
	for _, k := range keys {
		if i, ok := index[k.ClientID]; ok {
			clients[i].Keys = append(clients[i].Keys, k)
		}
	}
}

// GatewayKeyColumns lists the columns of gateway_keys that both stores
// have, in the order ScanGatewayKey reads them.
const GatewayKeyColumns = `version, private_key, state, created_at, activated_at, retired_at`

// ScanGatewayKey reads a row of GatewayKeyColumns. After an error its result is
// garbage, to drop.
func ScanGatewayKey(row Scanner) (gateway.GatewayKey, error) {
	var k gateway.GatewayKey
	err := row.Scan(GatewayKeyDest(&k)...)
	return k, err
}

// GatewayKeyDest returns the scan destinations of a row of
// GatewayKeyColumns into k, for a store that selects more columns after
// them and appends their destinations (PostgreSQL's sealed flag).
func GatewayKeyDest(k *gateway.GatewayKey) []any {
	return []any{&k.Version, &k.PrivateKey, &k.State, Time{&k.CreatedAt}, Time{&k.ActivatedAt}, Time{&k.RetiredAt}}
}
