package httpapi

import (
	"errors"
	"fmt"
	"strings"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// refusal is a pipeline step's refusal: the result code to answer with and
// a message for the merchant. A refusal has changed nothing.
type refusal struct {
	code, msg string
}

func (r *refusal) Error() string { return r.code + ": " + r.msg }

func refuse(code, format string, args ...any) error {
	return &refusal{code: code, msg: fmt.Sprintf(format, args...)}
}

// kindCodes is the one table turning domain error kinds into result codes.
var kindCodes = map[gateway.Kind]string{
	gateway.KindInvalid:             wire.CodeParamIllegal,
	gateway.KindNotFound:            wire.CodeOrderNotExist,
	gateway.KindIdempotencyMismatch: wire.CodeRepeatReqInconsistent,
	gateway.KindInvalidTransition:   wire.CodeOrderStatusInvalid,
	gateway.KindCancelWindow:        wire.CodeCancelWindowExceed,
	gateway.KindRefundWindow:        wire.CodeRefundWindowExceed,
	gateway.KindRefundExceed:        wire.CodeRefundAmountExceed,
	gateway.KindCurrency:            wire.CodeCurrencyNotSupport,
	gateway.KindAuthNotFound:        wire.CodeAuthNotFound,
	gateway.KindAuthExpired:         wire.CodeAuthExpired,
	gateway.KindAuthCancelled:       wire.CodeAuthCancelled,
	gateway.KindCaptureExceed:       wire.CodeCaptureAmountExceedAuth,
	gateway.KindUnavailable:         wire.CodeUnknownException,
	gateway.KindInternal:            wire.CodeUnknownException,
}

// errorResult is the one place an error becomes the result to answer with:
// a pipeline refusal its code, a domain error the code of its kind (a field
// error PARAM_ILLEGAL naming the field). Internal errors answer U
// UNKNOWN_EXCEPTION: the caller cannot know whether anything happened, so
// it must retry the same request or inquire.
func errorResult(err error) wire.Result {
	var rf *refusal
	if errors.As(err, &rf) {
		return wire.NewResult(rf.code, clip(rf.msg, 256))
	}
	var ge *gateway.Error
	if !errors.As(err, &ge) {
		return wire.NewResult(wire.CodeUnknownException, "Internal error; retry the same request or inquire its status.")
	}
	code, ok := kindCodes[ge.Kind]
	if !ok {
		code = wire.CodeUnknownException
	}
	msg := ge.Message
	switch ge.Kind {
	case gateway.KindInternal, gateway.KindUnavailable:
		msg = "The gateway could not complete the request (" + internalReason(ge) + "); retry the same request or inquire its status."
	case gateway.KindInvalid:
		switch {
		case ge.Field != "" && msg == "":
			msg = ge.Field + " is illegal"
		case ge.Field != "" && !strings.HasPrefix(msg, ge.Field):
			msg = ge.Field + ": " + msg
		}
	}
	return wire.NewResult(code, clip(msg, 256))
}

func internalReason(e *gateway.Error) string {
	if e.Kind == gateway.KindUnavailable {
		return "storage unavailable"
	}
	return "internal error"
}

// clip shortens s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
