package notify_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/notify"
	"github.com/antomgw/antomgw/wire"
)

// TestBody renders notifyPayment and notifyRefund bodies.
func TestBody(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := &gateway.Payment{ID: "P1", RequestID: "R1", Amount: gateway.Money{Value: 450, Currency: "USD"},
		Status: gateway.PaymentSuccess, CreatedAt: now, PaidAt: now, MethodType: "CONNECT_WALLET"}
	b, err := notify.Body(gateway.NotifyPayment, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},` +
		`"paymentRequestId":"R1","paymentId":"P1","paymentAmount":{"currency":"USD","value":"450"},` +
		`"paymentCreateTime":"2026-01-02T03:04:05+00:00","paymentTime":"2026-01-02T03:04:05+00:00","paymentMethodType":"CONNECT_WALLET"}`
	if string(b) != want {
		t.Errorf("notifyPayment body:\n got %s\nwant %s", b, want)
	}
	p.Status, p.ResultCode, p.ResultMessage, p.PaidAt = gateway.PaymentFail, "USER_PAYMENT_VERIFICATION_FAILED", "failed", time.Time{}
	b, _ = notify.Body(gateway.NotifyPayment, p, nil)
	var got struct {
		Result wire.Result `json:"result"`
	}
	json.Unmarshal(b, &got)
	if got.Result.Status != wire.StatusFail || got.Result.Code != "USER_PAYMENT_VERIFICATION_FAILED" {
		t.Errorf("failed payment result = %v, want F USER_PAYMENT_VERIFICATION_FAILED", got.Result)
	}
	r := &gateway.Refund{ID: "RF1", RequestID: "RR1", PaymentID: "P1", Amount: gateway.Money{Value: 50, Currency: "USD"},
		Status: gateway.RefundSuccess, RefundedAt: now}
	b, err = notify.Body(gateway.NotifyRefund, p, r)
	if err != nil {
		t.Fatal(err)
	}
	want = `{"notifyType":"REFUND_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},` +
		`"refundStatus":"SUCCESS","refundRequestId":"RR1","refundId":"RF1","paymentId":"P1","refundAmount":{"currency":"USD","value":"50"},"refundTime":"2026-01-02T03:04:05+00:00"}`
	if string(b) != want {
		t.Errorf("notifyRefund body:\n got %s\nwant %s", b, want)
	}
}
