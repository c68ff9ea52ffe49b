package httpapi_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/antomgw/antomgw/wire"
)

// refundReq is a valid AMS v1 refund request in USD.
func refundReq(id, paymentID string, value int64) *antomgw.RefundRequest {
	return &antomgw.RefundRequest{RefundRequestID: id, PaymentID: paymentID,
		RefundAmount: antomgw.Amount{Currency: "USD", Value: strconv.FormatInt(value, 10)}, RefundReason: "returned"}
}

func (h gw) refund(tb testing.TB, rr *antomgw.RefundRequest) (*gatewaytest.Reply, antomgw.RefundResponse) {
	tb.Helper()
	rep := h.Do(tb, gatewaytest.Request{Path: pathRefund, Body: jsonBody(tb, rr)})
	return rep, gatewaytest.Decode[antomgw.RefundResponse](tb, rep)
}

// refundOK refunds synchronously, requires S, and returns the refundId.
func (h gw) refundOK(tb testing.TB, id, paymentID string, value int64) string {
	tb.Helper()
	rep, rr := h.refund(tb, refundReq(id, paymentID, value))
	wantResult(tb, "refund "+id, rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	if rr.RefundID == "" {
		tb.Fatalf("refund %s: no refundId in %s", id, rep.Body)
	}
	return rr.RefundID
}

func (h gw) inquiryRefundReply(tb testing.TB, refundID, requestID string) *gatewaytest.Reply {
	tb.Helper()
	return h.Do(tb, gatewaytest.Request{Path: pathInquiryRefund, Body: jsonBody(tb, antomgw.InquiryRefundRequest{RefundID: refundID, RefundRequestID: requestID})})
}

func (h gw) inquireRefund(tb testing.TB, refundID, requestID string) antomgw.InquiryRefundResponse {
	tb.Helper()
	return okAnswer[antomgw.InquiryRefundResponse](tb, "inquiryRefund", h.inquiryRefundReply(tb, refundID, requestID))
}

// TestRefund refunds a payment in parts up to its amount, and inquires the
// refunds by refundId and refundRequestId.
func TestRefund(t *testing.T) {
	h := newGateway(t)
	pid := h.paid(t, "REQ_REFUND", 1000)

	rep, first := h.refund(t, refundReq("RF_PART_1", pid, 300))
	wantResult(t, "refund 300", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	wantReplay(t, "refund 300", rep, false)
	if first.RefundID == "" || first.RefundRequestID != "RF_PART_1" || first.PaymentID != pid || first.RefundTime == "" ||
		first.RefundAmount == nil || first.RefundAmount.Value != "300" || first.RefundAmount.Currency != "USD" {
		t.Errorf("refund answer %s, want refundId, RF_PART_1, paymentId %s, USD 300 and refundTime", rep.Body, pid)
	}

	before := h.Snapshot(t)
	rep, _ = h.refund(t, refundReq("RF_TOO_MUCH", pid, 701))
	wantResult(t, "refund 701 of the 700 left", rep.Result, wire.StatusFail, wire.CodeRefundAmountExceed)
	h.wantUnchanged(t, "a refused refund changed the store", before)
	wantResult(t, "inquiry of the refused refund", h.inquiryRefundReply(t, "", "RF_TOO_MUCH").Result, wire.StatusFail, wire.CodeOrderNotExist)

	second := h.refundOK(t, "RF_PART_2", pid, 700)
	rep, _ = h.refund(t, refundReq("RF_NOTHING_LEFT", pid, 1))
	wantResult(t, "refund of a fully refunded payment", rep.Result, wire.StatusFail, wire.CodeRefundAmountExceed)

	for _, c := range []struct{ byID, byReq, wantID, wantReq, value string }{
		{first.RefundID, "", first.RefundID, "RF_PART_1", "300"},
		{"", "RF_PART_2", second, "RF_PART_2", "700"},
		{first.RefundID, "RF_PART_2", first.RefundID, "RF_PART_1", "300"}, // refundId wins
	} {
		ir := h.inquireRefund(t, c.byID, c.byReq)
		if ir.RefundID != c.wantID || ir.RefundRequestID != c.wantReq || ir.RefundStatus != "SUCCESS" || ir.RefundTime == "" ||
			ir.RefundAmount == nil || ir.RefundAmount.Value != c.value {
			t.Errorf("inquiryRefund(%q, %q) = %+v, want %s/%s SUCCESS %s with refundTime", c.byID, c.byReq, ir, c.wantID, c.wantReq, c.value)
		}
	}
	wantResult(t, "unknown refundId", h.inquiryRefundReply(t, "20990101000000000000000000000000", "").Result, wire.StatusFail, wire.CodeOrderNotExist)
	wantResult(t, "unknown refundId wins over a known refundRequestId", h.inquiryRefundReply(t, "20990101000000000000000000000000", "RF_PART_1").Result, wire.StatusFail, wire.CodeOrderNotExist)
	wantResult(t, "no id", h.Do(t, gatewaytest.Request{Path: pathInquiryRefund, Body: `{}`}).Result, wire.StatusFail, wire.CodeParamIllegal)
	if n := h.payment(t, pid).Refunded; n != 1000 {
		t.Errorf("stored refunded sum = %d, want 1000", n)
	}
}

// TestRefundIdempotency: a repeated refundRequestId with the same key
// fields is the same refund (replayed byte for byte); with another amount or
// payment it is refused and changes nothing.
func TestRefundIdempotency(t *testing.T) {
	h := newGateway(t)
	pid := h.paid(t, "REQ_REFUND_IDEM", 1000)
	other := h.paid(t, "REQ_REFUND_IDEM_OTHER", 1000)
	first := h.Do(t, gatewaytest.Request{Path: pathRefund, Body: jsonBody(t, refundReq("RF_IDEM", pid, 100))})
	wantResult(t, "refund", first.Result, wire.StatusSuccess, wire.CodeSuccess)
	before := h.Snapshot(t)

	again := h.Do(t, gatewaytest.Request{Path: pathRefund, Body: jsonBody(t, refundReq("RF_IDEM", pid, 100))})
	wantResult(t, "same refund again", again.Result, wire.StatusSuccess, wire.CodeSuccess)
	wantReplay(t, "same refund again", again, true)
	if string(again.Body) != string(first.Body) {
		t.Errorf("replayed body differs:\ngot  %s\nwant %s", again.Body, first.Body)
	}

	otherAmount := refundReq("RF_IDEM", pid, 200)
	otherPayment := refundReq("RF_IDEM", other, 100)
	otherCurrency := refundReq("RF_IDEM", pid, 100)
	otherCurrency.RefundAmount.Currency = "EUR"
	for name, rr := range map[string]*antomgw.RefundRequest{"amount": otherAmount, "paymentId": otherPayment, "currency": otherCurrency} {
		rep, _ := h.refund(t, rr)
		wantResult(t, "refundRequestId reused with another "+name, rep.Result, wire.StatusFail, wire.CodeRepeatReqInconsistent)
		if !strings.Contains(rep.Result.Message, "RF_IDEM") {
			t.Errorf("message %q does not name the refundRequestId", rep.Result.Message)
		}
	}
	h.wantUnchanged(t, "duplicates changed the store", before)
	if ip := h.inquire(t, pid, ""); len(ip.Transactions) != 1 {
		t.Errorf("transactions = %+v, want one refund", ip.Transactions)
	}
}

// TestRefundRefused: refunds of payments that are not SUCCESS, or unknown,
// are refused and not recorded, so their refundRequestIds stay free.
func TestRefundRefused(t *testing.T) {
	h := newGateway(t) // the clock stands still: 9903 stays PROCESSING
	_, processing := h.pay(t, payReq("REQ_RF_PROCESSING", sim.AmountLater))
	failed, _ := h.pay(t, payReq("REQ_RF_FAILED", sim.AmountRisk))
	wantResult(t, "pay 9907", failed.Result, wire.StatusFail, wire.CodeRiskReject)
	failedID := h.inquire(t, "", "REQ_RF_FAILED").PaymentID
	good := h.paid(t, "REQ_RF_GOOD", 100)

	cases := []struct {
		name, paymentID, code string
	}{
		{"Processing", processing.PaymentID, wire.CodeOrderStatusInvalid},
		{"Failed", failedID, wire.CodeOrderStatusInvalid},
		{"Unknown", "20990101000000000000000000000000", wire.CodeOrderNotExist},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := "RF_REFUSED_" + c.name
			before := h.Snapshot(t)
			rep, _ := h.refund(t, refundReq(id, c.paymentID, 50))
			wantResult(t, "refund", rep.Result, wire.StatusFail, c.code)
			h.wantUnchanged(t, "a refused refund changed the store", before)
			// The refundRequestId was not taken.
			h.refundOK(t, id, good, 1)
		})
	}
}

