package view_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/view"
)

// TestPaymentDetailJSON pins the field names scripts read from --json:
// they change only by addition.
func TestPaymentDetailJSON(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	d := &gateway.PaymentDetail{
		Payment: &gateway.Payment{ID: "P1", ClientID: "C1", RequestID: "R1", ProductCode: gateway.ProductInStore,
			Amount: gateway.Money{Value: 450, Currency: "USD"}, Status: gateway.PaymentSuccess,
			ResultCode: "SUCCESS", CreatedAt: at, UpdatedAt: at, PaidAt: at},
		Refunds: []*gateway.Refund{{ID: "F1", RequestID: "RR1", Amount: gateway.Money{Value: 50, Currency: "USD"},
			Status: gateway.RefundSuccess, CreatedAt: at, RefundedAt: at}},
		Notifications: []gateway.NotificationDetail{{
			Notification: gateway.Notification{ID: "N1", Kind: gateway.NotifyPayment, PaymentID: "P1", URL: "https://m.example/n",
				DueAt: at, DeliveredAt: at},
			Attempts: []gateway.Attempt{{Number: 1, At: at, Duration: 12 * time.Millisecond, Outcome: gateway.OutcomeDelivered, HTTPStatus: 200}},
		}},
	}
	b, err := json.Marshal(view.NewPaymentDetail(d))
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"payment":{"paymentId":"P1","clientId":"C1","paymentRequestId":"R1","productCode":"IN_STORE_PAYMENT",` +
		`"amount":{"value":450,"currency":"USD"},"status":"SUCCESS","resultCode":"SUCCESS","refunded":0,` +
		`"createdAt":"2026-12-02T10:00:00Z","updatedAt":"2026-12-02T10:00:00Z","paidAt":"2026-12-02T10:00:00Z"},` +
		`"refunds":[{"refundId":"F1","refundRequestId":"RR1","amount":{"value":50,"currency":"USD"},"status":"SUCCESS",` +
		`"async":false,"createdAt":"2026-12-02T10:00:00Z","refundedAt":"2026-12-02T10:00:00Z"}],"captures":[],` +
		`"notifications":[{"id":"N1","kind":"notifyPayment","paymentId":"P1","url":"https://m.example/n","state":"delivered",` +
		`"dueAt":"2026-12-02T10:00:00Z","deliveredAt":"2026-12-02T10:00:00Z",` +
		`"attempts":[{"number":1,"at":"2026-12-02T10:00:00Z","durationMs":12,"outcome":"delivered","httpStatus":200}]}]}`
	if string(b) != want {
		t.Errorf("payment detail JSON =\n%s\nwant\n%s", b, want)
	}
}

// TestAuthorizationDetail: an authorisation shows its capture mode, state,
// expiry and captures, in JSON and in text.
func TestAuthorizationDetail(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	d := &gateway.PaymentDetail{
		Payment: &gateway.Payment{ID: "P2", ClientID: "C1", RequestID: "R2", ProductCode: gateway.ProductCashier,
			Amount: gateway.Money{Value: 5000, Currency: "USD"}, Status: gateway.PaymentSuccess, CreatedAt: at, UpdatedAt: at, PaidAt: at,
			Authorization: true, CaptureMode: "MANUAL", AuthState: "PARTIALLY_CAPTURED", AuthExpiresAt: at.Add(7 * 24 * time.Hour), Captured: 2000},
		Captures: []*gateway.Capture{{ID: "K1", RequestID: "CR1", PaymentID: "P2", Amount: gateway.Money{Value: 2000, Currency: "USD"},
			Status: "SUCCESS", ResultCode: "SUCCESS", CreatedAt: at, CapturedAt: at}},
	}
	b, err := json.Marshal(view.NewPaymentDetail(d))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"authorization":{"captureMode":"MANUAL","state":"PARTIALLY_CAPTURED","authExpiryTime":"2026-12-09T10:00:00Z","captured":2000,"capturing":0}`,
		`"captures":[{"captureId":"K1","captureRequestId":"CR1","amount":{"value":2000,"currency":"USD"},"status":"SUCCESS","resultCode":"SUCCESS","isLastCapture":false,"automatic":false,"createdAt":"2026-12-02T10:00:00Z","capturedAt":"2026-12-02T10:00:00Z"}]`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("authorisation JSON\n%s\nlacks\n%s", b, want)
		}
	}
	var text strings.Builder
	view.WritePaymentText(&text, d)
	for _, want := range []string{"MANUAL capture, PARTIALLY_CAPTURED, captured 20.00 USD", "captures:", "K1", "CR1"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("payments show text lacks %q:\n%s", want, text.String())
		}
	}
}

func TestFormatMoney(t *testing.T) {
	for _, c := range []struct {
		m    gateway.Money
		want string
	}{
		{gateway.Money{Value: 9903, Currency: "USD"}, "99.03 USD"},
		{gateway.Money{Value: 5, Currency: "USD"}, "0.05 USD"},
		{gateway.Money{Value: 0, Currency: "EUR"}, "0.00 EUR"},
		{gateway.Money{Value: 500, Currency: "JPY"}, "500 JPY"},
		{gateway.Money{Value: 12345, Currency: "BHD"}, "12.345 BHD"},
		{gateway.Money{Value: -150, Currency: "USD"}, "-1.50 USD"},
		{gateway.Money{Value: 150, Currency: "ZZZ"}, "1.50 ZZZ"},
	} {
		if got := view.FormatMoney(c.m); got != c.want {
			t.Errorf("view.FormatMoney(%v) = %q, want %q", c.m, got, c.want)
		}
	}
}
