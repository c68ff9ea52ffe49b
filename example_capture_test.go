package antomgw_test

import (
	"context"
	"fmt"
	"log"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/antomtest"
)

// An authorisation captured in part: the card payment was made with
// PaymentFactor{IsAuthorization: true, CaptureMode: CaptureModeManual};
// once it succeeded, the merchant takes what the order cost.
func ExampleClient_Capture() {
	srv := antomtest.NewServer()
	defer srv.Close()
	c := exampleClient(srv)

	resp, err := c.Capture(context.Background(), &antomgw.CaptureRequest{
		CaptureRequestID: "CAPTURE_0001_1",
		PaymentID:        "PAY_ORDER_0001",
		CaptureAmount:    antomgw.Amount{Currency: "USD", Value: "8000"},
		IsLastCapture:    true, // release the rest of the authorisation
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.CaptureID, resp.CaptureAmount.Value, resp.CaptureAmount.Currency)
	// Output: CAPTURE_CAPTURE_0001_1 8000 USD
}