// TestRefundValidationNotRecorded: an illegal refund names the field and
// records nothing; the corrected retry with the same refundRequestId works.
func TestRefundValidationNotRecorded(t *testing.T) {
	h := newGateway(t)
	pid := h.paid(t, "REQ_RF_VALIDATION", 1000)
	cases := []struct {
		name  string
		spoil func(*antomgw.RefundRequest)
		field string
	}{
		{"LowerCaseCurrency", func(r *antomgw.RefundRequest) { r.RefundAmount.Currency = "usd" }, "refundAmount.currency"},
		{"OtherCurrency", func(r *antomgw.RefundRequest) { r.RefundAmount.Currency = "EUR" }, "refundAmount.currency"},
		{"ZeroAmount", func(r *antomgw.RefundRequest) { r.RefundAmount.Value = "0" }, "refundAmount.value"},
		{"NoAmount", func(r *antomgw.RefundRequest) { r.RefundAmount.Value = "" }, "refundAmount.value"},
		{"NoPaymentID", func(r *antomgw.RefundRequest) { r.PaymentID = "" }, "paymentId"},
		{"LongReason", func(r *antomgw.RefundRequest) { r.RefundReason = strings.Repeat("x", 257) }, "refundReason"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := "RF_VALIDATION_" + c.name
			bad := refundReq(id, pid, 10)
			c.spoil(bad)
			before := h.Snapshot(t)
			rep, _ := h.refund(t, bad)
			wantResult(t, "illegal refund", rep.Result, wire.StatusFail, wire.CodeParamIllegal)
			if !strings.Contains(rep.Result.Message, c.field) {
				t.Errorf("message %q does not name %q", rep.Result.Message, c.field)
			}
			h.wantUnchanged(t, "a refused refund changed the store", before)
			h.refundOK(t, id, pid, 10)
		})
	}
}

