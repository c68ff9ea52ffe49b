package antomgw_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/antomtest"
	"github.com/antomgw/antomgw/wire"
)

// exampleClient returns a client of the fake gateway srv. In production the
// keys come from files (wire.ParsePrivateKey, wire.ParsePublicKey) and
// BaseURL is the gateway's.
func exampleClient(srv *antomtest.Server) *antomgw.Client {
	c, err := antomgw.NewClient(antomgw.Config{
		ClientID:    antomtest.ClientID,
		PrivateKey:  antomtest.MerchantKey(),
		GatewayKeys: antomtest.GatewayKeys(),
		BaseURL:     srv.URL,
	})
	if err != nil {
		log.Fatal(err)
	}
	return c
}

func ExampleNewClient() {
	merchantKey := antomtest.MerchantKey()          // wire.ParsePrivateKey(pemBytes)
	gatewayKey := &antomtest.GatewayKey().PublicKey // wire.ParsePublicKey(`antomgw keys export`)
	c, err := antomgw.NewClient(antomgw.Config{
		ClientID:       "MY_TERMINAL_0001",
		PrivateKey:     merchantKey,
		GatewayKeys:    map[int]*rsa.PublicKey{1: gatewayKey},
		BaseURL:        "http://127.0.0.1:8080",
		Family:         antomgw.FamilyOmnichannel,
		Encrypt:        true,
		AttemptTimeout: 3 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Path(antomgw.APIPay))
	// Output: /openapi/v2/payments/pay
}

func ExampleClient_Pay() {
	srv := antomtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv)

	resp, err := c.Pay(context.Background(), &antomgw.PayRequest{
		ProductCode:      antomgw.ProductInStore,
		PaymentRequestID: "ORDER_0001",
		Order:            &antomgw.Order{ReferenceOrderID: "0001", OrderDescription: "coffee"},
		PaymentAmount:    antomgw.Amount{Currency: "USD", Value: "450"},
		PaymentMethod:    antomgw.PaymentMethod{PaymentMethodType: "CONNECT_WALLET", PaymentMethodID: "281012345678"},
		PaymentFactor:    &antomgw.PaymentFactor{InStorePaymentScenario: antomgw.ScenarioPaymentCode},
	})
	switch {
	case err == nil:
		fmt.Println("paid:", resp.PaymentID, resp.Result)
	case antomgw.IsFail(err):
		fmt.Println("declined:", err) // show the reason; a new attempt needs a new paymentRequestId
	case antomgw.IsUnknown(err):
		fmt.Println("unknown:", err) // inquire, or use PayAndResolve
	default:
		fmt.Println("not sent:", err)
	}
	// Output: paid: PAY_ORDER_0001 S SUCCESS: success
}

// An OrderCode payment answers U PAYMENT_IN_PROCESS with the code to show:
// the response comes back together with the *Error.
func ExampleClient_Pay_orderCode() {
	srv := antomtest.NewServer()
	defer srv.Close()
	srv.Script("pay", antomtest.Reply{Body: `{"result":{"resultCode":"PAYMENT_IN_PROCESS","resultStatus":"U","resultMessage":"The payment is being processed."},` +
		`"paymentRequestId":"ORDER_0002","paymentId":"PAY_2","orderCodeForm":{"codeDetails":[{"codeValueType":"QRCODE","codeValue":"https://wallet.example/pay/2","displayType":"MIDDLEIMAGE"}]}}`})
	c := exampleClient(srv)

	resp, err := c.Pay(context.Background(), &antomgw.PayRequest{
		ProductCode:      antomgw.ProductInStore,
		PaymentRequestID: "ORDER_0002",
		Order:            &antomgw.Order{ReferenceOrderID: "0002"},
		PaymentAmount:    antomgw.Amount{Currency: "USD", Value: "990"},
		PaymentMethod:    antomgw.PaymentMethod{PaymentMethodType: "CONNECT_WALLET"},
		PaymentFactor:    &antomgw.PaymentFactor{InStorePaymentScenario: antomgw.ScenarioOrderCode},
	})
	if antomgw.IsUnknown(err) && resp != nil && resp.OrderCodeForm != nil {
		fmt.Println("show:", resp.OrderCodeForm.CodeDetails[0].CodeValue)
	}
	// Output: show: https://wallet.example/pay/2
}

func ExampleClient_InquiryPayment() {
	srv := antomtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv)

	resp, err := c.InquiryPayment(context.Background(), &antomgw.InquiryPaymentRequest{PaymentRequestID: "ORDER_0001"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.PaymentID, resp.PaymentStatus)
	// Output: PAY_ORDER_0001 SUCCESS
}

