package notify

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

var (
	_ gateway.NotificationBodyFunc = Body
	_ gateway.CaptureBodyFunc      = CaptureBody
)

// Notify types written in notifyType. Antom documents PAYMENT_RESULT for
// notifyPayment; no value is documented for notifyRefund, so REFUND_RESULT
// is this gateway's choice.
const (
	TypePaymentResult = "PAYMENT_RESULT"
	TypeRefundResult  = "REFUND_RESULT"
	// TypeCaptureResult is notifyCapture's, as Antom documents it.
	TypeCaptureResult = antomgw.NotifyTypeCapture
)

// Body renders the JSON body of a notification — the SDK's
// antomgw.PaymentNotification or RefundNotification, the shapes merchants
// parse — from the payment (and the refund, for notifyRefund) in the state
// that caused it. It is called once,
// inside the transaction that creates the notification; the bytes are
// stored and sent unchanged on every attempt.
func Body(kind gateway.NotificationKind, p *gateway.Payment, r *gateway.Refund) ([]byte, error) {
	switch kind {
	case gateway.NotifyPayment:
		b := antomgw.PaymentNotification{NotifyType: TypePaymentResult, PaymentRequestID: p.RequestID, PaymentID: p.ID,
			PaymentAmount: amount(p.Amount), PaymentCreateTime: isoTime(p.CreatedAt),
			PaymentTime: isoTime(p.PaidAt), PaymentMethodType: p.MethodType,
			Result: finalResult(p.Status == gateway.PaymentSuccess, p.ResultCode, p.ResultMessage)}
		if p.Authorization && p.Status == gateway.PaymentSuccess {
			b.AuthExpiryTime = isoTime(p.AuthExpiresAt)
		}
		return json.Marshal(b)
	case gateway.NotifyRefund:
		if r == nil {
			return nil, fmt.Errorf("notifyRefund without a refund")
		}
		b := antomgw.RefundNotification{NotifyType: TypeRefundResult, RefundStatus: string(r.Status), RefundRequestID: r.RequestID,
			RefundID: r.ID, PaymentID: r.PaymentID, RefundAmount: amount(r.Amount), RefundTime: isoTime(r.RefundedAt),
			Result: finalResult(r.Status == gateway.RefundSuccess, r.ResultCode, r.ResultMessage)}
		return json.Marshal(b)
	}
	return nil, fmt.Errorf("unknown notification kind %q", kind)
}

// CaptureBody renders the JSON body of notifyCapture — the SDK's
// antomgw.CaptureNotification — for a capture that reached SUCCESS or
// FAIL. It is called once, inside the transaction that records the
// capture's result; the bytes are sent unchanged on every attempt.
func CaptureBody(p *gateway.Payment, c *gateway.Capture) ([]byte, error) {
	if c == nil {
		return nil, fmt.Errorf("notifyCapture without a capture")
	}
	if c.Status != gateway.CaptureSuccess && c.Status != gateway.CaptureFail {
		return nil, fmt.Errorf("notifyCapture of a capture that is %s", c.Status)
	}
	b := antomgw.CaptureNotification{NotifyType: TypeCaptureResult, CaptureRequestID: c.RequestID, PaymentID: c.PaymentID,
		CaptureID: c.ID, CaptureAmount: amount(c.Amount), CaptureTime: isoTime(c.CapturedAt),
		Result: finalResult(c.Status == gateway.CaptureSuccess, c.ResultCode, c.ResultMessage)}
	return json.Marshal(b)
}

// finalResult is the result of a notification: S SUCCESS, or F with the
// record's own code.
func finalResult(success bool, code, message string) wire.Result {
	if success {
		return wire.NewResult(wire.CodeSuccess, "")
	}
	r := wire.NewResult(code, message)
	r.Status = wire.StatusFail
	return r
}

func amount(m gateway.Money) *antomgw.Amount {
	return &antomgw.Amount{Currency: m.Currency, Value: strconv.FormatInt(m.Value, 10)}
}

func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05-07:00")
}
