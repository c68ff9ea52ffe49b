package gateway

import (
	"fmt"
	"slices"
	"time"
)

// AuthState is where an authorisation stands: a payment made with
// paymentFactor.isAuthorization whose paymentStatus is (or was) SUCCESS.
// The payment's status keeps the values Antom reports (an authorised,
// uncaptured payment is SUCCESS, as Antom reports a successful
// authorisation); AuthState says how much of the held amount was taken.
type AuthState string

// Authorisation states. The allowed moves between them are
// authTransitions.
const (
	// AuthNone: not an authorisation, or one that has not succeeded (it
	// is PROCESSING, failed, or was cancelled before it succeeded).
	AuthNone AuthState = ""
	// AuthAuthorised: the amount is held; nothing is captured yet. A
	// capture or a void (cancel) may follow until AuthExpiresAt.
	AuthAuthorised AuthState = "AUTHORISED"
	// AuthPartiallyCaptured: part of the amount is captured; the rest may
	// still be captured until AuthExpiresAt.
	AuthPartiallyCaptured AuthState = "PARTIALLY_CAPTURED"
	// AuthCaptured: all of it was captured, or a capture with
	// isLastCapture released the rest. Final.
	AuthCaptured AuthState = "CAPTURED"
	// AuthVoided: cancelled before any capture; the hold is released and
	// the payment is CANCELLED. Final.
	AuthVoided AuthState = "VOIDED"
	// AuthExpired: AuthExpiresAt passed with some of the amount
	// uncaptured; that rest is released. A payment with nothing captured
	// becomes CANCELLED; one with captures stays SUCCESS. Final.
	AuthExpired AuthState = "EXPIRED"
)

// authTransitions is the one table of allowed authorisation moves. An
// authorisation enters AuthAuthorised when its payment becomes SUCCESS.
var authTransitions = map[AuthState][]AuthState{
	AuthAuthorised:        {AuthPartiallyCaptured, AuthCaptured, AuthVoided, AuthExpired},
	AuthPartiallyCaptured: {AuthPartiallyCaptured, AuthCaptured, AuthExpired},
}

// AuthTransitions returns a copy of the authorisation transition table,
// for documentation and tests.
func AuthTransitions() map[AuthState][]AuthState { return copyTable(authTransitions) }

// CanMove reports whether the table allows from → to.
func (s AuthState) CanMove(to AuthState) bool { return slices.Contains(authTransitions[s], to) }

// Open reports whether the authorisation may still be captured (or, when
// nothing is captured, voided): AUTHORISED or PARTIALLY_CAPTURED.
func (s AuthState) Open() bool { return s == AuthAuthorised || s == AuthPartiallyCaptured }

// Capture modes (paymentFactor.captureMode).
const (
	// CaptureAutomatic: the gateway captures the whole amount as soon as
	// the authorisation succeeds, and still sends notifyCapture. Antom's
	// default, also when captureMode is empty.
	CaptureAutomatic = "AUTOMATIC"
	// CaptureManual: the merchant captures with the capture API.
	CaptureManual = "MANUAL"
)

// Result codes of authorisations and captures.
const (
	// CodeAuthExpired is the paymentResultCode of an authorisation that
	// expired uncaptured (the payment is CANCELLED), and the capture
	// refusal after authExpiryTime.
	CodeAuthExpired = "AUTH_EXPIRED"
	// CodeMultiCaptureNotSupported is a capture's failure on a payment
	// method that allows one capture only.
	CodeMultiCaptureNotSupported = "MULTI_CAPTURE_NOT_SUPPORTED"
)

// authMove applies the authorisation table to p. It returns an error
// wrapping ErrInvalidTransition when the table does not allow it.
func (p *Payment) authMove(to AuthState, now time.Time) error {
	if !p.AuthState.CanMove(to) {
		return fmt.Errorf("payment %s: authorisation %s → %s: %w", p.ID, p.AuthState, to, ErrInvalidTransition)
	}
	p.AuthState, p.UpdatedAt = to, now
	return nil
}

// Refundable is how much of a SUCCESS payment may still be refunded, in
// minor units: its amount less its refunds, and for an authorisation its
// captured amount less its refunds (only captured money can be refunded).
func (p *Payment) Refundable() int64 {
	if p.Authorization {
		return p.Captured - p.Refunded
	}
	return p.Amount.Value - p.Refunded
}

