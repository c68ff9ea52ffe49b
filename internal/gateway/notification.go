package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// NotificationKind names the webhook a notification is.
type NotificationKind string

// Notification kinds.
const (
	// NotifyPayment is notifyPayment: a payment reached SUCCESS or FAIL.
	NotifyPayment NotificationKind = "notifyPayment"
	// NotifyRefund is notifyRefund: an asynchronous refund reached SUCCESS
	// or FAIL.
	NotifyRefund NotificationKind = "notifyRefund"
	// NotifyCapture is notifyCapture: a capture reached SUCCESS or FAIL
	// (the gateway's own in AUTOMATIC capture mode too).
	NotifyCapture NotificationKind = "notifyCapture"
)

// Notification is one webhook to deliver, at least once, to a merchant. It
// is written in the same transaction as the state change that causes it
// (the outbox), and its Body never changes between attempts; each attempt is
// signed afresh.
type Notification struct {
	ID        string
	ClientID  string
	Kind      NotificationKind
	PaymentID string
	RefundID  string // for NotifyRefund
	URL       string
	Body      []byte // the JSON body, fixed when the notification is created
	CreatedAt time.Time

	DueAt       time.Time // when the next attempt is due
	Attempts    int       // attempts made and recorded
	DeliveredAt time.Time // zero until acknowledged
	GivenUpAt   time.Time // zero unless the schedule ran out
	LastError   string
}

// Pending reports whether more attempts will be made.
func (n *Notification) Pending() bool { return n.DeliveredAt.IsZero() && n.GivenUpAt.IsZero() }

// NotificationState is how far the delivery of a notification has got.
type NotificationState string

// Notification states.
const (
	// NotificationPending: attempts are still to be made (DueAt says when).
	NotificationPending NotificationState = "pending"
	// NotificationDelivered: acknowledged by the merchant.
	NotificationDelivered NotificationState = "delivered"
	// NotificationGivenUp: the schedule ran out without an acknowledgement;
	// kept for a resend.
	NotificationGivenUp NotificationState = "given up"
)

// State returns the notification's delivery state.
func (n *Notification) State() NotificationState {
	switch {
	case !n.DeliveredAt.IsZero():
		return NotificationDelivered
	case !n.GivenUpAt.IsZero():
		return NotificationGivenUp
	}
	return NotificationPending
}

// Describe says the state with its time, for people: "delivered
// 2026-12-02T10:00:00Z", "given up …", "pending, next …".
func (n *Notification) Describe() string {
	switch n.State() {
	case NotificationDelivered:
		return "delivered " + n.DeliveredAt.Format(time.RFC3339)
	case NotificationGivenUp:
		return "given up " + n.GivenUpAt.Format(time.RFC3339)
	}
	return "pending, next " + n.DueAt.Format(time.RFC3339)
}

// record numbers an attempt and moves the notification on: delivered when
// the attempt delivered it (the first delivery time is kept), else due
// again at the schedule's next time after the attempt ended, or given up
// when the schedule has no next time.
func (n *Notification) record(a *Attempt, schedule RetrySchedule) {
	n.Attempts++
	a.NotificationID, a.Number = n.ID, n.Attempts
	n.LastError = a.Error
	end := a.At.Add(a.Duration)
	if a.Outcome == OutcomeDelivered {
		if n.DeliveredAt.IsZero() {
			n.DeliveredAt = a.At
		}
		n.DueAt = a.At
		return
	}
	if next, ok := schedule.Next(n.Attempts, end); ok {
		n.DueAt = next
		return
	}
	n.DueAt, n.GivenUpAt = a.At, a.At
}

// RecordAttempt stores an attempt of a notification and, in the same
// transaction, moves the notification on (see the states) and releases its
// lease. Attempts are numbered from 1 in the order they are recorded.
// schedule decides when a failed attempt is tried again; the default is
// AntomSchedule.
func RecordAttempt(ctx context.Context, st Transactor, a Attempt, schedule RetrySchedule) (*Notification, error) {
	if len(schedule) == 0 {
		schedule = AntomSchedule
	}
	var out *Notification
	err := st.Update(ctx, func(tx Tx) error {
		n, err := tx.NotificationForUpdate(a.NotificationID)
		if err != nil {
			return err
		}
		at := a // fn may run again after a serialisation failure
		n.record(&at, schedule)
		if err := tx.InsertAttempt(&at); err != nil {
			return err
		}
		out = n
		return tx.UpdateNotification(n)
	})
	return out, err
}

