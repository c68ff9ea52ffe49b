package sim

import (
	"context"

	"github.com/antomgw/antomgw/internal/gateway"
)

var _ gateway.CaptureProcessor = (*Wallet)(nil)

// AmountSingleCapture is the authorised amount (paymentAmount.value of a
// pay with paymentFactor.isAuthorization) of a payment method that allows
// one capture only: its first capture succeeds, any further one fails with
// MULTI_CAPTURE_NOT_SUPPORTED.
const AmountSingleCapture = 9911

// CaptureScenarios is the simulator's table for captures, in order, for
// docs and tests. Authorisations are decided like any other payment (the
// pay scenario table); the gateway's own rules (amount, expiry, void)
// apply before the wallet is asked.
var CaptureScenarios = []Scenario{
	{0, "S SUCCESS: any number of captures, up to the authorised amount", ""},
	{AmountSingleCapture, "the first capture S SUCCESS; every later one F MULTI_CAPTURE_NOT_SUPPORTED (recorded, and notified)", ""},
}

// Capture implements gateway.CaptureProcessor: every capture succeeds at
// once, except a second successful capture of an AmountSingleCapture
// authorisation. It decides from the payment as it stands (locked, for the
// simulated wallet is an InstantProcessor), so asking again gives the same
// answer until a capture succeeds.
func (w *Wallet) Capture(_ context.Context, p *gateway.Payment, _ *gateway.Capture) (gateway.CaptureDecision, error) {
	if p.Amount.Value == AmountSingleCapture && p.Captured > 0 {
		return gateway.CaptureDecision{Status: gateway.CaptureFail, Code: gateway.CodeMultiCaptureNotSupported,
			Message: "The payment method allows one capture per authorisation; this one was captured already."}, nil
	}
	return gateway.CaptureDecision{Status: gateway.CaptureSuccess}, nil
}
