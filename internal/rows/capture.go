package rows

import "github.com/antomgw/antomgw/internal/gateway"

// CaptureColumns lists the columns of captures, in the order ScanCapture
// reads and CaptureValues writes them.
const CaptureColumns = `capture_id, client_id, request_id, payment_id, amount_value, amount_currency,
	is_last, automatic, fingerprint, status, result_code, result_message,
	created_at, updated_at, captured_at`

// ScanCapture reads a row of CaptureColumns. After an error its result is
// garbage, to drop.
func ScanCapture(row Scanner) (*gateway.Capture, error) {
	c := new(gateway.Capture)
	return c, row.Scan(&c.ID, &c.ClientID, &c.RequestID, &c.PaymentID, &c.Amount.Value, &c.Amount.Currency,
		&c.Last, &c.Automatic, &c.Fingerprint, &c.Status, &c.ResultCode, &c.ResultMessage,
		Time{&c.CreatedAt}, Time{&c.UpdatedAt}, Time{&c.CapturedAt})
}

// CaptureValues returns the arguments that write c as a row of
// CaptureColumns: times by Millis, and the boolean columns (is_last,
// automatic) as boolean encodes them, which is the store's to say.
func CaptureValues(c *gateway.Capture, boolean func(bool) any) []any {
	return []any{c.ID, c.ClientID, c.RequestID, c.PaymentID, c.Amount.Value, c.Amount.Currency,
		boolean(c.Last), boolean(c.Automatic), c.Fingerprint, string(c.Status), c.ResultCode, c.ResultMessage,
		Millis(c.CreatedAt), Millis(c.UpdatedAt), Millis(c.CapturedAt)}
}
