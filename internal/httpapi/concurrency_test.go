package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/antomgw/antomgw/wire"
)

// countingProcessor counts the wallet's executions.
type countingProcessor struct {
	gateway.Processor
	admits, authorizes, refunds atomic.Int64
}

func (c *countingProcessor) Admit(ctx context.Context, p *gateway.Payment) (bool, error) {
	c.admits.Add(1)
	return c.Processor.Admit(ctx, p)
}

func (c *countingProcessor) Authorize(ctx context.Context, p *gateway.Payment) (gateway.Decision, error) {
	c.authorizes.Add(1)
	return c.Processor.Authorize(ctx, p)
}

func (c *countingProcessor) Refund(ctx context.Context, p *gateway.Payment, r *gateway.Refund) (gateway.RefundDecision, error) {
	c.refunds.Add(1)
	return c.Processor.Refund(ctx, p, r)
}

func withCounting(c *countingProcessor) gatewaytest.Option {
	return gatewaytest.WithProcessor(func(p gateway.Processor) gateway.Processor {
		c.Processor = p
		return c
	})
}

// loadClient is an HTTP client that keeps enough idle connections for a
// burst of requests to one host.
func loadClient(tb testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConns: 200, MaxIdleConnsPerHost: 100, IdleConnTimeout: 30 * time.Second}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// burst sends n requests at once (each goroutine waits at one starting
// line) and returns the verified answers in request order.
func (h gw) burst(tb testing.TB, n int, build func(i int) gatewaytest.Request) []*gatewaytest.Reply {
	tb.Helper()
	client := loadClient(tb)
	reqs := make([]gatewaytest.Request, n)
	for i := range reqs {
		reqs[i] = build(i)
		reqs[i].Client = client
	}
	replies := make([]*gatewaytest.Reply, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			replies[i], errs[i] = h.Try(reqs[i])
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			tb.Errorf("request %d: %v", i, err)
		}
	}
	if tb.Failed() {
		tb.FailNow()
	}
	return replies
}

// signed returns a fixed Request-Time and Signature header for body on
// path, so that many copies of one request are byte-identical.
func (h gw) signed(tb testing.TB, path, body string) gatewaytest.Request {
	tb.Helper()
	reqTime := h.RequestTime()
	hdr, err := h.Sign(wire.SigningContent(http.MethodPost, path, h.ClientID(), reqTime, []byte(body)))
	if err != nil {
		tb.Fatal(err)
	}
	return gatewaytest.Request{Path: path, Body: body, Time: &reqTime, Signature: &hdr}
}

