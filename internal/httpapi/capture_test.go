package httpapi_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/antomgw/antomgw/wire"
)

const (
	pathCapture        = "/ams/api/v1/payments/capture"
	pathCaptureSandbox = "/ams/sandbox/api/v1/payments/capture"
	authExpiry         = 7 * 24 * time.Hour
)

// authReq is a cashier card authorisation in capture mode mode ("" for the
// default).
func authReq(id string, value int64, mode string) *antomgw.PayRequest {
	r := cashierReq(id, value)
	r.PaymentMethod = antomgw.PaymentMethod{PaymentMethodType: "CARD"}
	r.PaymentFactor = &antomgw.PaymentFactor{IsAuthorization: true, CaptureMode: mode}
	return r
}

// authorised makes an authorisation (the wallet completes it after its
// delay) and returns its paymentId.
func (h gw) authorised(tb testing.TB, id string, value int64, mode string) string {
	tb.Helper()
	rep, pr := h.pay(tb, authReq(id, value, mode))
	wantResult(tb, "pay "+id, rep.Result, wire.StatusUnknown, wire.CodePaymentInProcess)
	h.Advance(tb, gatewaytest.DefaultSimDelay)
	if p := h.inquire(tb, pr.PaymentID, ""); p.PaymentStatus != antomgw.PaymentStatusSuccess || p.AuthExpiryTime == "" {
		tb.Fatalf("authorisation %s after the wallet's delay: %+v, want SUCCESS with authExpiryTime", id, p)
	}
	return pr.PaymentID
}

func captureReq(id, paymentID string, value int64) *antomgw.CaptureRequest {
	return &antomgw.CaptureRequest{CaptureRequestID: id, PaymentID: paymentID,
		CaptureAmount: antomgw.Amount{Currency: "USD", Value: strconv.FormatInt(value, 10)}}
}

func (h gw) capture(tb testing.TB, body string) (*gatewaytest.Reply, antomgw.CaptureResponse) {
	tb.Helper()
	rep := h.Do(tb, gatewaytest.Request{Path: pathCapture, Body: body})
	return rep, gatewaytest.Decode[antomgw.CaptureResponse](tb, rep)
}

// transactions returns the entries of inquiryPayment's transactions of
// type typ.
func transactions(p antomgw.InquiryPaymentResponse, typ string) []antomgw.Transaction {
	var out []antomgw.Transaction
	for _, t := range p.Transactions {
		if t.TransactionType == typ {
			out = append(out, t)
		}
	}
	return out
}

