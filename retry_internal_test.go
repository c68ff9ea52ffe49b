package antomgw

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/antomgw/antomgw/wire"
)

func TestBackoff(t *testing.T) {
	base, maxDelay := 100*time.Millisecond, time.Second
	for _, c := range []struct {
		n    int
		j    float64
		want time.Duration
	}{
		{1, 0, 50 * time.Millisecond},
		{1, 0.5, 75 * time.Millisecond},
		{2, 0, 100 * time.Millisecond},
		{3, 0, 200 * time.Millisecond},
		{4, 0.999, 799600 * time.Microsecond},
		{5, 0, 500 * time.Millisecond}, // 1.6s capped at 1s
		{50, 0, 500 * time.Millisecond},
		{50, 1, time.Second},
		{2, -3, 100 * time.Millisecond}, // j clamped
	} {
		if got := backoff(c.n, base, maxDelay, c.j); got != c.want {
			t.Errorf("backoff(%d, jitter %v) = %v, want %v", c.n, c.j, got, c.want)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestRetryReason(t *testing.T) {
	u := func(code string) Result { return Result{Code: code, Status: wire.StatusUnknown} }
	for _, c := range []struct {
		name string
		e    *Error
		want string // "" = not retried; else a prefix of the reason
	}{
		{"UnknownException", &Error{Result: u(wire.CodeUnknownException)}, "result U UNKNOWN_EXCEPTION"},
		{"TrafficLimit", &Error{Result: u(wire.CodeRequestTrafficExceed)}, "result U REQUEST_TRAFFIC_EXCEED_LIMIT"},
		{"InProcess", &Error{Result: u(wire.CodePaymentInProcess)}, ""},
		{"Fail", &Error{Result: Result{Code: "RISK_REJECT", Status: wire.StatusFail}}, ""},
		{"FailSystemError", &Error{Result: Result{Code: wire.CodeSystemError, Status: wire.StatusFail}}, ""},
		{"HTTP503", &Error{StatusCode: 503, Err: errors.New("HTTP status 503")}, "HTTP status 503"},
		{"HTTP500", &Error{StatusCode: 500, Err: errors.New("HTTP status 500")}, "HTTP status 500"},
		{"HTTP404", &Error{StatusCode: 404, Err: errors.New("HTTP status 404")}, ""},
		{"Unverified", &Error{StatusCode: 200, Err: fmt.Errorf("%w: no signature", ErrUnverified)}, ""},
		{"Network", &Error{Err: &transportError{err: errors.New("connection refused")}}, "network error: connection refused"},
		{"AttemptTimeout", &Error{Err: &transportError{err: context.DeadlineExceeded, timeout: time.Second}}, "timeout: no answer within 1s"},
		{"NetTimeout", &Error{Err: &transportError{err: timeoutErr{}}}, "timeout: i/o timeout"},
		{"Decode", &Error{StatusCode: 200, Err: errors.New("decode answer")}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := retryReason(c.e)
			if got != c.want {
				t.Errorf("retryReason = %q, want %q", got, c.want)
			}
			if c.e.Retryable() != (c.want != "") {
				t.Errorf("Retryable = %v, want %v", c.e.Retryable(), c.want != "")
			}
		})
	}
}

// TestRetryableInterface checks the behaviour interface of the conventions:
// callers ask errors.As(err, &r) && r.Retryable().
func TestRetryableInterface(t *testing.T) {
	err := fmt.Errorf("checkout: %w", &Error{API: "pay", Result: Result{Code: wire.CodeUnknownException, Status: wire.StatusUnknown}})
	var r interface{ Retryable() bool }
	if !errors.As(err, &r) || !r.Retryable() {
		t.Errorf("errors.As(%v, Retryable) did not report retryable", err)
	}
}
