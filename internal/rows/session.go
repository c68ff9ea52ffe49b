package rows

import (
	"strings"

	"github.com/antomgw/antomgw/internal/gateway"
)

// SessionColumns lists the columns of payment_sessions, in the order
// ScanSession reads and SessionValues writes them.
const SessionColumns = `session_id, client_id, request_id, product_code, product_scene,
	amount_value, amount_currency, reference_id, order_description, notify_url, redirect_url,
	is_authorization, capture_mode, methods, terminal_type, user_region, data, url, fingerprint,
	created_at, expires_at`

// ScanSession reads a row of SessionColumns; methods is the allowed
// paymentMethodTypes joined by commas. After an error its result is
// garbage, to drop.
func ScanSession(row Scanner) (*gateway.PaymentSession, error) {
	s := new(gateway.PaymentSession)
	var methods string
	err := row.Scan(&s.ID, &s.ClientID, &s.RequestID, &s.ProductCode, &s.ProductScene,
		&s.Amount.Value, &s.Amount.Currency, &s.ReferenceID, &s.OrderDescription, &s.NotifyURL, &s.RedirectURL,
		&s.IsAuthorization, &s.CaptureMode, &methods, &s.TerminalType, &s.UserRegion, &s.Data, &s.URL, &s.Fingerprint,
		Time{&s.CreatedAt}, Time{&s.ExpiresAt})
	if methods != "" {
		s.Methods = strings.Split(methods, ",")
	}
	return s, err
}

// SessionValues returns the arguments that write s as a row of
// SessionColumns: times by Millis, the boolean column (is_authorization)
// as boolean encodes it, Methods joined by commas (a paymentMethodType has
// none).
func SessionValues(s *gateway.PaymentSession, boolean func(bool) any) []any {
	return []any{s.ID, s.ClientID, s.RequestID, s.ProductCode, s.ProductScene,
		s.Amount.Value, s.Amount.Currency, s.ReferenceID, s.OrderDescription, s.NotifyURL, s.RedirectURL,
		boolean(s.IsAuthorization), s.CaptureMode, strings.Join(s.Methods, ","), s.TerminalType, s.UserRegion, s.Data, s.URL, s.Fingerprint,
		Millis(s.CreatedAt), Millis(s.ExpiresAt)}
}

// WhereSessions adds to l the conditions of f, all but f.After (the
// store's to write, as for payments).
func (l *List) WhereSessions(f gateway.SessionFilter) {
	if f.ClientID != "" {
		l.Where("client_id = ?", f.ClientID)
	}
	if f.ID != "" {
		l.Where("session_id = ?", f.ID)
	}
	if f.RequestID != "" {
		l.Where("request_id = ?", f.RequestID)
	}
}