// TestConcurrentIdenticalPays sends 500 identical pay requests at once: one
// payment, one wallet execution, every answer S or U PAYMENT_IN_PROCESS with
// the same paymentId, exactly one original answer, and replays that are
// byte-identical to it.
func TestConcurrentIdenticalPays(t *testing.T) {
	var cp countingProcessor
	h := newGateway(t, withCounting(&cp))
	const id = "REQ_CONCURRENT_PAY"
	one := h.signed(t, pathPay, payBody(id, 100))
	replies := h.burst(t, 500, func(int) gatewaytest.Request { return one })

	if n := len(h.payments(t)); n != 1 {
		t.Errorf("payments = %d, want 1", n)
	}
	if n := cp.authorizes.Load(); n != 1 {
		t.Errorf("wallet executions (Authorize) = %d, want 1", n)
	}
	var paymentID string
	var successBody []byte
	originals, inProcess, successes := 0, 0, 0
	for i, rep := range replies {
		pr := gatewaytest.Decode[antomgw.PayResponse](t, rep)
		switch {
		case rep.Result.Status == wire.StatusSuccess && rep.Result.Code == wire.CodeSuccess:
			successes++
			if successBody == nil {
				successBody = rep.Body
			} else if string(rep.Body) != string(successBody) {
				t.Errorf("answer %d differs from another S answer:\ngot  %s\nwant %s", i, rep.Body, successBody)
			}
		case rep.Result.Status == wire.StatusUnknown && rep.Result.Code == wire.CodePaymentInProcess:
			inProcess++
			if rep.Header.Get("x-idempotent-replay") != "" {
				t.Errorf("answer %d is U PAYMENT_IN_PROCESS marked as a replay", i)
			}
		default:
			t.Errorf("answer %d: result = %v, want S SUCCESS or U PAYMENT_IN_PROCESS", i, rep.Result)
			continue
		}
		if rep.Header.Get("x-idempotent-replay") == "" && rep.Result.Status == wire.StatusSuccess {
			originals++
		}
		if pr.PaymentID == "" {
			t.Errorf("answer %d has no paymentId: %s", i, rep.Body)
		} else if paymentID == "" {
			paymentID = pr.PaymentID
		} else if pr.PaymentID != paymentID {
			t.Errorf("answer %d paymentId = %s, want %s", i, pr.PaymentID, paymentID)
		}
	}
	if originals != 1 {
		t.Errorf("%d S answers are not marked as replays, want exactly 1 (the execution's own)", originals)
	}
	t.Logf("%d S answers (%d replays), %d U PAYMENT_IN_PROCESS", successes, successes-originals, inProcess)

	// Replays after completion: byte-identical, marked, and equal to the S
	// answers of the burst.
	a := h.Do(t, one)
	b := h.Do(t, one)
	for _, rep := range []*gatewaytest.Reply{a, b} {
		wantResult(t, "replay", rep.Result, wire.StatusSuccess, wire.CodeSuccess)
		wantReplay(t, "replay", rep, true)
	}
	if string(a.Body) != string(b.Body) {
		t.Errorf("two replays differ:\n%s\n%s", a.Body, b.Body)
	}
	if successBody != nil && string(a.Body) != string(successBody) {
		t.Errorf("replay differs from the burst's S answer:\ngot  %s\nwant %s", a.Body, successBody)
	}
	if n := cp.authorizes.Load(); n != 1 {
		t.Errorf("wallet executions after the replays = %d, want 1", n)
	}
}

