package antomgw

import (
	"errors"
	"fmt"
	"strings"

	"github.com/antomgw/antomgw/wire"
)

// ErrUnverified is wrapped by every error about an answer that could not be
// trusted: no Signature header, a keyVersion that is not among the gateway
// keys, a signature that does not verify, a client-id that is not ours. Such
// an answer is never decoded into a result: the SDK fails closed.
var ErrUnverified = errors.New("antomgw: answer not verified")

// KeyVersionError is the error of an answer or a notification signed with a
// gateway key version the Client holds no key for: the gateway rotated its
// key, and the new public key has to be installed (Config.GatewayKeys).
// Nothing is decoded from such an answer, and no call can succeed until the
// key is installed, so ResolvePayment and PayAndResolve stop at once with
// it instead of polling. errors.Is(err, ErrUnverified) holds.
type KeyVersionError struct {
	// Version is the gateway key version the answer's Signature header
	// names; 0 when it names none.
	Version int
	// Have are the versions of Config.GatewayKeys, ascending, without 0.
	Have []int
	// UnknownTried: Config.GatewayKeys[0], the key of unknown version, was
	// tried and did not verify the answer.
	UnknownTried bool
}

// Error says which version is missing and how to get it.
func (e *KeyVersionError) Error() string {
	have := "none"
	if len(e.Have) > 0 {
		parts := make([]string, len(e.Have))
		for i, v := range e.Have {
			parts[i] = fmt.Sprint(v)
		}
		have = strings.Join(parts, ", ")
	}
	var b strings.Builder
	b.WriteString(ErrUnverified.Error())
	if e.Version == 0 {
		fmt.Fprintf(&b, ": the message names no gateway key version and no gateway key is given to use (versions given: %s)", have)
		return b.String()
	}
	fmt.Fprintf(&b, ": signed with gateway key version %d, and no gateway key of that version is given (versions given: %s", e.Version, have)
	if e.UnknownTried {
		b.WriteString("; the key given without a version does not verify it")
	}
	fmt.Fprintf(&b, "); install it: antomgw keys export --key-version %d (on Antom: the dashboard's public key)", e.Version)
	return b.String()
}

// Is reports whether target is ErrUnverified.
func (e *KeyVersionError) Is(target error) bool { return target == ErrUnverified }

// Error is the error of a call that reached (or may have reached) the
// gateway without a verified S result. Either Result holds the verified
// result (status F or U), or Result is zero and Err says why no verified
// answer came back (network error, timeout, HTTP status, unverified answer).
//
// Use IsFail and IsUnknown to tell them apart; never treat an unknown outcome
// as a failure: money may have moved.
type Error struct {
	// API is the call: "pay", "inquiryPayment", "cancel", "refund" or
	// "inquiryRefund".
	API string
	// Result is the verified result of the answer, zero when there was none.
	Result Result
	// StatusCode is the HTTP status of the last answer, 0 when none came.
	StatusCode int
	// Attempts is how many times the request was sent.
	Attempts int
	// Err is why there is no verified result (nil when Result is set).
	Err error
}

// Error returns "antomgw: pay: F RISK_REJECT: …"-style text.
func (e *Error) Error() string {
	if e.Result.Status != "" {
		return fmt.Sprintf("antomgw: %s: %s", e.API, e.Result)
	}
	if e.Err != nil {
		return fmt.Sprintf("antomgw: %s: outcome unknown: %v", e.API, e.Err)
	}
	return fmt.Sprintf("antomgw: %s: outcome unknown: HTTP status %d", e.API, e.StatusCode)
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether sending the same request again may give a
// different answer: a U UNKNOWN_EXCEPTION or REQUEST_TRAFFIC_EXCEED_LIMIT
// result, an HTTP 5xx, a network error or a timeout. An F result, an answer
// that does not verify and a U PAYMENT_IN_PROCESS are not retryable (for the
// last one, inquire instead).
func (e *Error) Retryable() bool {
	return retryReason(e) != ""
}

// Fail reports whether the call definitely failed: a verified F result.
func (e *Error) Fail() bool { return e.Result.Status == wire.StatusFail }

// Unknown reports whether the outcome is unknown: a verified U result, or no
// verified answer at all.
func (e *Error) Unknown() bool {
	return e.Result.Status == wire.StatusUnknown || e.Result.Status == ""
}

// IsFail reports whether err is (or wraps) an *Error with a verified F
// result: the request failed for the reason in its result code and sending
// it again will fail the same way.
func IsFail(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Fail()
}

// IsUnknown reports whether err is (or wraps) an *Error whose outcome is
// unknown: a verified U result, or a request that was sent without a
// verified answer coming back (network error, timeout, HTTP 5xx, an answer
// that does not verify). Retry the same request or inquire; for a POS
// payment, ResolvePayment does both.
func IsUnknown(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Unknown()
}

// IsCode reports whether err is (or wraps) an *Error whose verified result
// has the given result code, such as "ORDER_NOT_EXIST".
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Result.Code == code
}

// ResultOf returns the verified result carried by err, if any.
func ResultOf(err error) (Result, bool) {
	var e *Error
	if errors.As(err, &e) && e.Result.Status != "" {
		return e.Result, true
	}
	return Result{}, false
}
