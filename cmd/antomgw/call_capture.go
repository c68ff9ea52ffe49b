package main

import (
	"context"

	"github.com/antomgw/antomgw"
)

var callCaptureDoc = helpText("call-capture")

// runCallCapture captures all or part of an authorisation (capture).
func runCallCapture(ctx context.Context, e *env, path string, args []string) error {
	return runCallAPI(ctx, e, path, args, "(--capture-request-id ID (--payment-id ID | --payment-request-id ID) --amount VALUE [--last] | --body-file FILE)",
		callCaptureDoc, antomgw.APICapture, "capture API", func(f *flagSet, c *callFlags) callCmd {
			id := c.field(f, "capture-request-id", "ID", "", "captureRequestId, the idempotency key")
			paymentID := c.field(f, "payment-id", "ID", "", "paymentId of the authorised payment")
			paymentRequestID := c.field(f, "payment-request-id", "ID", "", "the merchant's paymentRequestId of the authorised payment (looked up with inquiryPayment)")
			amount := c.field(f, "amount", "VALUE", "", "captureAmount.value in minor units")
			currency := c.field(f, "currency", "CUR", "USD", "captureAmount.currency (the authorisation's)")
			last := f.boolean("last", `isLastCapture "true": release the rest of the authorisation once this capture succeeds`)
			c.fields = append(c.fields, "last")
			cmd := callCmd{missing: func() bool { return *id == "" || (*paymentID == "" && *paymentRequestID == "") || *amount == "" },
				required: "--capture-request-id, --payment-id (or --payment-request-id) and --amount are required (or --body-file)"}
			cmd.send = func(cl *antomgw.Client) error {
				if err := lookupPaymentID(ctx, e, cl, paymentID, *paymentRequestID, true); err != nil {
					return err
				}
				return e.finish(cl.Capture(ctx, &antomgw.CaptureRequest{CaptureRequestID: *id, PaymentID: *paymentID,
					CaptureAmount: antomgw.Amount{Currency: *currency, Value: *amount}, IsLastCapture: antomgw.FlexBool(*last)}))
			}
			return cmd
		})
}