// TestConcurrentRefundsNeverExceed sends 100 partial refunds of 30 at once
// against a payment of 1000: exactly 33 succeed, the rest are
// REFUND_AMOUNT_EXCEED, and the refunded sum never passes the payment.
func TestConcurrentRefundsNeverExceed(t *testing.T) {
	h := newGateway(t)
	pid := h.paid(t, "REQ_CONCURRENT_REFUND", 1000)
	replies := h.burst(t, 100, func(i int) gatewaytest.Request {
		return gatewaytest.Request{Path: pathRefund, Body: jsonBody(t, refundReq("RF_CONCURRENT_"+strconv.Itoa(i), pid, 30))}
	})
	succeeded := map[string]string{} // refundRequestId -> refundId
	var sum int64
	exceeded := 0
	for i, rep := range replies {
		id := "RF_CONCURRENT_" + strconv.Itoa(i)
		switch rep.Result.Code {
		case wire.CodeSuccess:
			rr := gatewaytest.Decode[antomgw.RefundResponse](t, rep)
			if rr.RefundID == "" || rr.RefundRequestID != id {
				t.Errorf("refund %d answer %s, want a refundId for %s", i, rep.Body, id)
			}
			succeeded[id] = rr.RefundID
			sum += 30
		case wire.CodeRefundAmountExceed:
			if rep.Result.Status != wire.StatusFail {
				t.Errorf("refund %d: %v, want F", i, rep.Result)
			}
			exceeded++
		default:
			t.Errorf("refund %d: result = %v, want S SUCCESS or F REFUND_AMOUNT_EXCEED", i, rep.Result)
		}
	}
	if len(succeeded) != 1000/30 || exceeded != 100-1000/30 {
		t.Errorf("%d refunds succeeded and %d exceeded, want %d and %d", len(succeeded), exceeded, 1000/30, 100-1000/30)
	}
	if sum > 1000 {
		t.Errorf("refunded %d of a payment of 1000", sum)
	}
	for id, refundID := range succeeded {
		ir := h.inquireRefund(t, "", id)
		if ir.RefundID != refundID || ir.RefundStatus != "SUCCESS" || ir.RefundAmount == nil || ir.RefundAmount.Value != "30" {
			t.Errorf("inquiryRefund %s = %+v, want %s SUCCESS 30", id, ir, refundID)
		}
	}
	ip := h.inquire(t, pid, "")
	var listed int64
	for _, tx := range ip.Transactions {
		if tx.TransactionType == "REFUND" && tx.TransactionStatus == "SUCCESS" {
			v, _ := strconv.ParseInt(tx.TransactionAmount.Value, 10, 64)
			listed += v
		}
	}
	if listed != sum || len(ip.Transactions) != len(succeeded) {
		t.Errorf("inquiryPayment lists %d refunds summing %d, want %d summing %d", len(ip.Transactions), listed, len(succeeded), sum)
	}
	if n := h.payment(t, pid).Refunded; n != sum {
		t.Errorf("stored refunded sum = %d, want %d", n, sum)
	}
	if n := len(h.refunds(t)); n != len(succeeded) {
		t.Errorf("refund rows = %d, want %d (refused refunds are not recorded)", n, len(succeeded))
	}
	// What is left can still be refunded, and not a unit more.
	left := 1000 - sum
	h.refundOK(t, "RF_CONCURRENT_REST", pid, left)
	rep, _ := h.refund(t, refundReq("RF_CONCURRENT_ONE_MORE", pid, 1))
	wantResult(t, "refund past the total", rep.Result, wire.StatusFail, wire.CodeRefundAmountExceed)
}

// TestConcurrentIdenticalRefunds: a merchant retrying one full refund many
// times at once gets the same refund every time, never REFUND_AMOUNT_EXCEED
// from its own first attempt.
func TestConcurrentIdenticalRefunds(t *testing.T) {
	var cp countingProcessor
	h := newGateway(t, withCounting(&cp))
	pid := h.paid(t, "REQ_CONCURRENT_SAME_REFUND", 1000)
	one := h.signed(t, pathRefund, jsonBody(t, refundReq("RF_SAME", pid, 1000)))
	replies := h.burst(t, 50, func(int) gatewaytest.Request { return one })
	var refundID string
	for i, rep := range replies {
		if rep.Result.Status != wire.StatusSuccess {
			t.Errorf("answer %d: result = %v, want S SUCCESS", i, rep.Result)
			continue
		}
		rr := gatewaytest.Decode[antomgw.RefundResponse](t, rep)
		if refundID == "" {
			refundID = rr.RefundID
		} else if rr.RefundID != refundID {
			t.Errorf("answer %d refundId = %s, want %s", i, rr.RefundID, refundID)
		}
	}
	if n := len(h.refunds(t)); n != 1 {
		t.Errorf("refund rows = %d, want 1", n)
	}
	if n := cp.refunds.Load(); n != 1 {
		t.Errorf("wallet refund executions = %d, want 1", n)
	}
}

