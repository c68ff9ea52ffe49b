package main

import (
	"context"
	"fmt"

	"github.com/antomgw/antomgw"
)

var callCaptureDoc = helpText("call-capture")

// runCallCapture captures all or part of an authorisation (capture).
func runCallCapture(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" --client-id ID --private-key FILE --gateway-public-key FILE\n         (--capture-request-id ID (--payment-id ID | --payment-request-id ID) --amount VALUE [--last] | --body-file FILE) [flags]",
		callCaptureDoc+callCommonDoc)
	c := &callFlags{}
	id := c.field(f, "capture-request-id", "ID", "", "captureRequestId, the idempotency key")
	paymentID := c.field(f, "payment-id", "ID", "", "paymentId of the authorised payment")
	paymentRequestID := c.field(f, "payment-request-id", "ID", "", "the merchant's paymentRequestId of the authorised payment (looked up with inquiryPayment)")
	amount := c.field(f, "amount", "VALUE", "", "captureAmount.value in minor units")
	currency := c.field(f, "currency", "CUR", "USD", "captureAmount.currency (the authorisation's)")
	last := f.boolean("last", `isLastCapture "true": release the rest of the authorisation once this capture succeeds`)
	c.fields = append(c.fields, "last")
	c.addCommon(f)
	set, err := c.parse(f, args)
	if err != nil {
		return err
	}
	if *c.family == "omnichannel" || *c.family == "v2" {
		return f.usagef("--family %s: omnichannel v2 has no capture API; use ams or ams-sandbox", *c.family)
	}
	if !set["body-file"] && (*id == "" || (*paymentID == "" && *paymentRequestID == "") || *amount == "") {
		return f.usagef("--capture-request-id, --payment-id (or --payment-request-id) and --amount are required (or --body-file)")
	}
	cl, err := c.client(e, f)
	if err != nil {
		return err
	}
	if set["body-file"] {
		return doRaw(ctx, e, cl, antomgw.APICapture, *c.bodyFile)
	}
	if *paymentID == "" {
		p, err := cl.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: *paymentRequestID})
		if err != nil {
			return fmt.Errorf("look up the paymentId of paymentRequestId %s: %w", *paymentRequestID, err)
		}
		*paymentID = p.PaymentID
		fmt.Fprintf(e.stderr, "paymentRequestId %s is paymentId %s (paymentStatus %s, authExpiryTime %s)\n", *paymentRequestID, p.PaymentID, p.PaymentStatus, p.AuthExpiryTime)
	}
	resp, err := cl.Capture(ctx, &antomgw.CaptureRequest{CaptureRequestID: *id, PaymentID: *paymentID,
		CaptureAmount: antomgw.Amount{Currency: *currency, Value: *amount}, IsLastCapture: antomgw.FlexBool(*last)})
	return finish(e, resp, err)
}