// ResendNotification makes a notification due now again, also when it was
// delivered or given up; its attempt count continues.
func (s *Service) ResendNotification(ctx context.Context, id string) (*Notification, error) {
	var out *Notification
	err := s.Store.Update(ctx, func(tx Tx) error {
		n, err := tx.NotificationForUpdate(id)
		if err != nil {
			return err
		}
		n.DueAt, n.DeliveredAt, n.GivenUpAt = s.now(), time.Time{}, time.Time{}
		out = n
		return tx.UpdateNotification(n)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, s.noNotification(ctx, id)
	}
	if err != nil {
		return nil, storeError(err)
	}
	return out, nil
}

// Attempt is the record of one delivery attempt.
type Attempt struct {
	NotificationID string
	Number         int // 1 for the first attempt
	At             time.Time
	Duration       time.Duration
	Outcome        AttemptOutcome
	HTTPStatus     int    // 0 when no response was read
	Error          string // what went wrong, for people
}

// AttemptOutcome classifies an attempt.
type AttemptOutcome string

// Attempt outcomes. Only OutcomeDelivered ends the schedule early.
const (
	OutcomeDelivered  AttemptOutcome = "delivered"   // HTTP 200 with result.resultStatus S
	OutcomeHTTPStatus AttemptOutcome = "http_status" // another HTTP status
	OutcomeBadAck     AttemptOutcome = "bad_ack"     // 200 without the acknowledgement body
	OutcomeRedirect   AttemptOutcome = "redirect"    // 3xx: redirects are not followed
	OutcomeTimeout    AttemptOutcome = "timeout"
	OutcomeConnection AttemptOutcome = "connection" // refused, reset, DNS
	OutcomeRefused    AttemptOutcome = "refused"    // target not allowed (private address)
)

// NotificationFilter selects notifications to list.
type NotificationFilter struct {
	Undelivered bool   // only those not delivered (pending or given up)
	PaymentID   string // only those of this payment
	Limit       int    // at most this many, newest first; 0: 100
}

// RetrySchedule is when delivery attempts are made: element i is the delay
// of attempt i+1 after the previous attempt (the first after creation).
// After the last attempt fails the notification is given up and kept.
type RetrySchedule []time.Duration

// AntomSchedule is Antom's: 8 attempts within about 24 hours.
var AntomSchedule = RetrySchedule{0, 2 * time.Minute, 10 * time.Minute, 10 * time.Minute,
	time.Hour, 2 * time.Hour, 6 * time.Hour, 15 * time.Hour}

// FastSchedule compresses Antom's for development: 8 attempts in about 2
// minutes.
var FastSchedule = RetrySchedule{0, time.Second, 2 * time.Second, 4 * time.Second,
	8 * time.Second, 16 * time.Second, 32 * time.Second, 64 * time.Second}

// ParseSchedule reads "antom", "fast", or a comma-separated list of Go
// durations ("0s,1s,5s").
func ParseSchedule(s string) (RetrySchedule, error) {
	switch strings.TrimSpace(strings.ToLower(s)) {
	case "", "antom":
		return AntomSchedule, nil
	case "fast":
		return FastSchedule, nil
	}
	var out RetrySchedule
	for item := range strings.SplitSeq(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(item))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("notify schedule: %q is not a duration (want antom, fast, or a list like 0s,1s,5s)", strings.TrimSpace(item))
		}
		out = append(out, d)
	}
	return out, nil
}

// First is when the first attempt of a notification created at created is
// due.
func (s RetrySchedule) First(created time.Time) time.Time {
	if len(s) == 0 {
		return created
	}
	return created.Add(s[0])
}

// Next returns when the next attempt is due after attempt number attempts
// (1-based) ended at at, and false when the schedule is exhausted.
func (s RetrySchedule) Next(attempts int, at time.Time) (time.Time, bool) {
	if attempts >= len(s) || attempts < 1 {
		return time.Time{}, false
	}
	return at.Add(s[attempts]), true
}

func (s RetrySchedule) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

// NotificationBodyFunc renders a notification's JSON body from the payment
// (and, for NotifyRefund, the refund) in its new state.
type NotificationBodyFunc func(kind NotificationKind, p *Payment, r *Refund) ([]byte, error)

// CaptureBodyFunc renders the JSON body of notifyCapture from the payment
// and the capture in their new state.
type CaptureBodyFunc func(p *Payment, c *Capture) ([]byte, error)

// Notifications lists the notifications f selects, newest first.
func (s *Service) Notifications(ctx context.Context, f NotificationFilter) ([]Notification, error) {
	list, err := s.Store.Notifications(ctx, f)
	if err != nil {
		return nil, storeError(err)
	}
	return list, nil
}

// noNotification is the answer for a notification id that names none: when
// the id is a payment's, it says where that payment's notifications are.
func (s *Service) noNotification(ctx context.Context, id string) error {
	if _, err := s.FindPayment(ctx, PaymentRef{PaymentID: id}); err == nil {
		return Errorf(KindNotFound, "%s is a paymentId, not a notification id: antomgw notifications list --payment-id %s lists its notifications", id, id)
	}
	return Errorf(KindNotFound, "no notification %s (antomgw notifications list shows the ids)", id)
}

// ShowNotification returns a notification with its delivery attempts.
func (s *Service) ShowNotification(ctx context.Context, id string) (*NotificationDetail, error) {
	n, err := s.Store.Notification(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, s.noNotification(ctx, id)
	}
	if err != nil {
		return nil, storeError(err)
	}
	attempts, err := s.Store.NotificationAttempts(ctx, id)
	if err != nil {
		return nil, storeError(err)
	}
	return &NotificationDetail{Notification: *n, Attempts: attempts}, nil
}
