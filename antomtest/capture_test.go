package antomtest_test

import (
	"strings"
	"testing"

	"github.com/antomgw/antomgw/antomtest"
	"github.com/antomgw/antomgw/wire"
)

// TestCaptureAnswers: capture's default answer is S with a captureId made
// from the captureRequestId; a scripted refusal is signed like any answer.
func TestCaptureAnswers(t *testing.T) {
	srv := antomtest.NewServer()
	defer srv.Close()
	path := "/ams/api/v1/payments/capture"
	body := `{"captureRequestId":"C1","paymentId":"PAY_R1","captureAmount":{"currency":"USD","value":"40"},"isLastCapture":"true"}`
	status, h, answer := post(t, srv, path, body, nil)
	if status != 200 || !verified(t, path, h, answer) {
		t.Fatalf("capture: status %d, verified %v", status, verified(t, path, h, answer))
	}
	for _, w := range []string{`"resultStatus":"S"`, `"captureId":"CAPTURE_C1"`, `"captureRequestId":"C1"`, `"paymentId":"PAY_R1"`,
		`"captureAmount":{"currency":"USD","value":"40"}`, `"captureTime"`} {
		if !strings.Contains(string(answer), w) {
			t.Errorf("capture answer %s does not contain %s", answer, w)
		}
	}
	srv.Script("capture", antomtest.Reply{Result: wire.NewResult(wire.CodeAuthExpired, "")})
	_, h, answer = post(t, srv, path, body, nil)
	if !strings.Contains(string(answer), `"resultCode":"AUTH_EXPIRED","resultStatus":"F"`) || strings.Contains(string(answer), "captureTime") ||
		!verified(t, path, h, answer) {
		t.Errorf("scripted refusal %s: want F AUTH_EXPIRED without captureTime, signed", answer)
	}
	if reqs := srv.Requests(); len(reqs) != 2 || reqs[0].API != "capture" || !reqs[0].Verified {
		t.Errorf("requests = %+v, want two verified capture requests", reqs)
	}
}
