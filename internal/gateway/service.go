package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Service holds the gateway's use cases. Set Store and Processor; every other
// field has a working default. It is safe for concurrent use, also by several
// processes on one database.
type Service struct {
	Store     Store
	Processor Processor

	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time
	// NewID returns a new payment or refund id. Defaults to NewID.
	NewID func(now time.Time) string
	// CancelWindow is how long after success a payment may still be
	// cancelled (funds reversed). Defaults to 24h.
	CancelWindow time.Duration
	// RefundWindow is how long after success a payment may be refunded.
	// Defaults to 365 days.
	RefundWindow time.Duration
	// PaymentExpiry is how long a payment may stay PROCESSING when the
	// request sets no paymentExpiryTime; then it is closed. Defaults to 14m.
	PaymentExpiry time.Duration
	// AuthExpiry is how long a successful authorisation (a payment with
	// paymentFactor.isAuthorization) holds its amount: its authExpiryTime
	// is its paymentTime plus AuthExpiry, after which what is uncaptured
	// is released. Defaults to 7 days (168h), Antom's window.
	AuthExpiry time.Duration
	// ResolveAfter is how long after its creation a payment whose decision
	// was never recorded (the process died in between) is decided again.
	// Defaults to 30s.
	ResolveAfter time.Duration
	// JobLease is how long a claimed job is reserved for the worker that
	// claimed it; after that another worker may take it. Defaults to 30s.
	JobLease time.Duration
	// NotificationBody renders notification bodies. Nil: no notifications
	// are created.
	NotificationBody NotificationBodyFunc
	// CaptureNotificationBody renders notifyCapture bodies. Nil: no
	// notifyCapture is created.
	CaptureNotificationBody CaptureBodyFunc
	// NotifySchedule says when the first delivery attempt of a new
	// notification is due. Defaults to AntomSchedule.
	NotifySchedule RetrySchedule
	// GenerateKey returns a new gateway key (PKCS #8 DER) for the first
	// key and for rotations. Defaults to RSA-2048 from crypto/rand.
	GenerateKey func() ([]byte, error)
	// RegistryChanged, when set, is called after every registry write this
	// Service makes (clients, keys, scenario rules), whether it succeeded
	// or not: a node passes its Keyring's Invalidate, so that its own
	// changes take effect from its next request.
	RegistryChanged func()
	// FormatMoney writes an amount for people in messages ("89.03 USD").
	// Defaults to minor units ("8903 USD").
	FormatMoney func(Money) string
	// SessionURL returns the checkout page of a payment session, its
	// normalUrl (the wallet's page, internal/wallet). Defaults to
	// https://wallet.antomgw.invalid/session/<paymentSessionId>, on a
	// domain that never resolves.
	SessionURL func(*PaymentSession) string
	// LogoURL returns where the logo of a payment method or card brand is
	// served (consult's logoUrl). Defaults to
	// https://wallet.antomgw.invalid/static/logos/<name>.svg.
	LogoURL func(name string) string
	// Log receives the causes of the errors the use cases turn into an
	// unknown outcome (U), which merchants never see. Defaults to
	// discarding.
	Log *slog.Logger
}

// money writes m for a message: in minor units, and as people read it when
// FormatMoney is set ("8903 (89.03 USD)").
func (s *Service) money(m Money) string {
	if s.FormatMoney == nil {
		return fmt.Sprintf("%d %s", m.Value, m.Currency)
	}
	return fmt.Sprintf("%d (%s)", m.Value, s.FormatMoney(m))
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// registryWritten reports a registry write to RegistryChanged.
func (s *Service) registryWritten() {
	if s.RegistryChanged != nil {
		s.RegistryChanged()
	}
}

func (s *Service) now() time.Time {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return now().UTC().Truncate(time.Millisecond)
}

func (s *Service) newID(now time.Time) string {
	if s.NewID != nil {
		return s.NewID(now)
	}
	return NewID(now)
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// storeError passes *Error through and wraps anything else as internal.
func storeError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, ErrNotFound) {
		return &Error{Kind: KindNotFound, Message: "not found", Err: err}
	}
	return &Error{Kind: KindInternal, Message: "store", Err: err}
}
