package antomgw_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/antomtest"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// authPay is a cashier card authorisation captured by the merchant.
func authPay(id, value string) *antomgw.PayRequest {
	return &antomgw.PayRequest{
		ProductCode:        antomgw.ProductCashier,
		PaymentRequestID:   id,
		Order:              &antomgw.Order{ReferenceOrderID: "ORDER_" + id, OrderDescription: "hotel stay"},
		PaymentAmount:      antomgw.Amount{Currency: "USD", Value: value},
		PaymentMethod:      antomgw.PaymentMethod{PaymentMethodType: "CARD"},
		PaymentFactor:      &antomgw.PaymentFactor{IsAuthorization: true, CaptureMode: antomgw.CaptureModeManual},
		PaymentRedirectURL: "https://shop.example/return",
	}
}

// notifications is a merchant's notify endpoint that verifies each
// notification with the SDK and keeps it.
type notifications struct {
	mu   sync.Mutex
	got  []*antomgw.Notification
	errs []error
}

func (n *notifications) handler(c *antomgw.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := c.ParseNotification(r)
		n.mu.Lock()
		defer n.mu.Unlock()
		if err != nil {
			n.errs = append(n.errs, err)
			http.Error(w, "unverified", http.StatusUnauthorized)
			return
		}
		n.got = append(n.got, got)
		antomgw.WriteNotificationAck(w)
	})
}

// take returns the notifications received since the last call, and the
// verification errors.
func (n *notifications) take() ([]*antomgw.Notification, []error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	got, errs := n.got, n.errs
	n.got, n.errs = nil, nil
	return got, errs
}

