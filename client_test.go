package antomgw_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// TestCallsEndToEnd runs every call against the real gateway in both path
// families, with and without encryption, and checks on the wire that the
// bodies really were encrypted both ways.
func TestCallsEndToEnd(t *testing.T) {
	g := gatewaytest.New(t)
	for _, fam := range []antomgw.PathFamily{antomgw.FamilyAMS, antomgw.FamilyOmnichannel} {
		for _, enc := range []bool{false, true} {
			name := string(fam)
			if enc {
				name += "/encrypted"
			} else {
				name += "/plain"
			}
			t.Run(name, func(t *testing.T) {
				rec := &recorder{}
				c := g.Client(t, family(fam), encrypted(enc), recordWith(rec))
				ctx := context.Background()
				id := newID("E2E")

				pay, err := c.Pay(ctx, inStorePay(id, "1250"))
				if err != nil {
					t.Fatalf("Pay: %v", err)
				}
				if pay.Result.Status != wire.StatusSuccess || pay.PaymentID == "" || pay.PaymentRequestID != id {
					t.Fatalf("Pay = %+v, want S with a paymentId for %s", pay, id)
				}

				again, err := c.Pay(ctx, inStorePay(id, "1250"))
				if err != nil || again.PaymentID != pay.PaymentID {
					t.Fatalf("Pay again = %+v, %v; want the same paymentId %s", again, err, pay.PaymentID)
				}

				inq, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: id})
				if err != nil {
					t.Fatalf("InquiryPayment: %v", err)
				}
				if inq.PaymentStatus != antomgw.PaymentStatusSuccess || inq.PaymentID != pay.PaymentID ||
					inq.PaymentAmount == nil || inq.PaymentAmount.Value != "1250" || inq.PaymentMethodType != "CONNECT_WALLET" {
					t.Fatalf("InquiryPayment = %+v (amount %+v), want SUCCESS 1250 CONNECT_WALLET of %s", inq, inq.PaymentAmount, pay.PaymentID)
				}

				rid := newID("RF")
				rf, err := c.Refund(ctx, &antomgw.RefundRequest{RefundRequestID: rid, PaymentID: pay.PaymentID,
					RefundAmount: antomgw.Amount{Currency: "USD", Value: "250"}, RefundReason: "one coffee less"})
				if err != nil {
					t.Fatalf("Refund: %v", err)
				}
				if rf.RefundID == "" || rf.RefundRequestID != rid || rf.RefundAmount == nil || rf.RefundAmount.Value != "250" {
					t.Fatalf("Refund = %+v, want refund %s of 250", rf, rid)
				}

				irf, err := c.InquiryRefund(ctx, &antomgw.InquiryRefundRequest{RefundRequestID: rid})
				if err != nil {
					t.Fatalf("InquiryRefund: %v", err)
				}
				if irf.RefundStatus != antomgw.RefundStatusSuccess || irf.RefundID != rf.RefundID {
					t.Fatalf("InquiryRefund = %+v, want SUCCESS %s", irf, rf.RefundID)
				}

				cid := newID("CX")
				if _, err := c.Pay(ctx, inStorePay(cid, "300")); err != nil {
					t.Fatalf("Pay %s: %v", cid, err)
				}
				cx, err := c.CancelPayment(ctx, &antomgw.CancelRequest{PaymentRequestID: cid})
				if err != nil {
					t.Fatalf("CancelPayment: %v", err)
				}
				if cx.PaymentRequestID != cid || cx.CancelTime == "" {
					t.Fatalf("CancelPayment = %+v, want a cancelTime for %s", cx, cid)
				}
				inq, err = c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: cid})
				if err != nil || inq.PaymentStatus != antomgw.PaymentStatusCancelled {
					t.Fatalf("InquiryPayment after cancel = %+v, %v; want CANCELLED", inq, err)
				}

				// F answers come back with the response and an *Error.
				fid := newID("F")
				fr, err := c.Pay(ctx, inStorePay(fid, "9906"))
				if !antomgw.IsFail(err) || antomgw.IsUnknown(err) || !antomgw.IsCode(err, "USER_BALANCE_NOT_ENOUGH") {
					t.Fatalf("Pay 9906: err = %v, want F USER_BALANCE_NOT_ENOUGH", err)
				}
				var e *antomgw.Error
				if !errors.As(err, &e) || e.API != "pay" || e.StatusCode != 200 || e.Attempts != 1 {
					t.Fatalf("Pay 9906: error = %#v, want *Error for pay, HTTP 200, 1 attempt", err)
				}
				if fr == nil || fr.Result.Code != "USER_BALANCE_NOT_ENOUGH" {
					t.Fatalf("Pay 9906: response = %+v, want it with its F result", fr)
				}
				if _, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: newID("NONE")}); !antomgw.IsCode(err, wire.CodeOrderNotExist) {
					t.Fatalf("InquiryPayment of an unknown id: err = %v, want F ORDER_NOT_EXIST", err)
				}

				wantPath := "/ams/api/v1/payments/"
				if fam == antomgw.FamilyOmnichannel {
					wantPath = "/openapi/v2/payments/"
				}
				if p := c.Path(antomgw.APIPay); p != wantPath+"pay" {
					t.Errorf("Path(pay) = %q, want %q", p, wantPath+"pay")
				}
				for i, x := range rec.exchanges() {
					gotEnc := x.reqHeader.Get("Encrypt") != "" && x.respHeader.Get("Encrypt") != ""
					if gotEnc != enc {
						t.Errorf("exchange %d: Encrypt headers request %q, answer %q; want encryption %v",
							i, x.reqHeader.Get("Encrypt"), x.respHeader.Get("Encrypt"), enc)
					}
					if enc && (strings.Contains(string(x.reqBody), "paymentRequestId") || strings.Contains(string(x.respBody), "result")) {
						t.Errorf("exchange %d: plaintext on the wire with encryption on", i)
					}
				}
			})
		}
	}
}

