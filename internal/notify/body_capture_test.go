package notify_test

import (
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/notify"
)

// TestCaptureBody renders notifyCapture for a successful and a failed
// capture, and notifyPayment of an authorisation with its authExpiryTime.
func TestCaptureBody(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := &gateway.Payment{ID: "P1", RequestID: "R1", Amount: gateway.Money{Value: 1000, Currency: "USD"}, Status: gateway.PaymentSuccess,
		CreatedAt: now, PaidAt: now, MethodType: "CARD", Authorization: true, CaptureMode: gateway.CaptureManual,
		AuthState: gateway.AuthAuthorised, AuthExpiresAt: now.Add(7 * 24 * time.Hour)}
	c := &gateway.Capture{ID: "C1", RequestID: "CR1", PaymentID: "P1", Amount: gateway.Money{Value: 400, Currency: "USD"},
		Status: gateway.CaptureSuccess, ResultCode: "SUCCESS", CapturedAt: now}
	b, err := notify.CaptureBody(p, c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"notifyType":"CAPTURE_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},` +
		`"captureRequestId":"CR1","paymentId":"P1","captureId":"C1","captureAmount":{"currency":"USD","value":"400"},"captureTime":"2026-01-02T03:04:05+00:00"}`
	if string(b) != want {
		t.Errorf("notifyCapture body:\n got %s\nwant %s", b, want)
	}

	c.Status, c.ResultCode, c.ResultMessage, c.CapturedAt = gateway.CaptureFail, gateway.CodeMultiCaptureNotSupported, "one capture only", time.Time{}
	b, err = notify.CaptureBody(p, c)
	if err != nil {
		t.Fatal(err)
	}
	want = `{"notifyType":"CAPTURE_RESULT","result":{"resultCode":"MULTI_CAPTURE_NOT_SUPPORTED","resultStatus":"F","resultMessage":"one capture only"},` +
		`"captureRequestId":"CR1","paymentId":"P1","captureId":"C1","captureAmount":{"currency":"USD","value":"400"}}`
	if string(b) != want {
		t.Errorf("failed notifyCapture body:\n got %s\nwant %s", b, want)
	}

	c.Status = gateway.CaptureProcessing
	if _, err := notify.CaptureBody(p, c); err == nil {
		t.Error("CaptureBody of a PROCESSING capture: no error, want one (only final captures are notified)")
	}

	b, err = notify.Body(gateway.NotifyPayment, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	want = `{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},` +
		`"paymentRequestId":"R1","paymentId":"P1","paymentAmount":{"currency":"USD","value":"1000"},` +
		`"paymentCreateTime":"2026-01-02T03:04:05+00:00","paymentTime":"2026-01-02T03:04:05+00:00","paymentMethodType":"CARD",` +
		`"authExpiryTime":"2026-01-09T03:04:05+00:00"}`
	if string(b) != want {
		t.Errorf("notifyPayment body of an authorisation:\n got %s\nwant %s", b, want)
	}
}