// Capturable is how much of an open authorisation may still be captured:
// the authorised amount less what is captured or being captured. Zero
// when the authorisation is not open.
func (p *Payment) Capturable() int64 {
	if !p.AuthState.Open() {
		return 0
	}
	return p.Amount.Value - p.Captured - p.Capturing
}

// authExpiredAt reports whether an open authorisation is past its
// authExpiryTime at now (whether or not its expiry has run yet).
func (p *Payment) authExpiredAt(now time.Time) bool {
	return p.AuthState.Open() && !p.AuthExpiresAt.IsZero() && !now.Before(p.AuthExpiresAt)
}

// authExpiry is how long an authorisation holds its amount.
func (s *Service) authExpiry() time.Duration { return orDefault(s.AuthExpiry, 7*24*time.Hour) }

// authorised records that the authorisation p just succeeded (its
// payment moved to SUCCESS at now): it holds the amount until now +
// AuthExpiry. The caller writes p.
func (s *Service) authorised(p *Payment, now time.Time) {
	p.AuthState = AuthAuthorised
	p.AuthExpiresAt = now.Add(s.authExpiry())
}

// afterAuthorised does what follows a successful authorisation, inside tx
// and after its notifyPayment: in AUTOMATIC mode the gateway captures the
// whole amount at once (notifyCapture follows); in MANUAL mode the
// authorisation's expiry is scheduled. The caller writes p.
func (s *Service) afterAuthorised(tx Tx, p *Payment, now time.Time) error {
	if p.CaptureMode != CaptureManual {
		c := &Capture{ID: s.newID(now), ClientID: p.ClientID, RequestID: AutoCaptureRequestID(p.ID), PaymentID: p.ID,
			Amount: p.Amount, Last: true, Automatic: true, Fingerprint: captureFingerprint(p.ID, p.Amount, true),
			Status: CaptureProcessing, CreatedAt: now, UpdatedAt: now}
		return s.recordCapture(tx, p, c, CaptureDecision{Status: CaptureSuccess}, now, true)
	}
	return tx.InsertJob(&Job{Kind: JobAuthExpire, ClientID: p.ClientID, TargetID: p.ID, DueAt: p.AuthExpiresAt})
}

// AutoCaptureRequestID is the captureRequestId of the capture the gateway
// makes itself in AUTOMATIC capture mode.
func AutoCaptureRequestID(paymentID string) string { return "AUTO_" + paymentID }

// expireAuth releases what is left of an open authorisation past its
// authExpiryTime, inside tx: the authorisation becomes EXPIRED, and a
// payment with nothing captured becomes CANCELLED (paymentResultCode
// AUTH_EXPIRED), as Antom cancels an uncaptured authorisation
// automatically. It reports false, changing nothing, when p is not an open
// authorisation past its expiry, or when a capture made inside the window
// is still in process: that capture decides first (a cancelled payment
// must never receive a capture). The caller writes p.
func (s *Service) expireAuth(tx Tx, p *Payment, now time.Time) (bool, error) {
	if !p.authExpiredAt(now) || p.Capturing > 0 {
		return false, nil
	}
	if err := p.authMove(AuthExpired, now); err != nil {
		return false, err
	}
	if p.Captured > 0 {
		return true, nil
	}
	return true, s.settle(tx, p, PaymentCancelled, CodeAuthExpired,
		"The authorisation was not captured before authExpiryTime; the held amount was released.", now)
}

// expireAuthJob carries out a JobAuthExpire inside tx. A capture still
// PROCESSING was made inside the window: the expiry waits for it
// (another job, ResolveAfter later).
func (s *Service) expireAuthJob(tx Tx, j *Job) error {
	p, err := tx.PaymentForUpdate(j.ClientID, j.TargetID)
	if err != nil {
		return err
	}
	now := s.now()
	if !p.authExpiredAt(now) {
		return nil // voided, captured, or not due (a job of an older schedule)
	}
	if p.Capturing > 0 {
		return tx.InsertJob(&Job{Kind: JobAuthExpire, ClientID: p.ClientID, TargetID: p.ID,
			DueAt: now.Add(orDefault(s.ResolveAfter, 30*time.Second))})
	}
	if _, err := s.expireAuth(tx, p, now); err != nil {
		return err
	}
	return tx.UpdatePayment(p)
}