// TestCaptureEndToEnd: through the SDK against the real gateway, an
// authorisation captured in two parts, then refunded from the captured
// money; each notifyCapture reaches the merchant and verifies; every
// answer is signed and verified by the SDK. Then a void before any
// capture, and an authorisation that expires on the gateway's clock and
// refuses capture with AUTH_EXPIRED.
func TestCaptureEndToEnd(t *testing.T) {
	ctx := context.Background()
	g := gatewaytest.New(t)
	c := g.Client(t)
	var inbox notifications
	merchant := httptest.NewServer(inbox.handler(c))
	defer merchant.Close()

	req := authPay(newID("AUTH"), "1000")
	req.PaymentNotifyURL = merchant.URL + "/antom/notify"
	pay, err := c.Pay(ctx, req)
	if !antomgw.IsCode(err, wire.CodePaymentInProcess) || pay == nil || pay.PaymentID == "" {
		t.Fatalf("Pay (authorisation) = %+v, %v; want U PAYMENT_IN_PROCESS with a paymentId", pay, err)
	}
	g.Advance(t, gatewaytest.DefaultSimDelay) // the card holder completes the payment
	got, errs := inbox.take()
	if len(errs) != 0 || len(got) != 1 || got[0].Kind != antomgw.KindPayment || got[0].Payment.Result.Status != wire.StatusSuccess ||
		got[0].Payment.AuthExpiryTime == "" {
		t.Fatalf("after the authorisation: notifications %+v, errors %v; want one verified notifyPayment S with authExpiryTime", got, errs)
	}
	p, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentID: pay.PaymentID})
	if err != nil || p.PaymentStatus != antomgw.PaymentStatusSuccess || p.AuthExpiryTime != got[0].Payment.AuthExpiryTime {
		t.Fatalf("InquiryPayment = %+v, %v; want SUCCESS with the notified authExpiryTime", p, err)
	}

	capture := func(id, value string) (*antomgw.CaptureResponse, error) {
		return c.Capture(ctx, &antomgw.CaptureRequest{CaptureRequestID: id, PaymentID: pay.PaymentID,
			CaptureAmount: antomgw.Amount{Currency: "USD", Value: value}})
	}
	first, err := capture("CAP_"+req.PaymentRequestID+"_1", "400")
	if err != nil || first.CaptureID == "" || first.CaptureAmount.Value != "400" || first.CaptureTime == "" {
		t.Fatalf("Capture 400 = %+v, %v; want S with captureId, amount and time", first, err)
	}
	second, err := capture("CAP_"+req.PaymentRequestID+"_2", "600")
	if err != nil || second.CaptureID == first.CaptureID {
		t.Fatalf("Capture 600 = %+v, %v; want S, another capture", second, err)
	}
	if _, err := capture("CAP_"+req.PaymentRequestID+"_3", "1"); !antomgw.IsCode(err, wire.CodeOrderStatusInvalid) {
		t.Errorf("Capture of a fully captured authorisation: %v, want F ORDER_STATUS_INVALID", err)
	}
	g.Step(t)
	got, errs = inbox.take()
	byID := map[string]*antomgw.CaptureNotification{}
	for _, n := range got {
		if n.Kind == antomgw.KindCapture {
			byID[n.Capture.CaptureID] = n.Capture
		}
	}
	for _, want := range []*antomgw.CaptureResponse{first, second} {
		n := byID[want.CaptureID]
		if n == nil || n.NotifyType != antomgw.NotifyTypeCapture || n.Result.Status != wire.StatusSuccess || n.PaymentID != pay.PaymentID ||
			n.CaptureRequestID != want.CaptureRequestID || n.CaptureAmount.Value != want.CaptureAmount.Value || n.CaptureTime != want.CaptureTime {
			t.Errorf("notifyCapture of %s = %+v; want CAPTURE_RESULT S matching the capture answer %+v", want.CaptureID, n, want)
		}
	}
	if len(errs) != 0 || len(got) != 2 {
		t.Errorf("notifications after the captures: %d, errors %v; want two verified notifyCapture", len(got), errs)
	}

	if _, err := c.Refund(ctx, &antomgw.RefundRequest{RefundRequestID: "RF_" + req.PaymentRequestID, PaymentID: pay.PaymentID,
		RefundAmount: antomgw.Amount{Currency: "USD", Value: "1000"}}); err != nil {
		t.Errorf("Refund of the captured 1000: %v", err)
	}
	p, err = c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentID: pay.PaymentID})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, tr := range p.Transactions {
		types = append(types, tr.TransactionType+" "+tr.TransactionStatus)
	}
	if want := []string{"CAPTURE SUCCESS", "CAPTURE SUCCESS", "REFUND SUCCESS"}; len(types) != 3 || types[0] != want[0] || types[1] != want[1] || types[2] != want[2] {
		t.Errorf("transactions = %v, want %v", types, want)
	}

	t.Run("VoidBeforeCapture", func(t *testing.T) {
		req := authPay(newID("VOID"), "500")
		pay, err := c.Pay(ctx, req)
		if !antomgw.IsCode(err, wire.CodePaymentInProcess) {
			t.Fatalf("Pay: %v", err)
		}
		g.Advance(t, gatewaytest.DefaultSimDelay)
		cancel, err := c.CancelPayment(ctx, &antomgw.CancelRequest{PaymentID: pay.PaymentID})
		if err != nil || cancel.CancelTime == "" {
			t.Fatalf("CancelPayment (void) = %+v, %v; want S with cancelTime", cancel, err)
		}
		_, err = c.Capture(ctx, &antomgw.CaptureRequest{CaptureRequestID: "CAP_" + req.PaymentRequestID, PaymentID: pay.PaymentID,
			CaptureAmount: antomgw.Amount{Currency: "USD", Value: "500"}})
		if !antomgw.IsCode(err, wire.CodeAuthCancelled) {
			t.Errorf("Capture after the void: %v, want F AUTH_CANCELLED", err)
		}
		p, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentID: pay.PaymentID})
		if err != nil || p.PaymentStatus != antomgw.PaymentStatusCancelled || len(p.Transactions) != 1 || p.Transactions[0].TransactionType != antomgw.TransactionVoid {
			t.Errorf("InquiryPayment after the void = %+v, %v; want CANCELLED with one VOID entry", p, err)
		}
	})

	t.Run("Expired", func(t *testing.T) {
		req := authPay(newID("EXP"), "500")
		pay, err := c.Pay(ctx, req)
		if !antomgw.IsCode(err, wire.CodePaymentInProcess) {
			t.Fatalf("Pay: %v", err)
		}
		g.Advance(t, gatewaytest.DefaultSimDelay)
		g.Advance(t, 7*24*time.Hour) // the gateway's clock steps past authExpiryTime
		resp, err := c.Capture(ctx, &antomgw.CaptureRequest{CaptureRequestID: "CAP_" + req.PaymentRequestID, PaymentID: pay.PaymentID,
			CaptureAmount: antomgw.Amount{Currency: "USD", Value: "500"}})
		var e *antomgw.Error
		if !errors.As(err, &e) || e.Result.Code != wire.CodeAuthExpired || e.Result.Status != wire.StatusFail || resp == nil {
			t.Errorf("Capture after authExpiryTime = %+v, %v; want a verified F AUTH_EXPIRED answer", resp, err)
		}
		p, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentID: pay.PaymentID})
		if err != nil || p.PaymentStatus != antomgw.PaymentStatusCancelled || p.PaymentResultCode != wire.CodeAuthExpired {
			t.Errorf("InquiryPayment after the expiry = %+v, %v; want CANCELLED, AUTH_EXPIRED", p, err)
		}
	})
}

