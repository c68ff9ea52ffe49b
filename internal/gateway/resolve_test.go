package gateway_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// TestResolvePayment: an operator deciding a PROCESSING payment by hand
// takes the path of every completion: the payment becomes final with one
// notifyPayment, its pending completion (the settle job) and its expiry are
// dropped, so neither moves or notifies it again; a payment no longer
// PROCESSING is refused and left alone.
func TestResolvePayment(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		outcome     gateway.ResolveOutcome
		code        string
		wantStatus  gateway.PaymentStatus
		wantCode    string
		wantMessage string
	}{
		{"Fail", gateway.ResolveFail, "", gateway.PaymentFail, gateway.DefaultFailCode, "Failed by the operator."},
		{"FailWithCode", gateway.ResolveFail, "USER_BALANCE_NOT_ENOUGH", gateway.PaymentFail, "USER_BALANCE_NOT_ENOUGH", "Failed by the operator."},
		{"Close", gateway.ResolveClose, "", gateway.PaymentFail, gateway.CodeOrderIsClosed, "Closed by the operator."},
		{"Success", gateway.ResolveSuccess, "", gateway.PaymentSuccess, gateway.CodeSuccess, "success"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachProcessor(t, func(t *testing.T, e *env) {
				res := e.pay(t, "late", amountLater) // SUCCESS due in a minute
				ref := gateway.PaymentRef{ClientID: client, RequestID: "late"}
				e.clock.Add(10 * time.Second)
				// A message longer than a resultMessage holds is refused,
				// and changes nothing.
				_, err := e.svc.ResolvePayment(ctx, ref, tc.outcome, tc.code, strings.Repeat("é", 257))
				wantKind(t, "ResolvePayment with a 257-character message", err, gateway.KindInvalid)
				got, err := e.svc.ResolvePayment(ctx, ref, tc.outcome, tc.code, "")
				if err != nil {
					t.Fatalf("ResolvePayment: %v", err)
				}
				if got.ID != res.Payment.ID || got.Status != tc.wantStatus || got.ResultCode != tc.wantCode || got.ResultMessage != tc.wantMessage {
					t.Errorf("ResolvePayment = %s %s %s %q, want %s %s %s %q", got.ID, got.Status, got.ResultCode, got.ResultMessage,
						res.Payment.ID, tc.wantStatus, tc.wantCode, tc.wantMessage)
				}
				resolvedAt := e.clock.Now()

				// Past the settle job's time and the expiry: nothing is left to run.
				e.clock.Add(time.Minute)
				if n := e.runJobs(t); n != 0 {
					t.Errorf("RunJobs past the completion's time did %d jobs, want 0 (the settle job dropped)", n)
				}
				e.clock.Add(paymentExpiry)
				if n := e.runJobs(t); n != 0 {
					t.Errorf("RunJobs past the expiry did %d jobs, want 0 (the expiry dropped)", n)
				}

				d := e.show(t, res.Payment.ID)
				if d.Payment.Status != tc.wantStatus || d.Payment.ResultCode != tc.wantCode || !d.Payment.UpdatedAt.Equal(resolvedAt) {
					t.Errorf("stored payment: %s %s updated at %v, want %s %s updated at %v (the resolution's)",
						d.Payment.Status, d.Payment.ResultCode, d.Payment.UpdatedAt, tc.wantStatus, tc.wantCode, resolvedAt)
				}
				if tc.wantStatus == gateway.PaymentSuccess && !d.Payment.PaidAt.Equal(resolvedAt) {
					t.Errorf("paid at %v, want %v (the resolution's)", d.Payment.PaidAt, resolvedAt)
				}
				if ns := paymentNotifications(d); len(ns) != 1 || !ns[0].CreatedAt.Equal(resolvedAt) {
					t.Errorf("notifyPayment: %+v, want one, of the resolution", ns)
				}

				_, err = e.svc.ResolvePayment(ctx, ref, gateway.ResolveSuccess, "", "")
				wantKind(t, "ResolvePayment of a resolved payment", err, gateway.KindInvalidTransition)
				if d := e.show(t, res.Payment.ID); d.Payment.Status != tc.wantStatus || len(d.Notifications) != 1 {
					t.Errorf("after the refused resolution: %s with %d notifications, want %s with 1", d.Payment.Status, len(d.Notifications), tc.wantStatus)
				}
			})
		})
	}
}
