package gateway

import (
	"context"
	"time"
)

// Store is the persistence of the gateway: its roles in one.
// Implementations (sqlite, postgres) must pass storetest. Reads return
// ErrNotFound for a missing row (or another client's). Times come back in
// UTC, truncated to the millisecond. Claims return rows in no particular
// order. Every method is safe for concurrent use, also across processes
// sharing the same database.
type Store interface {
	RegistryStore
	PaymentStore
	JobStore
	NotificationStore
	SessionStore
}

// RegistryStore keeps the clients, their keys and the gateway's keys. Every
// write moves the registry version in the same transaction.
type RegistryStore interface {
	// RegistryVersion returns a number that changes with every registry
	// write (clients, client keys, gateway keys), whoever made it.
	RegistryVersion(ctx context.Context) (int64, error)
	// LoadRegistry returns every client with its keys (retired ones too) and
	// every gateway key.
	LoadRegistry(ctx context.Context) (*Registry, error)
	// AddClient registers a client with its first key; ErrConflict when the
	// client id is taken.
	AddClient(ctx context.Context, c Client, key ClientKey) error
	// UpdateClient changes a client's NotifyURL, Encrypted and
	// GatewayKeyVersion; ErrNotFound for an unknown client, or when
	// GatewayKeyVersion is not 0 and names no published or active gateway
	// key.
	UpdateClient(ctx context.Context, c Client) error
	// AddClientKey adds a key version; ErrNotFound for an unknown client,
	// ErrConflict when the version exists.
	AddClientKey(ctx context.Context, key ClientKey) error
	// RetireClientKey marks a key version retired at the given time;
	// ErrNotFound when the client has no such active key.
	RetireClientKey(ctx context.Context, clientID string, version int, at time.Time) error
	// EnsureGatewayKey makes sure the gateway has a key: when it has none
	// at all, it stores the key generate returns as version 1, active, and
	// reports added; otherwise it returns the active version and does not
	// call generate. Processes starting together on an empty store create
	// one key between them.
	EnsureGatewayKey(ctx context.Context, generate func() ([]byte, error), at time.Time) (version int, added bool, err error)
	// AddGatewayKey stores a new gateway key with the next version number
	// and returns that version. The key is published, or active when
	// activate is set or no version is active (as for the first key); the
	// version active until then becomes published, in the same transaction.
	AddGatewayKey(ctx context.Context, privateKeyDER []byte, at time.Time, activate bool) (int, error)
	// ActivateGatewayKey makes a published version the active one; the
	// version active until then becomes published. Activating the active
	// version changes nothing. ErrNotFound when there is no such version or
	// it is retired.
	ActivateGatewayKey(ctx context.Context, version int, at time.Time) error
	// RetireGatewayKey retires a published version. ErrNotFound when there
	// is no such version or it is retired already; ErrConflict when it is
	// the active version or a client is pinned to it.
	RetireGatewayKey(ctx context.Context, version int, at time.Time) error
}

// Transactor runs read-write transactions.
type Transactor interface {
	// Update runs fn in a read-write transaction and commits when fn
	// returns nil; a nil error means the writes are durable. Rows read with
	// the ForUpdate methods stay locked against other writers until the
	// transaction ends. fn may be called more than once when the store
	// retries a serialisation failure. fn must use only its Tx: calling the
	// Store from inside it may wait forever for the connection it holds.
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// PaymentStore reads payments and refunds; writes go through Update.
type PaymentStore interface {
	Transactor
	// Payment returns a client's payment by paymentId.
	Payment(ctx context.Context, clientID, paymentID string) (*Payment, error)
	// PaymentByRequestID returns a client's payment by paymentRequestId.
	PaymentByRequestID(ctx context.Context, clientID, requestID string) (*Payment, error)
	// Payments lists the payments the filter selects, newest first (by
	// CreatedAt, then ID), at most f.Limit (0: 50), starting after f.After
	// when it is set.
	Payments(ctx context.Context, f PaymentFilter) ([]*Payment, error)
	// Refund returns a client's refund by refundId.
	Refund(ctx context.Context, clientID, refundID string) (*Refund, error)
	// RefundByRequestID returns a client's refund by refundRequestId.
	RefundByRequestID(ctx context.Context, clientID, requestID string) (*Refund, error)
	// Refunds returns the refunds of a payment, oldest first.
	Refunds(ctx context.Context, paymentID string) ([]*Refund, error)
	// Capture returns a client's capture by captureId.
	Capture(ctx context.Context, clientID, captureID string) (*Capture, error)
	// CaptureByRequestID returns a client's capture by captureRequestId.
	CaptureByRequestID(ctx context.Context, clientID, requestID string) (*Capture, error)
	// Captures returns the captures of a payment, oldest first.
	Captures(ctx context.Context, paymentID string) ([]*Capture, error)
}

// JobStore keeps the durable delayed transitions.
type JobStore interface {
	// ClaimJobs leases up to limit jobs due at now (and not leased by
	// anyone else) until now+lease, increments their attempt counts, and
	// returns them. A job whose lease ran out is due again.
	ClaimJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Job, error)
	// NextJobDue returns when the next job falls due: the earliest due
	// time, where a leased job counts from the end of its lease. ok is
	// false when there is no job. A test clock moves from one to the next.
	NextJobDue(ctx context.Context) (at time.Time, ok bool, err error)
	// Mark records key once and reports whether this call was the first.
	Mark(ctx context.Context, key string, at time.Time) (first bool, err error)
}

