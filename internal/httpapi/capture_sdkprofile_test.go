package httpapi_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// TestSDKWireProfilesCapture replays each official SDK's wire habits for
// an authorisation and its capture: isAuthorization and isLastCapture as
// the SDK writes them (a JSON boolean, or Python's example's string
// "true"), ids as integers where its examples send them, and every answer
// read as that SDK reads it.
func TestSDKWireProfilesCapture(t *testing.T) {
	h := newGateway(t)
	eachSDKProfile(t, h, func(t *testing.T, i int, p sdkProfile, c *sdkCaller) {
		truth := "true"
		if p.name == "Python" {
			truth = `"true"` // its example's isLastCapture
		}
		payID, captureID := fmt.Sprintf(`"PROFILE_%d_AUTH"`, i), fmt.Sprintf(`"PROFILE_%d_CAPTURE"`, i)
		if p.integerIDs {
			payID, captureID = strconv.Itoa(1733300000+i), strconv.Itoa(1733400000+i)
		}
		var pr struct {
			Result    wire.Result `json:"result"`
			PaymentID string      `json:"paymentId"`
		}
		c.call(t, pathPay, `{"productCode":"CASHIER_PAYMENT","paymentRequestId":`+payID+`,"order":{"referenceOrderId":"O1"},`+
			`"paymentAmount":{"currency":"USD","value":"1000"},"paymentMethod":{"paymentMethodType":"CARD"},`+
			`"paymentFactor":{"isAuthorization":`+truth+`,"captureMode":"MANUAL"},"paymentRedirectUrl":"https://shop.example/r"}`, &pr)
		if pr.Result.Code != wire.CodePaymentInProcess || pr.PaymentID == "" {
			t.Fatalf("pay (authorisation) = %+v, want U PAYMENT_IN_PROCESS with a paymentId", pr)
		}
		h.Advance(t, gatewaytest.DefaultSimDelay)
		var cr struct {
			Result           wire.Result `json:"result"`
			CaptureID        string      `json:"captureId"`
			CaptureRequestID string      `json:"captureRequestId"`
		}
		c.call(t, pathCapture, `{"captureRequestId":`+captureID+`,"paymentId":"`+pr.PaymentID+`",`+
			`"captureAmount":{"currency":"USD","value":"600"},"isLastCapture":`+truth+`}`, &cr)
		if cr.Result.Status != wire.StatusSuccess || cr.CaptureID == "" || (strconv.Quote(cr.CaptureRequestID) != captureID && cr.CaptureRequestID != captureID) {
			t.Errorf("capture = %+v, want S with a captureId and captureRequestId %s", cr, captureID)
		}
		if got := h.payment(t, pr.PaymentID); got.Captured != 600 || got.AuthState != "CAPTURED" {
			t.Errorf("after the last capture: captured %d, %s; want 600, CAPTURED (the rest released)", got.Captured, got.AuthState)
		}
	})
}