// TestCaptureRequestWire: the SDK sends isLastCapture and isAuthorization
// as the strings Antom's AMS pages show, leaves them out when false, and
// refuses to call capture on omnichannel v2, which has none.
func TestCaptureRequestWire(t *testing.T) {
	srv := antomtest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.URL)
	resp, err := c.Capture(context.Background(), &antomgw.CaptureRequest{CaptureRequestID: "C1", PaymentID: "PAY_1",
		CaptureAmount: antomgw.Amount{Currency: "USD", Value: "40"}, IsLastCapture: true})
	if err != nil || resp.CaptureID != "CAPTURE_C1" || resp.CaptureAmount.Value != "40" {
		t.Fatalf("Capture = %+v, %v; want antomtest's S answer", resp, err)
	}
	if _, err := c.Pay(context.Background(), authPay("A1", "100")); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	var capture, pay map[string]any
	if len(reqs) != 2 || json.Unmarshal(reqs[0].Body, &capture) != nil || json.Unmarshal(reqs[1].Body, &pay) != nil {
		t.Fatalf("requests = %+v", reqs)
	}
	if reqs[0].Path != "/ams/api/v1/payments/capture" || capture["isLastCapture"] != "true" || capture["captureRequestId"] != "C1" {
		t.Errorf("capture request %s %s; want /ams/api/v1/payments/capture with isLastCapture \"true\"", reqs[0].Path, reqs[0].Body)
	}
	factor, _ := pay["paymentFactor"].(map[string]any)
	if factor["isAuthorization"] != "true" || factor["captureMode"] != "MANUAL" {
		t.Errorf("pay request %s; want paymentFactor.isAuthorization \"true\", captureMode MANUAL", reqs[1].Body)
	}
	_, err = c.Capture(context.Background(), &antomgw.CaptureRequest{CaptureRequestID: "C2", PaymentID: "PAY_1",
		CaptureAmount: antomgw.Amount{Currency: "USD", Value: "40"}})
	if err != nil {
		t.Fatal(err)
	}
	if last := srv.Requests()[2]; string(last.Body) != `{"captureRequestId":"C2","paymentId":"PAY_1","captureAmount":{"currency":"USD","value":"40"}}` {
		t.Errorf("capture without isLastCapture sent %s", last.Body)
	}

	v2 := newClient(t, srv.URL, family(antomgw.FamilyOmnichannel))
	if resp, err := v2.Capture(context.Background(), &antomgw.CaptureRequest{CaptureRequestID: "C3", PaymentID: "PAY_1",
		CaptureAmount: antomgw.Amount{Currency: "USD", Value: "40"}}); err == nil || resp != nil || len(srv.Requests()) != 3 {
		t.Errorf("Capture in FamilyOmnichannel = %+v, %v; want an error and nothing sent", resp, err)
	}
}

// TestParseCaptureNotification: notifyCapture is read as a Capture, by its
// notifyType or its captureId.
func TestParseCaptureNotification(t *testing.T) {
	const notice = `{"notifyType":"CAPTURE_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},` +
		`"captureRequestId":"CR_1","paymentId":"PAY_1","captureId":"CAP_1","captureAmount":{"currency":"USD","value":"400"},"captureTime":"2024-01-02T00:00:00+00:00"}`
	keys := antomtest.GatewayKeys()
	for name, body := range map[string]string{
		"NotifyType": notice,
		"CaptureID":  `{"result":{"resultCode":"AUTH_EXPIRED","resultStatus":"F","resultMessage":"expired"},"captureRequestId":"CR_1","paymentId":"PAY_1","captureId":"CAP_1"}`,
	} {
		n, err := antomgw.ParseNotification(antomtest.SignedNotification(notifyURL, []byte(body)), keys)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n.Kind != antomgw.KindCapture || n.Capture == nil || n.Payment != nil || n.Refund != nil ||
			n.Capture.CaptureID != "CAP_1" || n.Capture.PaymentID != "PAY_1" || n.Capture.CaptureRequestID != "CR_1" {
			t.Errorf("%s: notification %+v / %+v, want a capture of CAP_1", name, n, n.Capture)
		}
	}
	tampered := antomtest.SignedNotification(notifyURL, []byte(notice))
	tampered.Header.Set("Request-Time", "2000-01-01T00:00:00Z")
	if _, err := antomgw.ParseNotification(tampered, keys); !errors.Is(err, antomgw.ErrUnverified) {
		t.Errorf("ParseNotification of a changed notifyCapture: %v, want ErrUnverified", err)
	}
}
