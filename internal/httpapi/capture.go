package httpapi

import (
	"context"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// captureHandler serves capture (AMS v1 and sandbox; omnichannel v2 has no
// capture).
func captureHandler(s *Server, ctx context.Context, x *exchange, body []byte) (*outcome, error) {
	return s.capture(ctx, x.clientID, body, x.keys.ScenarioRules(x.clientID, gateway.ScenarioCapture))
}

// captureResult is the one table of a capture answer's result: S for a
// SUCCESS capture, F with its own code for a FAIL one, U
// CAPTURE_IN_PROCESS while it is PROCESSING.
func captureResult(c *gateway.Capture) wire.Result {
	switch c.Status {
	case gateway.CaptureSuccess:
		return wire.NewResult(wire.CodeSuccess, "")
	case gateway.CaptureFail:
		r := wire.NewResult(c.ResultCode, clip(c.ResultMessage, 256))
		r.Status = wire.StatusFail
		return r
	}
	return wire.NewResult(wire.CodeCaptureInProcess, "The capture is being processed; wait for notifyCapture, inquire the payment, or send the same request again later.")
}

func (s *Server) capture(ctx context.Context, clientID string, body []byte, rules []gateway.ScenarioRule) (*outcome, error) {
	var req antomgw.CaptureRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := firstErr(
		requestID("captureRequestId", req.CaptureRequestID, false),
		requireString("paymentId", req.PaymentID, 64),
	); err != nil {
		return nil, err
	}
	m, err := money("captureAmount", req.CaptureAmount, maxMinorUnits)
	if err != nil {
		return nil, err
	}
	r, err := s.Service.Capture(ctx, gateway.CaptureInput{ClientID: clientID, RequestID: req.CaptureRequestID,
		PaymentID: req.PaymentID, Amount: m, Last: bool(req.IsLastCapture), Rules: rules})
	if err != nil {
		return nil, err
	}
	if o := ruleOnly(r.Fired, r.Capture == nil); o != nil {
		return o, nil // a rule's request-level code: no capture was recorded
	}
	c := r.Capture
	res := captureResult(c)
	if f := r.Fired; f != nil && f.Effect.Kind == gateway.EffectResult && c.Status == gateway.CaptureProcessing {
		res = ruleResult(f.Effect) // a rule's U answer
	}
	resp := antomgw.CaptureResponse{Result: res, CaptureRequestID: c.RequestID, CaptureID: c.ID, PaymentID: c.PaymentID,
		CaptureAmount: amountOf(c.Amount), CaptureTime: formatTime(c.CapturedAt)}
	o := respondWith(res, resp)
	o.replay, o.fired = r.Replay, r.Fired
	return o, nil
}
