package rows

import (
	"reflect"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// TestCaptureRoundTrip writes a capture with CaptureValues and reads it
// back with ScanCapture: the two agree on the order of the columns, and
// on the authorisation columns of payments.
func TestCaptureRoundTrip(t *testing.T) {
	ms := func(n int64) time.Time { return time.UnixMilli(n).UTC() }
	c := &gateway.Capture{ID: "c", ClientID: "cl", RequestID: "r", PaymentID: "p", Amount: gateway.Money{Value: 7, Currency: "EUR"},
		Last: true, Automatic: true, Fingerprint: "fp", Status: gateway.CaptureSuccess, ResultCode: "rc", ResultMessage: "rm",
		CreatedAt: ms(1), UpdatedAt: ms(2), CapturedAt: ms(3)}
	got, err := ScanCapture(fakeRow(CaptureValues(c, asIs)))
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Errorf("capture round trip = %+v, %v\nwant %+v", got, err, c)
	}
	var n int
	if err := (func() error { _, err := ScanCapture(countRow{&n}); return err })(); err != nil {
		t.Fatal(err)
	}
	if want := columns(CaptureColumns); n != want || len(CaptureValues(&gateway.Capture{}, asIs)) != want {
		t.Errorf("captures: %d destinations, %d values for %d columns", n, len(CaptureValues(&gateway.Capture{}, asIs)), want)
	}

	p := &gateway.Payment{ID: "p", Amount: gateway.Money{Value: 100, Currency: "USD"}, Status: gateway.PaymentSuccess,
		Authorization: true, CaptureMode: gateway.CaptureManual, AuthState: gateway.AuthPartiallyCaptured,
		AuthExpiresAt: ms(9), Captured: 40, Capturing: 10}
	gotP, err := ScanPayment(fakeRow(PaymentValues(p, asIs)))
	if err != nil || !reflect.DeepEqual(gotP, p) {
		t.Errorf("authorisation round trip = %+v, %v\nwant %+v", gotP, err, p)
	}
}
