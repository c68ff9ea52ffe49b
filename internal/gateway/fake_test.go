package gateway_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/sqlite"
)

// This file holds what the domain-rule tests share: a clock the tests move
// by hand, a fake wallet, and a Service over a real SQLite store. The tests
// never sleep: they step the clock and call Service.RunJobs.

// t0 is when every test's clock starts.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// The Service's defaults, which these tests rely on.
const (
	cancelWindow  = 24 * time.Hour
	refundWindow  = 365 * 24 * time.Hour
	paymentExpiry = 14 * time.Minute
)

const (
	client    = "client-a"
	notifyURL = "https://merchant.example/antom/notify"
)

// Amounts the fake wallet treats specially; any other amount is paid at
// once.
const (
	// amountLater is answered PROCESSING and paid (a settle job) a minute
	// later.
	amountLater = 9999
	// amountPending is answered PROCESSING and never completed: it stays
	// so until it expires.
	amountPending = 7777
)

// clock is a time the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeProcessor is a wallet that admits everything, decides by amount (see
// amountLater, amountPending) and refunds everything at once. With instant
// set it is a gateway.InstantProcessor, like the simulated wallet: Pay
// creates and decides a payment in one transaction; without, Pay takes the
// path of a wallet that is called out to (commit, call, record).
type fakeProcessor struct {
	clock      *clock
	instant    bool
	authorized atomic.Int64 // Authorize calls
	captures   atomic.Int64 // Capture calls
	// capture, when set, decides captures; nil takes every capture.
	capture func(p *gateway.Payment, c *gateway.Capture) (gateway.CaptureDecision, error)
}

func (f *fakeProcessor) Admit(context.Context, *gateway.Payment) (bool, error) { return true, nil }

func (f *fakeProcessor) Authorize(_ context.Context, p *gateway.Payment) (gateway.Decision, error) {
	f.authorized.Add(1)
	switch p.Amount.Value {
	case amountLater:
		return gateway.Decision{Status: gateway.PaymentProcessing, Code: gateway.CodePaymentInProcess,
			Later: &gateway.Later{At: f.clock.Now().Add(time.Minute), Status: gateway.PaymentSuccess}}, nil
	case amountPending:
		return gateway.Decision{Status: gateway.PaymentProcessing, Code: gateway.CodePaymentInProcess}, nil
	}
	return gateway.Decision{Status: gateway.PaymentSuccess}, nil
}

func (f *fakeProcessor) Refund(context.Context, *gateway.Payment, *gateway.Refund) (gateway.RefundDecision, error) {
	return gateway.RefundDecision{Status: gateway.RefundSuccess}, nil
}

func (f *fakeProcessor) Instant() bool { return f.instant }

func (f *fakeProcessor) Capture(_ context.Context, p *gateway.Payment, c *gateway.Capture) (gateway.CaptureDecision, error) {
	f.captures.Add(1)
	if f.capture != nil {
		return f.capture(p, c)
	}
	return gateway.CaptureDecision{Status: gateway.CaptureSuccess}, nil
}

// env is a Service on a fresh SQLite file, with its clock and wallet.
type env struct {
	svc   *gateway.Service
	store *sqlite.Store
	clock *clock
	proc  *fakeProcessor
}

func newEnv(tb testing.TB, instant bool) *env {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "t.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	c := &clock{now: t0}
	proc := &fakeProcessor{clock: c, instant: instant}
	svc := &gateway.Service{Store: st, Processor: proc, Now: c.Now, NotificationBody: notificationBody,
		CaptureNotificationBody: captureBody}
	return &env{svc: svc, store: st, clock: c, proc: proc}
}

// eachProcessor runs test with an instant wallet and with one that is
// called out to: the domain rules hold on both paths.
func eachProcessor(t *testing.T, test func(t *testing.T, e *env)) {
	t.Run("Instant", func(t *testing.T) { test(t, newEnv(t, true)) })
	t.Run("CallOut", func(t *testing.T) { test(t, newEnv(t, false)) })
}

func notificationBody(kind gateway.NotificationKind, p *gateway.Payment, r *gateway.Refund) ([]byte, error) {
	if r != nil {
		return fmt.Appendf(nil, `{"kind":%q,"paymentId":%q,"refundId":%q,"refundStatus":%q}`, kind, p.ID, r.ID, r.Status), nil
	}
	return fmt.Appendf(nil, `{"kind":%q,"paymentId":%q,"paymentStatus":%q}`, kind, p.ID, p.Status), nil
}

func captureBody(p *gateway.Payment, c *gateway.Capture) ([]byte, error) {
	return fmt.Appendf(nil, `{"kind":"notifyCapture","paymentId":%q,"captureId":%q,"captureStatus":%q,"code":%q}`,
		p.ID, c.ID, c.Status, c.ResultCode), nil
}

func payInput(requestID string, value int64) gateway.PayInput {
	return gateway.PayInput{ClientID: client, RequestID: requestID,
		ProductCode: gateway.ProductInStore, Scenario: gateway.ScenarioPaymentCode,
		Amount: gateway.Money{Value: value, Currency: "USD"}, MethodType: "CONNECT_WALLET", MethodID: "28100000000000000001",
		NotifyURL: notifyURL}
}

// pay pays value USD under requestID and fails the test on an error.
func (e *env) pay(tb testing.TB, requestID string, value int64) *gateway.PayResult {
	tb.Helper()
	res, err := e.svc.Pay(context.Background(), payInput(requestID, value))
	if err != nil {
		tb.Fatalf("Pay(%s, %d): %v", requestID, value, err)
	}
	return res
}

func (e *env) refund(requestID, paymentID string, value int64) (*gateway.RefundResult, error) {
	return e.svc.Refund(context.Background(), gateway.RefundInput{ClientID: client, RequestID: requestID,
		PaymentID: paymentID, Amount: gateway.Money{Value: value, Currency: "USD"}})
}

// show returns a payment with its refunds and notifications.
func (e *env) show(tb testing.TB, paymentID string) *gateway.PaymentDetail {
	tb.Helper()
	d, err := e.svc.ShowPayment(context.Background(), gateway.PaymentRef{PaymentID: paymentID})
	if err != nil {
		tb.Fatalf("ShowPayment(%s): %v", paymentID, err)
	}
	return d
}

// runJobs runs the jobs due by the clock and returns how many were done.
func (e *env) runJobs(tb testing.TB) int {
	tb.Helper()
	n, err := e.svc.RunJobs(context.Background(), 100)
	if err != nil {
		tb.Fatalf("RunJobs at t0+%s: %v", e.clock.Now().Sub(t0), err)
	}
	return n
}

// paymentNotifications returns the notifyPayment notifications of d.
func paymentNotifications(d *gateway.PaymentDetail) []gateway.Notification {
	var out []gateway.Notification
	for _, n := range d.Notifications {
		if n.Notification.Kind == gateway.NotifyPayment {
			out = append(out, n.Notification)
		}
	}
	return out
}

// wantKind fails the test unless err is a gateway error of kind k.
func wantKind(tb testing.TB, what string, err error, k gateway.Kind) {
	tb.Helper()
	if got := gateway.KindOf(err); err == nil || got != k {
		tb.Errorf("%s: error %v (kind %v), want kind %v", what, err, got, k)
	}
}

// atOnce calls fn(0) … fn(n-1), each on its own goroutine, released
// together, and returns their results and errors by i.
func atOnce[T any](n int, fn func(i int) (T, error)) ([]T, []error) {
	results, errs := make([]T, n), make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			results[i], errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return results, errs
}
