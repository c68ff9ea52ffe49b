package antomgw

import (
	"context"
	"errors"
)

// CaptureRequest is the body of capture.
type CaptureRequest struct {
	// CaptureRequestID is the idempotency key: one capture per id.
	CaptureRequestID string `json:"captureRequestId"`
	// PaymentID is the gateway's id of the authorised payment.
	PaymentID string `json:"paymentId"`
	// CaptureAmount is how much to take: all or part of what is left of
	// the authorisation, in its currency.
	CaptureAmount Amount `json:"captureAmount"`
	// IsLastCapture releases the rest of the authorisation once this
	// capture succeeds: no capture may follow. Sent as the string "true";
	// the gateway reads a JSON boolean too.
	IsLastCapture FlexBool `json:"isLastCapture,omitempty"`
}

// CaptureResponse is the answer of capture. CaptureID, CaptureAmount and
// CaptureTime are set once the capture succeeded.
type CaptureResponse struct {
	Result           Result  `json:"result"`
	CaptureRequestID string  `json:"captureRequestId,omitempty"`
	CaptureID        string  `json:"captureId,omitempty"`
	PaymentID        string  `json:"paymentId,omitempty"`
	CaptureAmount    *Amount `json:"captureAmount,omitempty"`
	CaptureTime      string  `json:"captureTime,omitempty"`
}

// CaptureNotification is the body of notifyCapture: a capture reached a
// final result (S captured, F failed), the gateway's own in AUTOMATIC
// capture mode included. De-duplicate by CaptureID.
type CaptureNotification struct {
	NotifyType       string  `json:"notifyType"`
	Result           Result  `json:"result"`
	CaptureRequestID string  `json:"captureRequestId"`
	PaymentID        string  `json:"paymentId"`
	CaptureID        string  `json:"captureId"`
	CaptureAmount    *Amount `json:"captureAmount,omitempty"`
	CaptureTime      string  `json:"captureTime,omitempty"`
}

// NotifyTypeCapture is notifyCapture's notifyType.
const NotifyTypeCapture = "CAPTURE_RESULT"

// errCaptureV2 is Capture's error in FamilyOmnichannel.
var errCaptureV2 = errors.New("antomgw: capture: omnichannel v2 has no capture API; call it with FamilyAMS or FamilyAMSSandbox")

// Capture takes all or part of an authorised payment (capture): one made
// with PaymentFactor.IsAuthorization and CaptureModeManual that succeeded
// and has not expired (InquiryPaymentResponse.AuthExpiryTime). Several
// partial captures may follow one another; together they never exceed
// the authorised amount (F CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT).
// req.CaptureRequestID is the idempotency key: sending the same request
// again never captures twice; while the first is in flight it answers U
// CAPTURE_IN_PROCESS, then its result again.
//
// A verified S answer returns the response and nil; a verified F (such as
// AUTH_EXPIRED, AUTH_CANCELLED, ORDER_STATUS_INVALID) or U answer returns
// the response and an *Error carrying its result. Other errors are as for
// Pay. In FamilyOmnichannel Capture sends nothing and returns an error:
// omnichannel v2 has no capture API.
func (c *Client) Capture(ctx context.Context, req *CaptureRequest) (*CaptureResponse, error) {
	if c.cfg.Family == FamilyOmnichannel {
		return nil, errCaptureV2
	}
	return call[CaptureResponse](ctx, c, APICapture, req)
}