func ExampleClient_CancelPayment() {
	srv := antomtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv)

	resp, err := c.CancelPayment(context.Background(), &antomgw.CancelRequest{PaymentRequestID: "ORDER_0001"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("cancelled:", resp.PaymentID)
	// Output: cancelled: PAY_ORDER_0001
}

func ExampleClient_Refund() {
	srv := antomtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv)

	resp, err := c.Refund(context.Background(), &antomgw.RefundRequest{
		RefundRequestID: "REFUND_0001_1",
		PaymentID:       "PAY_ORDER_0001",
		RefundAmount:    antomgw.Amount{Currency: "USD", Value: "150"},
		RefundReason:    "one pastry returned",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.RefundID, resp.RefundAmount.Value, resp.RefundAmount.Currency)
	// Output: REFUND_REFUND_0001_1 150 USD
}

func ExampleClient_InquiryRefund() {
	srv := antomtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv)

	resp, err := c.InquiryRefund(context.Background(), &antomgw.InquiryRefundRequest{RefundRequestID: "REFUND_0001_1"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.RefundID, resp.RefundStatus)
	// Output: REFUND_REFUND_0001_1 SUCCESS
}

// A POS terminal's pay: the answer is U, the payment is polled until it is
// final (or cancelled at the deadline).
func ExampleClient_PayAndResolve() {
	srv := antomtest.NewServer()
	defer srv.Close()
	srv.Script("pay", antomtest.Reply{Result: wire.NewResult(wire.CodePaymentInProcess, "")})
	processing := `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"paymentStatus":"PROCESSING"}`
	srv.Script("inquiryPayment", antomtest.Reply{Body: processing}, antomtest.Reply{Body: processing})
	c := exampleClient(srv)

	res, err := c.PayAndResolve(context.Background(), &antomgw.PayRequest{
		ProductCode:      antomgw.ProductInStore,
		PaymentRequestID: "ORDER_0003",
		Order:            &antomgw.Order{ReferenceOrderID: "0003"},
		PaymentAmount:    antomgw.Amount{Currency: "USD", Value: "1200"},
		PaymentMethod:    antomgw.PaymentMethod{PaymentMethodType: "CONNECT_WALLET", PaymentMethodID: "281012345678"},
		PaymentFactor:    &antomgw.PaymentFactor{InStorePaymentScenario: antomgw.ScenarioPaymentCode},
	}, &antomgw.ResolveOptions{Deadline: 30 * time.Second, PollInterval: 10 * time.Millisecond})
	if err != nil {
		log.Fatal(err) // OutcomeUnresolved: ask a person
	}
	fmt.Println(res.Outcome, "after", res.Inquiries, "inquiries")
	// Output: SUCCESS after 3 inquiries
}

// Sending exact bytes, for fields the typed requests do not have.
func ExampleClient_Do() {
	srv := antomtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv)

	resp, err := c.Do(context.Background(), antomgw.APIInquiryPayment, []byte(`{"paymentId":"PAY_1"}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Result.Status, resp.Header.Get("Signature") != "")
	// Output: S true
}

func ExampleError() {
	srv := antomtest.NewServer()
	defer srv.Close()
	srv.Script("refund", antomtest.Reply{Result: wire.NewResult(wire.CodeRefundAmountExceed, "")})
	c := exampleClient(srv)

	_, err := c.Refund(context.Background(), &antomgw.RefundRequest{RefundRequestID: "R9", PaymentID: "PAY_1",
		RefundAmount: antomgw.Amount{Currency: "USD", Value: "999999"}})
	var e *antomgw.Error
	if errors.As(err, &e) {
		fmt.Println(e.API, e.Result.Status, e.Result.Code, antomgw.IsFail(err), e.Retryable())
	}
	// Output: refund F REFUND_AMOUNT_EXCEED true false
}

// A merchant's notify endpoint: verify, record, acknowledge.
func ExampleParseNotification() {
	gatewayKeys := antomtest.GatewayKeys() // the gateway's public keys by version
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := antomgw.ParseNotification(r, gatewayKeys)
		if err != nil {
			http.Error(w, "unverified", http.StatusUnauthorized) // the gateway will send it again
			return
		}
		if n.Kind == antomgw.KindPayment {
			fmt.Println(n.Payment.PaymentRequestID, n.Payment.Result.Status)
		}
		antomgw.WriteNotificationAck(w)
	})

	body := []byte(`{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},` +
		`"paymentRequestId":"ORDER_0001","paymentId":"PAY_1","paymentAmount":{"currency":"USD","value":"450"}}`)
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, antomtest.SignedNotification("https://shop.example/antom/notify", body))
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// ORDER_0001 S
	// 200 {"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}
}
