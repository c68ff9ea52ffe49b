package gatewaytest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// TestAdvancePerRequestAndSink: requests to AdvancePerRequest's server
// move the clock, so the 9903 payment is SUCCESS at the next inquiry and
// its notification reaches the Sink; requests to URL do not; a
// notification the gateway did not sign is refused and counted.
func TestAdvancePerRequestAndSink(t *testing.T) {
	g := gatewaytest.New(t)
	sink := gatewaytest.NewSink(g.GatewayPublicKeys())
	merchant := httptest.NewServer(sink)
	defer merchant.Close()
	polled := g.AdvancePerRequest(t, gatewaytest.DefaultSimDelay)
	c := g.Client(t, func(c *antomgw.Config) { c.BaseURL = polled })
	ctx := context.Background()

	start := g.Now()
	pay, err := c.Do(ctx, antomgw.APIPay, []byte(payBody("GT_POLLED", 9903, merchant.URL+"/notify")))
	if !antomgw.IsCode(err, wire.CodePaymentInProcess) {
		t.Fatalf("pay 9903: %v, want U PAYMENT_IN_PROCESS", err)
	}
	if got := g.Now().Sub(start); got != gatewaytest.DefaultSimDelay {
		t.Errorf("after one request the clock moved %v, want %v", got, gatewaytest.DefaultSimDelay)
	}
	var paid struct {
		PaymentID string `json:"paymentId"`
	}
	if err := json.Unmarshal(pay.Body, &paid); err != nil {
		t.Fatal(err)
	}
	g.Do(t, gatewaytest.Request{Path: pathInquiry, Body: `{"paymentRequestId":"GT_POLLED"}`})
	if got := g.Now().Sub(start); got != gatewaytest.DefaultSimDelay {
		t.Errorf("a request to URL moved the clock to start+%v, want it to stay at start+%v", got, gatewaytest.DefaultSimDelay)
	}
	inq, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: "GT_POLLED"})
	if err != nil || inq.PaymentStatus != antomgw.PaymentStatusSuccess {
		t.Fatalf("inquiry through the advancing server: %+v, %v; want SUCCESS", inq, err)
	}
	if missing := sink.Missing(map[string]wire.Status{paid.PaymentID: wire.StatusSuccess}); len(missing) != 0 {
		t.Errorf("Missing = %v, want the notification of %s delivered", missing, paid.PaymentID)
	}

	forged, err := http.Post(merchant.URL+"/notify", "application/json", strings.NewReader(`{"notifyType":"PAYMENT_RESULT"}`))
	if err != nil {
		t.Fatal(err)
	}
	forged.Body.Close()
	payments, deliveries, invalid := sink.Counts()
	if forged.StatusCode != http.StatusBadRequest || payments != 1 || deliveries != 1 || len(invalid) != 1 {
		t.Errorf("after a forged notification: HTTP %d, Counts = %d, %d, %q; want 400 and 1, 1, one invalid", forged.StatusCode, payments, deliveries, invalid)
	}
	if d := sink.Deliveries(); d[paid.PaymentID] != 1 || len(d) != 1 {
		t.Errorf("Deliveries = %v, want %s once", d, paid.PaymentID)
	}
}

func TestWaitFor(t *testing.T) {
	n := 0
	if !gatewaytest.WaitFor(time.Minute, func() bool { n++; return n == 3 }) || n != 3 {
		t.Errorf("WaitFor of a condition true on the 3rd call: called %d times, or reported false", n)
	}
	if gatewaytest.WaitFor(10*time.Millisecond, func() bool { return false }) {
		t.Error("WaitFor of a condition never true reported true")
	}
}