// TestRefundWindow: a payment can be refunded up to RefundWindow after it
// was paid, not a millisecond later.
func TestRefundWindow(t *testing.T) {
	h := newGateway(t, gatewaytest.WithRefundWindow(time.Hour))
	pid := h.paid(t, "REQ_RF_WINDOW", 1000)
	h.Clock().Advance(time.Hour)
	h.refundOK(t, "RF_WINDOW_END", pid, 100)
	h.Clock().Advance(time.Millisecond)
	before := h.Snapshot(t)
	rep, _ := h.refund(t, refundReq("RF_WINDOW_PAST", pid, 100))
	wantResult(t, "refund after the window", rep.Result, wire.StatusFail, wire.CodeRefundWindowExceed)
	h.wantUnchanged(t, "a refused refund changed the store", before)
	// A replay of the refund made inside the window is still answered.
	rep, _ = h.refund(t, refundReq("RF_WINDOW_END", pid, 100))
	wantResult(t, "replay after the window", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
	wantReplay(t, "replay after the window", rep, true)
}

// TestRefundAsyncInFlight: isAsyncRefund answers U with the refund
// PROCESSING; its amount is already reserved.
func TestRefundAsyncInFlight(t *testing.T) {
	h := newGateway(t) // the clock stands still: the async refund stays PROCESSING
	pid := h.paid(t, "REQ_RF_ASYNC_INFLIGHT", 1000)
	body := `{"refundRequestId":"RF_ASYNC_INFLIGHT","paymentId":"` + pid + `","refundAmount":{"currency":"USD","value":"1000"},"isAsyncRefund":"true"}`
	rep := h.Do(t, gatewaytest.Request{Path: pathRefund, Body: body})
	if rep.Result.Status != wire.StatusUnknown {
		t.Fatalf("async refund: result = %v, want U", rep.Result)
	}
	wantReplay(t, "async refund", rep, false)
	rr := gatewaytest.Decode[antomgw.RefundResponse](t, rep)
	if rr.RefundID == "" || rr.RefundTime != "" {
		t.Errorf("async refund answer %s, want a refundId and no refundTime", rep.Body)
	}
	ir := h.inquireRefund(t, rr.RefundID, "")
	if ir.RefundStatus != "PROCESSING" || ir.RefundTime != "" {
		t.Errorf("inquiryRefund = %s time %q, want PROCESSING without refundTime", ir.RefundStatus, ir.RefundTime)
	}
	again := h.Do(t, gatewaytest.Request{Path: pathRefund, Body: body})
	if again.Result.Status != wire.StatusUnknown {
		t.Errorf("async refund repeated in flight: result = %v, want U", again.Result)
	}
	wantReplay(t, "async refund repeated in flight", again, false)
	if got := gatewaytest.Decode[antomgw.RefundResponse](t, again); got.RefundID != rr.RefundID {
		t.Errorf("repeat refundId = %q, want %q", got.RefundID, rr.RefundID)
	}
	if n := len(h.refunds(t)); n != 1 {
		t.Errorf("refunds = %d, want 1", n)
	}
	rep2, _ := h.refund(t, refundReq("RF_ASYNC_MORE", pid, 1))
	wantResult(t, "refund while the whole amount is being refunded", rep2.Result, wire.StatusFail, wire.CodeRefundAmountExceed)
	wantResult(t, "cancel while a refund is in flight", h.cancel(t, pid, "").Result, wire.StatusFail, wire.CodeOrderStatusInvalid)
	if ip := h.inquire(t, pid, ""); len(ip.Transactions) != 1 || ip.Transactions[0].TransactionStatus != "PROCESSING" {
		t.Errorf("transactions = %+v, want one PROCESSING refund", ip.Transactions)
	}
}

// TestRefundAsyncSettles: an async refund becomes SUCCESS after the
// wallet's delay; a repeat then replays the final answer.
func TestRefundAsyncSettles(t *testing.T) {
	const delay = time.Minute
	h := newGateway(t, gatewaytest.WithSimDelay(delay))
	pid := h.paid(t, "REQ_RF_ASYNC", 1000)
	for _, flag := range []string{`"true"`, `true`} {
		id := "RF_ASYNC_" + strings.Trim(flag, `"`) + "_" + strconv.Itoa(len(flag))
		body := `{"refundRequestId":"` + id + `","paymentId":"` + pid + `","refundAmount":{"currency":"USD","value":"100"},"isAsyncRefund":` + flag + `}`
		rep := h.Do(t, gatewaytest.Request{Path: pathRefund, Body: body})
		if rep.Result.Status != wire.StatusUnknown {
			t.Fatalf("isAsyncRefund %s: result = %v, want U", flag, rep.Result)
		}
		rr := gatewaytest.Decode[antomgw.RefundResponse](t, rep)
		h.Advance(t, delay-time.Millisecond)
		if ir := h.inquireRefund(t, "", id); ir.RefundStatus != "PROCESSING" {
			t.Fatalf("isAsyncRefund %s, a millisecond before the wallet's delay: %s, want PROCESSING", flag, ir.RefundStatus)
		}
		h.Advance(t, time.Millisecond)
		ir := h.inquireRefund(t, "", id)
		if ir.RefundStatus != "SUCCESS" || ir.RefundTime == "" || ir.RefundID != rr.RefundID {
			t.Fatalf("isAsyncRefund %s later: %+v, want SUCCESS %s with refundTime", flag, ir, rr.RefundID)
		}
		again := h.Do(t, gatewaytest.Request{Path: pathRefund, Body: body})
		wantResult(t, "async refund repeated after it settled", again.Result, wire.StatusSuccess, wire.CodeSuccess)
		wantReplay(t, "async refund repeated after it settled", again, true)
		if got := gatewaytest.Decode[antomgw.RefundResponse](t, again); got.RefundID != rr.RefundID || got.RefundTime == "" {
			t.Errorf("repeat = %s, want refundId %s with refundTime", again.Body, rr.RefundID)
		}
	}
	if n := h.payment(t, pid).Refunded; n != 200 {
		t.Errorf("stored refunded sum = %d, want 200", n)
	}
}
