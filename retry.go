package antomgw

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// retryReason says why the same request may be sent again after e, or ""
// when it must not be. Only answers that say nothing about the request
// are retried: a network error, a timeout, an HTTP 5xx, and the two U
// results that mean "try again" (UNKNOWN_EXCEPTION,
// REQUEST_TRAFFIC_EXCEED_LIMIT). An F result fails the same way every
// time; U PAYMENT_IN_PROCESS asks for an inquiry, not a resend; an answer
// that does not verify is an attack or a misconfiguration, never luck.
//
// Whether the caller's context has ended is checked by the caller: a
// cancelled context is never retried, whatever this says.
func retryReason(e *Error) string {
	switch e.Result.Status {
	case wire.StatusUnknown:
		switch e.Result.Code {
		case wire.CodeUnknownException, wire.CodeRequestTrafficExceed:
			return "result U " + e.Result.Code
		}
		return ""
	case wire.StatusFail, wire.StatusSuccess:
		return ""
	}
	if errors.Is(e.Err, ErrUnverified) {
		return ""
	}
	var te *transportError
	if errors.As(e.Err, &te) {
		if te.timeout > 0 {
			return fmt.Sprintf("timeout: no answer within %s", te.timeout)
		}
		var ne net.Error
		if errors.As(te.err, &ne) && ne.Timeout() {
			return "timeout: " + te.err.Error()
		}
		return "network error: " + te.err.Error()
	}
	if e.StatusCode >= 500 {
		return fmt.Sprintf("HTTP status %d", e.StatusCode)
	}
	return ""
}

// backoff is the delay before retry number n (1 for the first retry): base
// doubled n-1 times, capped at maxDelay, then jittered into [d/2, d) by j, a
// number in [0, 1). It is a pure function of its arguments.
func backoff(n int, base, maxDelay time.Duration, j float64) time.Duration {
	d := base
	for i := 1; i < n && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	j = min(max(j, 0), 1)
	return d/2 + time.Duration(j*float64(d/2))
}