// TestConcurrentCancelAndRefunds races a cancel against refunds of the same
// SUCCESS payment: the cancel and a refund never both succeed.
func TestConcurrentCancelAndRefunds(t *testing.T) {
	h := newGateway(t)
	pid := h.paid(t, "REQ_CANCEL_VS_REFUND", 1000)
	replies := h.burst(t, 21, func(i int) gatewaytest.Request {
		if i == 10 {
			return gatewaytest.Request{Path: pathCancel, Body: `{"paymentId":"` + pid + `"}`}
		}
		return gatewaytest.Request{Path: pathRefund, Body: jsonBody(t, refundReq("RF_VS_CANCEL_"+strconv.Itoa(i), pid, 10))}
	})
	cancelled := replies[10].Result.Code == wire.CodeSuccess
	refunded := 0
	for i, rep := range replies {
		if i == 10 {
			if !cancelled {
				wantResult(t, "cancel", rep.Result, wire.StatusFail, wire.CodeOrderStatusInvalid)
			}
			continue
		}
		switch rep.Result.Code {
		case wire.CodeSuccess:
			refunded++
		case wire.CodeOrderStatusInvalid:
		default:
			t.Errorf("refund %d: %v, want S or F ORDER_STATUS_INVALID", i, rep.Result)
		}
	}
	if cancelled && refunded > 0 {
		t.Errorf("the cancel succeeded and %d refunds too", refunded)
	}
	ip := h.inquire(t, pid, "")
	if cancelled != (ip.PaymentStatus == "CANCELLED") {
		t.Errorf("cancel answered %v, payment is %s", replies[10].Result, ip.PaymentStatus)
	}
	if n := h.payment(t, pid).Refunded; n != int64(refunded*10) {
		t.Errorf("stored refunded sum = %d, want %d", n, refunded*10)
	}
	t.Logf("cancel %v, %d refunds succeeded", replies[10].Result, refunded)
}

// TestConcurrentTrafficLimit: many first attempts of one 9910 request id at
// once: exactly one is told REQUEST_TRAFFIC_EXCEED_LIMIT, one payment is
// made.
func TestConcurrentTrafficLimit(t *testing.T) {
	var cp countingProcessor
	h := newGateway(t, withCounting(&cp))
	one := h.signed(t, pathPay, payBody("REQ_CONCURRENT_9910", sim.AmountTrafficLimit))
	replies := h.burst(t, 50, func(int) gatewaytest.Request { return one })
	limited := 0
	for i, rep := range replies {
		switch {
		case rep.Result.Code == wire.CodeRequestTrafficExceed && rep.Result.Status == wire.StatusUnknown:
			limited++
		case rep.Result.Code == wire.CodeSuccess, rep.Result.Code == wire.CodePaymentInProcess:
		default:
			t.Errorf("answer %d: %v", i, rep.Result)
		}
	}
	if limited != 1 {
		t.Errorf("%d answers were REQUEST_TRAFFIC_EXCEED_LIMIT, want 1", limited)
	}
	if n := len(h.payments(t)); n != 1 {
		t.Errorf("payments = %d, want 1", n)
	}
	if n := cp.authorizes.Load(); n != 1 {
		t.Errorf("wallet executions = %d, want 1", n)
	}
}

// TestConcurrentMismatchedPays: two versions of one paymentRequestId sent at
// once: one payment is made with one of them, every request of the other
// version is REPEAT_REQ_INCONSISTENT.
func TestConcurrentMismatchedPays(t *testing.T) {
	h := newGateway(t)
	const id = "REQ_CONCURRENT_MISMATCH"
	versions := []gatewaytest.Request{h.signed(t, pathPay, payBody(id, 100)), h.signed(t, pathPay, payBody(id, 200))}
	replies := h.burst(t, 60, func(i int) gatewaytest.Request { return versions[i%2] })
	ip := h.inquire(t, "", id)
	winner := 0
	if ip.PaymentAmount.Value == "200" {
		winner = 1
	}
	for i, rep := range replies {
		if i%2 == winner {
			if rep.Result.Code != wire.CodeSuccess && rep.Result.Code != wire.CodePaymentInProcess {
				t.Errorf("answer %d (the version that was recorded): %v, want S or U PAYMENT_IN_PROCESS", i, rep.Result)
			}
		} else {
			wantResult(t, "answer "+strconv.Itoa(i)+" (the other version)", rep.Result, wire.StatusFail, wire.CodeRepeatReqInconsistent)
		}
	}
	if n := len(h.payments(t)); n != 1 {
		t.Errorf("payments = %d, want 1", n)
	}
}