// TestOmnichannelBodies checks the v2 bodies on the wire: the payment
// method as a string and the amount as a JSON integer.
func TestOmnichannelBodies(t *testing.T) {
	g := gatewaytest.New(t)
	rec := &recorder{}
	c := g.Client(t, family(antomgw.FamilyOmnichannel), recordWith(rec))
	id := newID("V2")
	if _, err := c.Pay(context.Background(), inStorePay(id, "700")); err != nil {
		t.Fatal(err)
	}
	body := string(rec.exchanges()[0].reqBody)
	for _, want := range []string{`"paymentMethod":"CONNECT_WALLET"`, `"value":700`, `"originalMerchantOrderId":"ORDER_` + id + `"`, `"originalMerchantStoreId":"STORE_1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("v2 pay body %s does not contain %s", body, want)
		}
	}
	if _, err := c.Pay(context.Background(), inStorePay(newID("V2"), "7.00")); err == nil || antomgw.IsUnknown(err) {
		t.Errorf("v2 pay with value 7.00: err = %v, want an error before sending", err)
	}
	if n := len(rec.exchanges()); n != 1 {
		t.Errorf("%d exchanges, want 1 (the bad amount is never sent)", n)
	}
}

// TestScenarios checks every in-store scenario and the cashier through the
// SDK: OrderCode, EntryCode and cashier answer U PAYMENT_IN_PROCESS with
// what the user needs, and the response comes back with the *Error.
func TestScenarios(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t)
	ctx := context.Background()
	for _, sc := range []string{antomgw.ScenarioOrderCode, antomgw.ScenarioEntryCode, "cashier"} {
		t.Run(sc, func(t *testing.T) {
			req := inStorePay(newID(sc), "990")
			req.PaymentMethod.PaymentMethodID = ""
			req.PaymentFactor.InStorePaymentScenario = sc
			if sc == "cashier" {
				req.ProductCode, req.PaymentFactor = antomgw.ProductCashier, nil
				req.PaymentRedirectURL = "https://shop.example/back"
			}
			resp, err := c.Pay(ctx, req)
			if !antomgw.IsUnknown(err) || !antomgw.IsCode(err, wire.CodePaymentInProcess) {
				t.Fatalf("err = %v, want U PAYMENT_IN_PROCESS", err)
			}
			var e *antomgw.Error
			if errors.As(err, &e) && e.Retryable() {
				t.Errorf("PAYMENT_IN_PROCESS is Retryable; want inquire instead")
			}
			if resp == nil || resp.PaymentID == "" {
				t.Fatalf("response = %+v, want one with a paymentId", resp)
			}
			switch sc {
			case antomgw.ScenarioOrderCode:
				if resp.OrderCodeForm == nil || len(resp.OrderCodeForm.CodeDetails) == 0 {
					t.Errorf("OrderCodeForm = %+v, want codes", resp.OrderCodeForm)
				}
			case antomgw.ScenarioEntryCode:
				if resp.RedirectActionForm == nil || resp.RedirectActionForm.RedirectURL == "" {
					t.Errorf("RedirectActionForm = %+v, want a URL", resp.RedirectActionForm)
				}
			default:
				if resp.NormalURL == "" {
					t.Errorf("NormalURL is empty")
				}
			}
		})
	}
}

// TestSandboxFamily calls the AMS sandbox paths.
func TestSandboxFamily(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t, family(antomgw.FamilyAMSSandbox))
	if p := c.Path(antomgw.APIInquiryRefund); p != "/ams/sandbox/api/v1/payments/inquiryRefund" {
		t.Errorf("Path = %q", p)
	}
	if _, err := c.Pay(context.Background(), inStorePay(newID("SBX"), "100")); err != nil {
		t.Fatal(err)
	}
}

// TestDo sends exact bytes through the verified path.
func TestDo(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t)
	id := newID("RAW")
	body := []byte(`{"productCode":"IN_STORE_PAYMENT","paymentRequestId":"` + id + `","order":{"referenceOrderId":"1"},` +
		`"paymentAmount":{"currency":"USD","value":"100"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"2810"},` +
		`"paymentFactor":{"inStorePaymentScenario":"PaymentCode"},"settlementStrategy":{"settlementCurrency":"USD"}}`)
	resp, err := c.Do(context.Background(), antomgw.APIPay, body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Result.Status != wire.StatusSuccess || resp.StatusCode != 200 || resp.Attempts != 1 ||
		!strings.Contains(string(resp.Body), id) || resp.Header.Get("Signature") == "" {
		t.Fatalf("Do = %+v (body %s)", resp, resp.Body)
	}
}
