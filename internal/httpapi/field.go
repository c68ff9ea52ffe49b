package httpapi

import (
	"net/url"
	"strconv"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
)

// illegal is a PARAM_ILLEGAL refusal of a field: the domain's one
// validation error.
func illegal(field, format string, args ...any) error {
	return gateway.Invalid(field, format, args...)
}

func requireString(field, v string, maxLen int) error {
	if v == "" {
		return illegal(field, "is required")
	}
	return maxString(field, v, maxLen)
}

func maxString(field, v string, maxLen int) error {
	if n := len([]rune(v)); n > maxLen {
		return illegal(field, "is %d characters; at most %d are allowed", n, maxLen)
	}
	return nil
}

func optionalURL(field, v string, maxLen int) error {
	if v == "" {
		return nil
	}
	if err := maxString(field, v, maxLen); err != nil {
		return err
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return illegal(field, "must be an absolute http or https URL")
	}
	return nil
}

func requestID(field, v string, v2 bool) error {
	if err := requireString(field, v, 64); err != nil {
		return err
	}
	if v2 {
		for _, c := range v {
			if !(c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return illegal(field, "may contain only letters, digits and _")
			}
		}
	}
	return nil
}

// decodeRef decodes the body of a call that names a payment (refund:
// false) or a refund by its id or the merchant's request id, and checks
// them: inquiryPayment, cancel, inquiryRefund.
func decodeRef(body []byte, refund bool) (id, requestID string, err error) {
	if refund {
		var r antomgw.InquiryRefundRequest
		err = decode(body, &r)
		id, requestID = r.RefundID, r.RefundRequestID
	} else {
		var r antomgw.InquiryPaymentRequest // the body of cancel too
		err = decode(body, &r)
		id, requestID = r.PaymentID, r.PaymentRequestID
	}
	if err != nil {
		return "", "", err
	}
	if refund {
		return id, requestID, lookupIDs("refundId", id, "refundRequestId", requestID)
	}
	return id, requestID, lookupIDs("paymentId", id, "paymentRequestId", requestID)
}

func lookupIDs(idField, id, reqField, reqID string) error {
	if id == "" && reqID == "" {
		return illegal(idField, "%s or %s is required", idField, reqField)
	}
	if err := maxString(idField, id, 64); err != nil {
		return err
	}
	return maxString(reqField, reqID, 64)
}

// money checks an amount: a known ISO 4217 currency and a positive integer
// number of minor units (max for the v2 Integer limit).
func money(field string, a antomgw.Amount, maxValue int64) (gateway.Money, error) {
	if a.Currency == "" {
		return gateway.Money{}, illegal(field+".currency", "is required")
	}
	if a.Value == "" {
		return gateway.Money{}, illegal(field+".value", "is required")
	}
	v, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil || a.Value[0] == '+' || (len(a.Value) > 1 && a.Value[0] == '0') {
		return gateway.Money{}, illegal(field+".value", "%q is not an integer number of minor units", clip(a.Value, 24))
	}
	if v <= 0 {
		return gateway.Money{}, illegal(field+".value", "must be positive")
	}
	if v > maxValue {
		return gateway.Money{}, illegal(field+".value", "%d exceeds the maximum %d", v, maxValue)
	}
	if err := checkCurrency(field+".currency", a.Currency, v); err != nil {
		return gateway.Money{}, err
	}
	return gateway.Money{Value: v, Currency: a.Currency}, nil
}

// timeLayout is how times appear in bodies: ISO 8601 to the second with an
// offset, as in Antom's samples.
const timeLayout = "2006-01-02T15:04:05-07:00"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func amountOf(m gateway.Money) *antomgw.Amount {
	return &antomgw.Amount{Currency: m.Currency, Value: strconv.FormatInt(m.Value, 10)}
}

// maxMinorUnits bounds v1 amounts: far above any real payment, far below
// int64 overflow when refunds are summed.
const maxMinorUnits = 1_000_000_000_000_000

// maxV2Value is the omnichannel v2 Integer limit.
const maxV2Value = 2147483647

// firstErr returns the first error of errs, in order: the checks of a
// request's fields, each run, the first refusal answered.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
