package antomgw_test

import (
	"context"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/antomtest"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// resolveOpts are short polls and deadlines: the deadline, on the real
// clock, is the SDK's; the wallet's delays pass in the gateway's clock,
// request by request (see TestResolve).
func resolveOpts(deadline time.Duration) *antomgw.ResolveOptions {
	return &antomgw.ResolveOptions{Deadline: deadline, PollInterval: 20 * time.Millisecond, MaxPollInterval: 50 * time.Millisecond}
}

// baseURL points a client at url.
func baseURL(url string) clientOption { return func(c *antomgw.Config) { c.BaseURL = url } }

// TestResolve runs the U helper against the real gateway: 9903 becomes
// SUCCESS, 9904 FAIL, and 9905 never completes and is cancelled at the
// deadline. Every request moves the gateway's clock a quarter of the
// wallet's delay, so 9903 and 9904 complete after a few polls.
func TestResolve(t *testing.T) {
	// The 9902 answer is held back a minute: only an inquiry finds it.
	g := gatewaytest.New(t, gatewaytest.WithSimHold(time.Minute))
	polled := baseURL(g.AdvancePerRequest(t, gatewaytest.DefaultSimDelay/4))
	for _, fam := range []antomgw.PathFamily{antomgw.FamilyAMS, antomgw.FamilyOmnichannel} {
		c := g.Client(t, family(fam), polled)
		ctx := context.Background()
		t.Run(string(fam)+"/9903", func(t *testing.T) {
			var pending *antomgw.PayResponse
			opts := resolveOpts(time.Minute)
			opts.PendingFunc = func(r *antomgw.PayResponse) { pending = r }
			res, err := c.PayAndResolve(ctx, inStorePay(newID("R3"), "9903"), opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != antomgw.OutcomeSuccess || res.Result.Code != wire.CodeSuccess || res.Payment == nil || res.Inquiries < 1 || res.Cancel != nil {
				t.Fatalf("resolution = %+v, want SUCCESS after inquiries, no cancel", res)
			}
			if pending == nil || pending.PaymentID == "" || res.Pay != pending {
				t.Errorf("PendingFunc got %+v, want the U pay response", pending)
			}
		})
		t.Run(string(fam)+"/9904", func(t *testing.T) {
			res, err := c.PayAndResolve(ctx, inStorePay(newID("R4"), "9904"), resolveOpts(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			wantCode := "USER_PAYMENT_VERIFICATION_FAILED"
			if fam == antomgw.FamilyOmnichannel {
				wantCode = "" // the v2 inquiryPayment answer carries no paymentResultCode
			}
			if res.Outcome != antomgw.OutcomeFail || res.Result.Code != wantCode || res.Result.Status != wire.StatusFail {
				t.Fatalf("resolution = %+v, want FAIL USER_PAYMENT_VERIFICATION_FAILED", res)
			}
		})
		t.Run(string(fam)+"/9905", func(t *testing.T) {
			id := newID("R5")
			res, err := c.PayAndResolve(ctx, inStorePay(id, "9905"), resolveOpts(150*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != antomgw.OutcomeCancelled || res.Cancel == nil || res.CancelAttempts != 1 || res.Inquiries < 1 {
				t.Fatalf("resolution = %+v, want CANCELLED by one cancel after inquiries", res)
			}
			inq, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: id})
			if err != nil || inq.PaymentStatus != antomgw.PaymentStatusCancelled {
				t.Fatalf("after the cancel: %+v, %v; want CANCELLED", inq, err)
			}
		})
	}
	t.Run("NotFound", func(t *testing.T) {
		c := g.Client(t, polled)
		res, err := c.ResolvePayment(context.Background(), newID("NEVER"), resolveOpts(100*time.Millisecond))
		if err != nil || res.Outcome != antomgw.OutcomeNotFound {
			t.Fatalf("ResolvePayment = %+v, %v; want NOT_FOUND", res, err)
		}
	})
	t.Run("LostPayAnswer", func(t *testing.T) {
		// The pay answer is lost (held back past the client's timeout)
		// and not retried: the helper inquires and finds the SUCCESS.
		c := g.Client(t, polled, func(c *antomgw.Config) {
			c.AttemptTimeout = 200 * time.Millisecond
			c.MaxRetries = -1
		})
		res, err := c.PayAndResolve(context.Background(), inStorePay(newID("LOST"), "9902"), resolveOpts(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != antomgw.OutcomeSuccess || res.Pay != nil {
			t.Fatalf("resolution = %+v, want SUCCESS with no pay answer", res)
		}
	})
	t.Run("FailAtOnce", func(t *testing.T) {
		c := g.Client(t, polled)
		res, err := c.PayAndResolve(context.Background(), inStorePay(newID("F"), "9907"), nil)
		if err != nil || res.Outcome != antomgw.OutcomeFail || res.Result.Code != "RISK_REJECT" || res.Inquiries != 0 {
			t.Fatalf("PayAndResolve 9907 = %+v, %v; want FAIL RISK_REJECT without inquiries", res, err)
		}
	})
}

// TestResolveCancelRetried: a cancel answering U is sent again; one that
// never answers S leaves the payment unresolved, with an error.
func TestResolveCancelRetried(t *testing.T) {
	srv := antomtest.NewServer()
	defer srv.Close()
	processing := func(antomtest.Request) antomtest.Reply {
		return antomtest.Reply{Body: `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"paymentStatus":"PROCESSING"}`}
	}
	srv.Handle("inquiryPayment", processing)
	u := antomtest.Reply{Result: wire.Result{Code: "CANCEL_IN_PROCESS", Status: wire.StatusUnknown}}
	srv.Script("cancel", u, u, antomtest.Reply{})
	c := newClient(t, srv.URL, fastRetries())
	res, err := c.ResolvePayment(context.Background(), "P1", resolveOpts(50*time.Millisecond))
	if err != nil || res.Outcome != antomgw.OutcomeCancelled || res.CancelAttempts != 3 {
		t.Fatalf("ResolvePayment = %+v, %v; want CANCELLED on the 3rd cancel", res, err)
	}

	srv.Script("cancel", u, u, u)
	res, err = c.ResolvePayment(context.Background(), "P2", resolveOpts(50*time.Millisecond))
	if err == nil || res.Outcome != antomgw.OutcomeUnresolved || res.CancelAttempts != 3 || !antomgw.IsUnknown(err) {
		t.Fatalf("ResolvePayment = %+v, %v; want UNRESOLVED with an error after 3 cancels", res, err)
	}

	// A context that ends while polling leaves it unresolved without a
	// cancel.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res, err = c.ResolvePayment(ctx, "P3", resolveOpts(time.Hour))
	if err == nil || res.Outcome != antomgw.OutcomeUnresolved || res.CancelAttempts != 0 {
		t.Fatalf("ResolvePayment with a short context = %+v, %v; want UNRESOLVED, no cancel", res, err)
	}
}