// TestCapture: an authorisation captured in two parts, with the answers,
// replays, refusals and the inquiry on the way.
func TestCapture(t *testing.T) {
	h := newGateway(t)
	pid := h.authorised(t, "AUTH_1", 1000, antomgw.CaptureModeManual)
	p := h.inquire(t, pid, "")
	paid, _ := time.Parse(time.RFC3339, p.PaymentTime)
	if exp, err := time.Parse(time.RFC3339, p.AuthExpiryTime); err != nil || !exp.Equal(paid.Add(authExpiry)) {
		t.Errorf("authExpiryTime %q, paymentTime %q: want 7 days later", p.AuthExpiryTime, p.PaymentTime)
	}
	if len(p.Transactions) != 0 {
		t.Errorf("transactions of an uncaptured authorisation = %+v, want none", p.Transactions)
	}

	first := jsonBody(t, captureReq("CAP_1", pid, 400))
	rep, c := h.capture(t, first)
	wantResult(t, "capture 400", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	wantReplay(t, "capture 400", rep, false)
	if c.CaptureID == "" || c.CaptureRequestID != "CAP_1" || c.PaymentID != pid || c.CaptureTime == "" ||
		c.CaptureAmount == nil || c.CaptureAmount.Value != "400" || c.CaptureAmount.Currency != "USD" {
		t.Errorf("capture answer %s, want captureId, CAP_1, %s, USD 400, captureTime", rep.Body, pid)
	}
	h.Clock().Advance(time.Minute)
	again, _ := h.capture(t, first)
	wantReplay(t, "repeated capture", again, true)
	if !bytes.Equal(again.Body, rep.Body) {
		t.Errorf("repeated capture answer:\n%s\nwant the first, byte for byte:\n%s", again.Body, rep.Body)
	}

	before := h.Snapshot(t)
	for _, c := range []struct {
		what, body, code string
	}{
		{"the same id with another amount", jsonBody(t, captureReq("CAP_1", pid, 401)), wire.CodeRepeatReqInconsistent},
		{"601 of the 600 left", jsonBody(t, captureReq("CAP_BIG", pid, 601)), wire.CodeCaptureAmountExceedAuth},
		{"another currency", `{"captureRequestId":"CAP_EUR","paymentId":"` + pid + `","captureAmount":{"currency":"EUR","value":"100"}}`, wire.CodeCurrencyNotSupport},
		{"an unknown paymentId", jsonBody(t, captureReq("CAP_X", "20260101000000000000000000000000", 100)), wire.CodeAuthNotFound},
		{"no captureRequestId", `{"paymentId":"` + pid + `","captureAmount":{"currency":"USD","value":"100"}}`, wire.CodeParamIllegal},
		{"no captureAmount", `{"captureRequestId":"CAP_N","paymentId":"` + pid + `"}`, wire.CodeParamIllegal},
		{"isLastCapture not a boolean", `{"captureRequestId":"CAP_B","paymentId":"` + pid + `","captureAmount":{"currency":"USD","value":"1"},"isLastCapture":"maybe"}`, wire.CodeParamIllegal},
	} {
		rep, _ := h.capture(t, c.body)
		wantResult(t, c.what, rep.Result, wire.StatusFail, c.code)
	}
	h.wantUnchanged(t, "a refused capture changed the store", before)

	wantResult(t, "cancel after a capture", h.cancel(t, pid, "").Result, wire.StatusFail, wire.CodeOrderStatusInvalid)
	rep, c2 := h.capture(t, jsonBody(t, captureReq("CAP_2", pid, 600)))
	wantResult(t, "capture of the 600 left", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	rep, _ = h.capture(t, jsonBody(t, captureReq("CAP_3", pid, 1)))
	wantResult(t, "capture of a fully captured authorisation", rep.Result, wire.StatusFail, wire.CodeOrderStatusInvalid)

	h.refundOK(t, "RF_1", pid, 1000)
	p = h.inquire(t, pid, "")
	caps := transactions(p, antomgw.TransactionCapture)
	if len(caps) != 2 || caps[0].TransactionID != c.CaptureID || caps[0].TransactionRequestID != "CAP_1" || caps[0].TransactionStatus != "SUCCESS" ||
		caps[0].TransactionAmount.Value != "400" || caps[1].TransactionID != c2.CaptureID || caps[1].TransactionResult == nil ||
		caps[1].TransactionResult.Code != wire.CodeSuccess {
		t.Errorf("CAPTURE entries = %+v, want CAP_1 (400) and CAP_2 (600), SUCCESS", caps)
	}
	if refunds := transactions(p, antomgw.TransactionRefund); len(refunds) != 1 {
		t.Errorf("REFUND entries = %+v, want one", refunds)
	}
	if p.PaymentStatus != antomgw.PaymentStatusSuccess {
		t.Errorf("paymentStatus after captures and a refund = %s, want SUCCESS", p.PaymentStatus)
	}
}

// TestCaptureFamilies: capture is served on the AMS v1 and sandbox paths,
// not on omnichannel v2 (which has none); isLastCapture is read as a JSON
// boolean (Java) and as a string (Python's example).
func TestCaptureFamilies(t *testing.T) {
	h := newGateway(t)
	pid := h.authorised(t, "AUTH_F", 1000, antomgw.CaptureModeManual)
	rep := h.Do(t, gatewaytest.Request{Path: "/openapi/v2/payments/capture", Body: jsonBody(t, captureReq("CAP_V2", pid, 100))})
	wantResult(t, "capture on omnichannel v2", rep.Result, wire.StatusFail, wire.CodeNoInterfaceDef)
	rep = h.Do(t, gatewaytest.Request{Path: pathCaptureSandbox, Body: jsonBody(t, captureReq("CAP_SB", pid, 100))})
	wantResult(t, "capture on the sandbox path", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	rep, _ = h.capture(t, `{"captureRequestId":"CAP_BOOL","paymentId":"`+pid+`","captureAmount":{"currency":"USD","value":100},"isLastCapture":false}`)
	wantResult(t, "capture with a JSON false and a number value", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	rep, _ = h.capture(t, `{"captureRequestId":"CAP_LAST","paymentId":"`+pid+`","captureAmount":{"currency":"USD","value":"300"},"isLastCapture":"true"}`)
	wantResult(t, `capture with isLastCapture "true"`, rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	rep, _ = h.capture(t, jsonBody(t, captureReq("CAP_AFTER_LAST", pid, 100)))
	wantResult(t, "capture after the last one (500 released)", rep.Result, wire.StatusFail, wire.CodeOrderStatusInvalid)
	if p := h.payment(t, pid); p.Captured != 500 {
		t.Errorf("captured %d, want 500", p.Captured)
	}
}

// TestCaptureVoidAndExpiry: a voided authorisation answers AUTH_CANCELLED,
// an expired one AUTH_EXPIRED; inquiryPayment lists the VOID.
func TestCaptureVoidAndExpiry(t *testing.T) {
	h := newGateway(t)
	voided := h.authorised(t, "AUTH_VOID", 1000, antomgw.CaptureModeManual)
	expired := h.authorised(t, "AUTH_EXP", 1000, antomgw.CaptureModeManual)
	partly := h.authorised(t, "AUTH_PART", 1000, antomgw.CaptureModeManual)
	rep, _ := h.capture(t, jsonBody(t, captureReq("CAP_PART", partly, 250)))
	wantResult(t, "capture 250", rep.Result, wire.StatusSuccess, wire.CodeSuccess)

	wantResult(t, "cancel (void)", h.cancel(t, voided, "").Result, wire.StatusSuccess, wire.CodeSuccess)
	rep, _ = h.capture(t, jsonBody(t, captureReq("CAP_VOID", voided, 100)))
	wantResult(t, "capture of a voided authorisation", rep.Result, wire.StatusFail, wire.CodeAuthCancelled)
	p := h.inquire(t, voided, "")
	if v := transactions(p, antomgw.TransactionVoid); p.PaymentStatus != antomgw.PaymentStatusCancelled || len(v) != 1 || v[0].TransactionAmount.Value != "1000" {
		t.Errorf("voided: %s with VOID entries %+v, want CANCELLED with one VOID of 1000", p.PaymentStatus, v)
	}

	h.Advance(t, authExpiry)
	rep, _ = h.capture(t, jsonBody(t, captureReq("CAP_EXP", expired, 100)))
	wantResult(t, "capture after authExpiryTime", rep.Result, wire.StatusFail, wire.CodeAuthExpired)
	p = h.inquire(t, expired, "")
	if v := transactions(p, antomgw.TransactionVoid); p.PaymentStatus != antomgw.PaymentStatusCancelled || p.PaymentResultCode != wire.CodeAuthExpired ||
		len(v) != 1 || v[0].TransactionTime != p.AuthExpiryTime {
		t.Errorf("expired: %s %s with VOID entries %+v, want CANCELLED AUTH_EXPIRED, one VOID at authExpiryTime %s", p.PaymentStatus, p.PaymentResultCode, v, p.AuthExpiryTime)
	}
	p = h.inquire(t, partly, "")
	if v := transactions(p, antomgw.TransactionVoid); p.PaymentStatus != antomgw.PaymentStatusSuccess || len(v) != 1 || v[0].TransactionAmount.Value != "750" {
		t.Errorf("partly captured, expired: %s with VOID entries %+v, want SUCCESS with one VOID of the 750 released", p.PaymentStatus, v)
	}
	rep, _ = h.capture(t, jsonBody(t, captureReq("CAP_PART_2", partly, 100)))
	wantResult(t, "capture of the released rest", rep.Result, wire.StatusFail, wire.CodeAuthExpired)
}

// TestCaptureAutomatic: an authorisation in AUTOMATIC mode (the default)
// is captured in full by the gateway, listed, and refuses capture calls.
func TestCaptureAutomatic(t *testing.T) {
	h := newGateway(t)
	pid := h.authorised(t, "AUTH_AUTO", 1000, "")
	p := h.inquire(t, pid, "")
	caps := transactions(p, antomgw.TransactionCapture)
	if len(caps) != 1 || caps[0].TransactionStatus != "SUCCESS" || caps[0].TransactionAmount.Value != "1000" ||
		caps[0].TransactionRequestID != "AUTO_"+pid {
		t.Errorf("CAPTURE entries of an AUTOMATIC authorisation = %+v, want the gateway's own capture of 1000", caps)
	}
	rep, _ := h.capture(t, jsonBody(t, captureReq("CAP_AUTO", pid, 100)))
	wantResult(t, "capture of an AUTOMATIC authorisation", rep.Result, wire.StatusFail, wire.CodeOrderStatusInvalid)
	h.refundOK(t, "RF_AUTO", pid, 1000)
}

// TestCaptureSingleCaptureMethod: the simulator's one-capture method
// (authorised amount 9911) refuses a second capture with
// MULTI_CAPTURE_NOT_SUPPORTED, recorded as a failed capture.
func TestCaptureSingleCaptureMethod(t *testing.T) {
	h := newGateway(t)
	pid := h.authorised(t, "AUTH_ONE", sim.AmountSingleCapture, antomgw.CaptureModeManual)
	rep, _ := h.capture(t, jsonBody(t, captureReq("CAP_ONE_1", pid, 1000)))
	wantResult(t, "first capture", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	second := jsonBody(t, captureReq("CAP_ONE_2", pid, 1000))
	rep, c := h.capture(t, second)
	wantResult(t, "second capture", rep.Result, wire.StatusFail, wire.CodeMultiCaptureNotSupport)
	if c.CaptureID == "" || c.CaptureTime != "" {
		t.Errorf("refused capture answer %s, want its captureId and no captureTime", rep.Body)
	}
	again, _ := h.capture(t, second)
	wantResult(t, "second capture again", again.Result, wire.StatusFail, wire.CodeMultiCaptureNotSupport)
	wantReplay(t, "second capture again", again, true)
	caps := transactions(h.inquire(t, pid, ""), antomgw.TransactionCapture)
	if len(caps) != 2 || caps[1].TransactionStatus != "FAIL" || caps[1].TransactionResult == nil ||
		caps[1].TransactionResult.Code != wire.CodeMultiCaptureNotSupport || caps[1].TransactionResult.Status != wire.StatusFail {
		t.Errorf("CAPTURE entries = %+v, want a SUCCESS then a FAIL MULTI_CAPTURE_NOT_SUPPORTED", caps)
	}
}

// TestPayAuthorizationWire: isAuthorization is read as a JSON boolean and
// as a string; an in-store authorisation and a MANUAL capture mode without
// it are PARAM_ILLEGAL naming the field, and create nothing.
func TestPayAuthorizationWire(t *testing.T) {
	h := newGateway(t)
	for name, factor := range map[string]string{"Boolean": `{"isAuthorization":true,"captureMode":"MANUAL"}`, "String": `{"isAuthorization":"true","captureMode":"MANUAL"}`} {
		body := strings.Replace(jsonBody(t, cashierReq("AUTH_WIRE_"+name, 500)), `"paymentMethod"`, `"paymentFactor":`+factor+`,"paymentMethod"`, 1)
		rep := h.Do(t, gatewaytest.Request{Path: pathPay, Body: body})
		wantResult(t, "pay with isAuthorization as a "+name, rep.Result, wire.StatusUnknown, wire.CodePaymentInProcess)
		p := h.payment(t, gatewaytest.Decode[antomgw.PayResponse](t, rep).PaymentID)
		if !p.Authorization || p.CaptureMode != antomgw.CaptureModeManual {
			t.Errorf("%s: payment authorization %v, mode %q; want an authorisation, MANUAL", name, p.Authorization, p.CaptureMode)
		}
	}
	before := h.Snapshot(t)
	inStore := payReq("AUTH_IN_STORE", 500)
	inStore.PaymentFactor.IsAuthorization = true
	rep, _ := h.pay(t, inStore)
	wantResult(t, "in-store authorisation", rep.Result, wire.StatusFail, wire.CodeParamIllegal)
	if !strings.Contains(rep.Result.Message, "paymentFactor.isAuthorization") {
		t.Errorf("message %q does not name paymentFactor.isAuthorization", rep.Result.Message)
	}
	manual := cashierReq("MANUAL_ALONE", 500)
	manual.PaymentFactor = &antomgw.PaymentFactor{CaptureMode: antomgw.CaptureModeManual}
	rep, _ = h.pay(t, manual)
	wantResult(t, "captureMode MANUAL without isAuthorization", rep.Result, wire.StatusFail, wire.CodeParamIllegal)
	if !strings.Contains(rep.Result.Message, "paymentFactor.captureMode") {
		t.Errorf("message %q does not name paymentFactor.captureMode", rep.Result.Message)
	}
	h.wantUnchanged(t, "a refused authorisation changed the store", before)
}

// TestConcurrentIdenticalCaptures sends 20 identical capture requests at
// once: one capture, every answer S, exactly one original answer, and
// replays byte-identical to it.
func TestConcurrentIdenticalCaptures(t *testing.T) {
	h := newGateway(t)
	pid := h.authorised(t, "AUTH_BURST", 1000, antomgw.CaptureModeManual)
	one := h.signed(t, pathCapture, jsonBody(t, captureReq("CAP_BURST", pid, 700)))
	replies := h.burst(t, 20, func(int) gatewaytest.Request { return one })
	var original []byte
	originals := 0
	for i, rep := range replies {
		wantResult(t, "capture copy "+strconv.Itoa(i), rep.Result, wire.StatusSuccess, wire.CodeSuccess)
		if !rep.Replay() {
			originals++
			original = rep.Body
		}
	}
	if originals != 1 {
		t.Fatalf("%d answers are not replays, want exactly 1", originals)
	}
	for i, rep := range replies {
		if !bytes.Equal(rep.Body, original) {
			t.Errorf("answer %d differs from the original:\n%s\nwant\n%s", i, rep.Body, original)
		}
	}
	caps := transactions(h.inquire(t, pid, ""), antomgw.TransactionCapture)
	if p := h.payment(t, pid); len(caps) != 1 || p.Captured != 700 {
		t.Errorf("20 copies made %d captures, captured %d; want one of 700", len(caps), p.Captured)
	}
}
