package node_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/node"
)

// onTestClock returns a test gateway whose node runs on its (stopped)
// clock, as `antomgw serve --test-clock` does.
func onTestClock(t *testing.T) *gatewaytest.Gateway {
	clock := gatewaytest.NewClock(time.Time{})
	return gatewaytest.New(t, gatewaytest.WithClock(clock),
		gatewaytest.WithConfig(func(c *node.Config) { c.Clock = clock }))
}

func pay(t *testing.T, g *gatewaytest.Gateway, requestID string, value int64, notifyURL string) *gateway.Payment {
	t.Helper()
	r, err := g.Service().Pay(context.Background(), gateway.PayInput{
		ClientID: g.ClientID(), RequestID: requestID, ProductCode: gateway.ProductInStore, Scenario: gateway.ScenarioPaymentCode,
		Amount: gateway.Money{Value: value, Currency: "USD"}, MethodType: "CONNECT_WALLET", MethodID: "281234567890123456",
		NotifyURL: notifyURL,
	})
	if err != nil || r.Payment == nil {
		t.Fatalf("pay %d: %+v, %v", value, r, err)
	}
	return r.Payment
}

func TestAdvanceClosesAt9905Expiry(t *testing.T) {
	g := onTestClock(t)
	ctx := context.Background()
	p := pay(t, g, "never-1", 9905, "")
	if p.Status != gateway.PaymentProcessing {
		t.Fatalf("9905 status = %s, want PROCESSING", p.Status)
	}
	adv, err := g.Node().Advance(ctx, 13*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := g.Service().FindPayment(ctx, gateway.PaymentRef{PaymentID: p.ID}); got.Status != gateway.PaymentProcessing {
		t.Fatalf("after 13m: %s, want still PROCESSING (it expires at 14m)", got.Status)
	}
	if want := adv.From.Add(13 * time.Minute); !adv.To.Equal(want) || !g.Now().Equal(want) {
		t.Errorf("advanced to %v, clock at %v; want both %v", adv.To, g.Now(), want)
	}
	adv, err = g.Node().Advance(ctx, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := g.Service().FindPayment(ctx, gateway.PaymentRef{PaymentID: p.ID})
	if got.Status != gateway.PaymentFail || got.ResultCode != gateway.CodeOrderIsClosed {
		t.Fatalf("after 15m: %s %s, want FAIL ORDER_IS_CLOSED", got.Status, got.ResultCode)
	}
	if adv.Jobs != 1 {
		t.Errorf("jobs run = %d, want 1 (the expiry)", adv.Jobs)
	}
	// The payment was closed at its expiry, not at the end of the advance.
	if !got.UpdatedAt.Equal(p.ExpiresAt) {
		t.Errorf("closed at %v, want at its expiry %v", got.UpdatedAt, p.ExpiresAt)
	}
}

func TestAdvanceRetriesNotificationsInOrder(t *testing.T) {
	g := onTestClock(t)
	ctx := context.Background()
	recv := &gatewaytest.Flaky{Fail: 1000, Now: g.Now}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)

	start := g.Now()
	pay(t, g, "paid-1", 1000, srv.URL)
	// The first attempt is due at once: a pass of the workers makes it.
	if _, err := g.Node().Advance(ctx, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if n := len(recv.Calls()); n != 1 {
		t.Fatalf("attempts after the payment = %d, want 1", n)
	}
	adv, err := g.Node().Advance(ctx, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(recv.Calls()); n != 2 || adv.Attempts != 1 {
		t.Fatalf("attempts after advancing 2m = %d (this advance: %d), want 2 (1)", n, adv.Attempts)
	}
	// 24 hours visit every attempt of the Antom schedule, each at its own
	// time: 0s, 2m, 10m, 10m, 1h, 2h, 6h, 15h after the one before.
	if _, err := g.Node().Advance(ctx, 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	at := recv.Calls()
	if len(at) != len(gateway.AntomSchedule) {
		t.Fatalf("attempts after 48h = %d, want the schedule's %d", len(at), len(gateway.AntomSchedule))
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap != gateway.AntomSchedule[i] {
			t.Errorf("attempt %d came %s after attempt %d, want %s", i+1, gap, i, gateway.AntomSchedule[i])
		}
	}
	if !at[0].Equal(start) {
		t.Errorf("first attempt at %v, want at the payment %v", at[0], start)
	}
}

func TestAdvanceNeedsTestClock(t *testing.T) {
	g := gatewaytest.New(t)
	if _, err := g.Node().Advance(context.Background(), time.Minute); !errors.Is(err, node.ErrRealClock) {
		t.Fatalf("Advance on a real-clock node: %v, want ErrRealClock", err)
	}
	if _, err := onTestClock(t).Node().Advance(context.Background(), 0); err == nil {
		t.Fatal("Advance(0): no error, want one")
	}
}
