package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/console"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
)

// fakeAdvance moves the gateway's clock and says it ran 2 transitions and
// 1 notification attempt.
type fakeAdvance struct {
	mu    sync.Mutex
	moves []time.Duration
	clock *gateway.Clock
}

func (f *fakeAdvance) advance(_ context.Context, d time.Duration) (gateway.Advanced, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.moves = append(f.moves, d)
	from := f.clock.Now()
	return gateway.Advanced{From: from, To: f.clock.Advance(d), Jobs: 2, Attempts: 1}, nil
}

func (f *fakeAdvance) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.moves)
}

// TestClockAPI: the JSON API for antomgw clock advance, on a test clock
// and on the real clock.
func TestClockAPI(t *testing.T) {
	f := &fakeAdvance{}
	h := newHarnessWith(t, func(g *gatewaytest.Gateway, c *console.Console) {
		f.clock = g.Clock()
		c.Advance = f.advance
	})
	start := h.g.Now()

	var clock struct {
		Now       string `json:"now"`
		TestClock bool   `json:"testClock"`
	}
	r := h.get("/console/api/clock")
	if err := json.Unmarshal([]byte(r.Body), &clock); err != nil || r.Status != 200 || !clock.TestClock || clock.Now != start.Format(time.RFC3339Nano) {
		t.Fatalf("GET /console/api/clock: %d %s (%v), want now %s on a test clock", r.Status, r.Body, err, start.Format(time.RFC3339Nano))
	}

	for _, req := range []func() *resp{
		func() *resp { return h.post("/console/api/clock/advance", url.Values{"by": {"15m"}}) },
		func() *resp { return h.request(http.MethodPost, "/console/api/clock/advance?by=15m", nil, nil) },
	} {
		r := req()
		var a struct {
			From, To       string
			Jobs, Attempts int
		}
		if err := json.Unmarshal([]byte(r.Body), &a); err != nil || r.Status != 200 {
			t.Fatalf("advance: %d %s (%v)", r.Status, r.Body, err)
		}
		from, _ := time.Parse(time.RFC3339Nano, a.From)
		to, _ := time.Parse(time.RFC3339Nano, a.To)
		if to.Sub(from) != 15*time.Minute || a.Jobs != 2 || a.Attempts != 1 {
			t.Errorf("advance answered %s, want 15m, 2 jobs, 1 attempt", r.Body)
		}
	}
	for _, by := range []string{"", "soon", "-1m", "0s"} {
		r := h.post("/console/api/clock/advance", url.Values{"by": {by}})
		if r.Status != http.StatusBadRequest || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("by=%q: status %d (%s), want 400 JSON", by, r.Status, r.Body)
		}
	}
	if n := f.count(); n != 2 {
		t.Errorf("Advance called %d times, want 2", n)
	}

	h = h.sibling(func(c *console.Console) { c.Advance = nil })
	r = h.post("/console/api/clock/advance", url.Values{"by": {"1m"}})
	if r.Status != http.StatusConflict || r.Body != `{"error":"the gateway runs on the real clock; start it with antomgw serve --test-clock"}`+"\n" {
		t.Errorf("on the real clock: %d %s, want 409 and the error", r.Status, r.Body)
	}
	r = h.get("/console/api/clock")
	if err := json.Unmarshal([]byte(r.Body), &clock); err != nil || clock.TestClock {
		t.Errorf("GET /console/api/clock on the real clock: %s", r.Body)
	}
	mustNotContain(t, "page on the real clock", h.page("/console/").Text, "test clock", "/console/clock/advance")
}

// TestClockForm: the header's form moves the clock and comes back with
// what it did.
func TestClockForm(t *testing.T) {
	f := &fakeAdvance{}
	h := newHarnessWith(t, func(g *gatewaytest.Gateway, c *console.Console) {
		f.clock = g.Clock()
		c.Advance = f.advance
	})
	page := h.page("/console/keys")
	mustContain(t, "page header", page.Text, "test clock", h.g.Now().Format("2006-01-02 15:04:05.000"),
		`action="/console/clock/advance"`, `name="back" value="/console/keys"`, `value="15m"`, `value="24h"`)

	loc, next := h.submit("/console/clock/advance", url.Values{"by": {"15m"}, "back": {"/console/keys"}})
	if loc != "/console/keys" {
		t.Errorf("back to %q, want /console/keys", loc)
	}
	mustContain(t, "page after moving", next.Text, "moved 15m: 2 transitions, 1 notification attempt", h.g.Now().Format("2006-01-02 15:04:05.000"))
	// The flash shows once.
	mustNotContain(t, "page reloaded", h.page("/console/keys").Text, "moved 15m")

	loc, next = h.submit("/console/clock/advance", url.Values{"by": {"later"}, "back": {"https://evil.example/"}})
	if loc != "/console/" {
		t.Errorf("back=https://evil.example/: to %q, want /console/", loc)
	}
	mustContain(t, "page after a bad duration", next.Text, "is not a Go duration")

	h = h.sibling(func(c *console.Console) { c.Advance = nil })
	if r := h.post("/console/clock/advance", url.Values{"by": {"1m"}}); r.Status != http.StatusConflict {
		t.Errorf("on the real clock: status %d, want 409", r.Status)
	}
}

// advanceGateway is what antomgw serve --test-clock does: move the clock,
// run the delayed transitions that fell due, then the notification
// attempts.
func advanceGateway(g *gatewaytest.Gateway) func(ctx context.Context, d time.Duration) (gateway.Advanced, error) {
	return func(ctx context.Context, d time.Duration) (gateway.Advanced, error) {
		a := gateway.Advanced{From: g.Clock().Now()}
		a.To = g.Clock().Advance(d)
		jobs, err := g.Service().RunJobs(ctx, 1000)
		if err != nil {
			return a, err
		}
		a.Jobs = jobs
		a.Attempts, err = g.Node().Notifier.DeliverDue(ctx)
		return a, err
	}
}

// TestClockFormMovesPayments: moving the gateway's clock from the form
// completes a 9903 payment and delivers its notification.
func TestClockFormMovesPayments(t *testing.T) {
	h := newHarnessWith(t, func(g *gatewaytest.Gateway, c *console.Console) { c.Advance = advanceGateway(g) })
	sink := h.withSink()
	id := h.pay("REQ_LATER_1", 9903)
	if p := h.payment(id); p.Status != gateway.PaymentProcessing {
		t.Fatalf("9903 payment is %s, want PROCESSING", p.Status)
	}
	_, next := h.submit("/console/clock/advance", url.Values{"by": {"5s"}, "back": {"/console/payments/" + id}})
	mustContain(t, "payment page after 5s", next.Text, "moved 5s: 1 transition, 1 notification attempt", "notifyPayment attempt #1", "delivered")
	if p := h.payment(id); p.Status != gateway.PaymentSuccess {
		t.Errorf("after 5s the payment is %s, want SUCCESS", p.Status)
	}
	if sink.Deliveries()[id] != 1 {
		t.Errorf("the merchant got %d notifications, want 1", sink.Deliveries()[id])
	}
}