// NotificationStore keeps the notification outbox and its attempts.
// Recording an attempt goes through Update (see RecordAttempt).
type NotificationStore interface {
	Transactor
	// ClaimNotifications leases up to limit pending notifications due at now
	// (and not leased by anyone else) until now+lease and returns them. A
	// notification whose lease ran out (its worker died mid-attempt) is due
	// again; the interrupted attempt is not counted.
	ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Notification, error)
	// NextNotificationDue returns when the next attempt of a pending
	// notification falls due (a leased one counts from the end of its
	// lease); ok is false when none is pending.
	NextNotificationDue(ctx context.Context) (at time.Time, ok bool, err error)
	// DeferNotification releases a claimed notification without an attempt
	// and makes it due at until (its host was busy).
	DeferNotification(ctx context.Context, id string, until time.Time) error
	// Notifications lists notifications, newest first.
	Notifications(ctx context.Context, f NotificationFilter) ([]Notification, error)
	// Notification returns one notification.
	Notification(ctx context.Context, id string) (*Notification, error)
	// NotificationAttempts lists a notification's attempts, oldest first.
	NotificationAttempts(ctx context.Context, id string) ([]Attempt, error)
	// NotificationStats returns how many notifications this Store value
	// committed since it was opened (a per-process count, as Prometheus
	// counters are: a count of the whole table would read every row, and
	// the table grows by a row per payment) and how many notifications
	// are pending in the store, counted through an index whose size is
	// the backlog.
	NotificationStats(ctx context.Context) (created, pending int64, err error)
}

// Tx is the write side of a Store transaction.
type Tx interface {
	// InsertPayment inserts p, claiming (ClientID, RequestID) in one atomic
	// statement; ErrConflict when the pair is taken.
	InsertPayment(p *Payment) error
	// PaymentForUpdate reads and locks a client's payment by paymentId.
	PaymentForUpdate(clientID, paymentID string) (*Payment, error)
	// UpdatePayment writes the mutable fields of p (status, result,
	// times, refunded sum, action URL, authorisation state, expiry and
	// captured sums); ErrNotFound for a missing row.
	UpdatePayment(p *Payment) error
	// InsertRefund inserts r, claiming (ClientID, RequestID); ErrConflict
	// when the pair is taken.
	InsertRefund(r *Refund) error
	// RefundForUpdate reads and locks a client's refund by refundId.
	RefundForUpdate(clientID, refundID string) (*Refund, error)
	// UpdateRefund writes the mutable fields of r; ErrNotFound for a
	// missing row.
	UpdateRefund(r *Refund) error
	// InsertCapture inserts c, claiming (ClientID, RequestID); ErrConflict
	// when the pair is taken.
	InsertCapture(c *Capture) error
	// CaptureForUpdate reads and locks a client's capture by captureId.
	CaptureForUpdate(clientID, captureID string) (*Capture, error)
	// UpdateCapture writes the mutable fields of c (status, result, update
	// and capture times); ErrNotFound for a missing row.
	UpdateCapture(c *Capture) error
	// InsertJob schedules a job; the store assigns its ID.
	InsertJob(j *Job) error
	// DeleteJob removes a job (done, or obsolete). Deleting a job that is
	// already gone is not an error: another job may have made it obsolete.
	DeleteJob(id int64) error
	// DeleteJobs removes every job of a target of the given kinds (all kinds
	// when none are given).
	DeleteJobs(targetID string, kinds ...JobKind) error
	// InsertNotification adds a notification to the outbox.
	InsertNotification(n *Notification) error
	// NotificationForUpdate reads and locks a notification.
	NotificationForUpdate(id string) (*Notification, error)
	// UpdateNotification writes the mutable fields of n (due time,
	// attempts, delivered and given-up times, last error) and releases its
	// lease; ErrNotFound for a missing row.
	UpdateNotification(n *Notification) error
	// InsertAttempt stores a delivery attempt; ErrConflict when its number
	// is taken.
	InsertAttempt(a *Attempt) error
}

// JobKind says what a delayed transition does.
type JobKind string

// Job kinds.
const (
	// JobPaymentSettle moves a PROCESSING payment to Job.Status with
	// Job.Code (the processor's "later").
	JobPaymentSettle JobKind = "payment.settle"
	// JobPaymentExpire closes a payment still PROCESSING at its expiry.
	JobPaymentExpire JobKind = "payment.expire"
	// JobPaymentResolve asks the processor again for a payment whose
	// decision was never recorded (the process died in between).
	JobPaymentResolve JobKind = "payment.resolve"
	// JobRefundSettle moves a PROCESSING refund to Job.Status.
	JobRefundSettle JobKind = "refund.settle"
	// JobAuthExpire releases what is left of an authorisation at its
	// authExpiryTime (TargetID is the paymentId).
	JobAuthExpire JobKind = "auth.expire"
	// JobCaptureResolve asks the processor again for a capture whose
	// decision was never recorded (TargetID is the captureId).
	JobCaptureResolve JobKind = "capture.resolve"
)

// Job is a durable delayed transition.
type Job struct {
	ID       int64
	Kind     JobKind
	ClientID string
	TargetID string    // paymentId, refundId or captureId
	DueAt    time.Time // zero: due at once
	Status   string    // target status for settle jobs
	Code     string
	Message  string
	Attempts int
}
