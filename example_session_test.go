package antomgw_test

import (
	"context"
	"fmt"
	"log"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/antomtest"
)

func ExampleClient_Consult() {
	srv := antomtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv)

	resp, err := c.Consult(context.Background(), &antomgw.ConsultRequest{
		ProductCode:   antomgw.ProductCashier,
		PaymentAmount: antomgw.Amount{Currency: "USD", Value: "2500"},
		Env:           &antomgw.Env{TerminalType: "WEB"},
		UserRegion:    "SG",
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range resp.PaymentOptions {
		fmt.Println(o.PaymentMethodType, o.Enabled)
	}
	// Output:
	// ALIPAY_CN true
	// CARD true
}

func ExampleClient_CreatePaymentSession() {
	srv := antomtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv)
	ctx := context.Background()

	s, err := c.CreatePaymentSession(ctx, &antomgw.CreatePaymentSessionRequest{
		ProductCode:        antomgw.ProductCashier,
		PaymentRequestID:   "ORDER_0042",
		Order:              &antomgw.Order{ReferenceOrderID: "0042", OrderDescription: "two books"},
		PaymentAmount:      antomgw.Amount{Currency: "USD", Value: "2500"},
		PaymentRedirectURL: "https://shop.example/orders/0042",
		PaymentNotifyURL:   "https://shop.example/antom/notify",
		ProductScene:       antomgw.SceneCheckoutPayment,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.PaymentSessionID) // send the buyer to s.NormalURL

	// Later, or after a lost answer: the session and, once the buyer
	// paid, its payment.
	r, err := c.RetrievePaymentSession(ctx, &antomgw.RetrievePaymentSessionRequest{PaymentRequestID: "ORDER_0042"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.PaymentSessionStatus, c.Path(antomgw.APIRetrievePaymentSession))
	// Output:
	// SESSION_ORDER_0042
	// ACTIVE /ams/api//v1/payments/retrievePaymentSession
}
