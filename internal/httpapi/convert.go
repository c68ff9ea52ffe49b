package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// outcome is an API's answer: the body (its result already inside), the
// result for logs and metrics, and the replay and hold flags.
type outcome struct {
	body   []byte
	result wire.Result
	replay bool
	hold   time.Duration
}

// fieldError is a PARAM_ILLEGAL refusal that names the field.
type fieldError struct {
	field, msg string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func illegal(field, format string, args ...any) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, args...)}
}

// decode unmarshals a JSON body into v and turns decoding errors into
// PARAM_ILLEGAL errors naming the field. An id field sent as a JSON integer
// (the official Python SDK's examples send paymentRequestId as
// int(time.time())) is read as its decimal text.
func decode(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return illegal("body", "request body is empty; send a JSON object")
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Value == "number" && idFields[lastField(te.Field)] {
		// Rare, so the second pass may be slow: quote the integers of
		// every id field and decode again.
		if quoted, ok := quoteIntegerIDs(body); ok {
			if err = json.Unmarshal(quoted, v); err == nil {
				return nil
			}
		}
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if strings.HasPrefix(te.Value, "value ") {
			field += ".value"
		}
		if field == "" {
			return illegal("body", "request body must be a JSON object")
		}
		if te.Value == "number" && idFields[lastField(field)] {
			return illegal(field, "wrong JSON type (a number that is not an integer); send a string")
		}
		return illegal(field, "wrong JSON type (%s)", clip(te.Value, 24))
	case errors.As(err, &se):
		return illegal("body", "request body is not valid JSON (at byte %d)", se.Offset)
	}
	return illegal("body", "request body is not valid JSON")
}

// idFields are the id strings of the request types. Each accepts a JSON
// integer too, read as its decimal text: 1733100000 is "1733100000".
var idFields = map[string]bool{
	"paymentRequestId": true, "refundRequestId": true, "captureRequestId": true,
	"paymentId": true, "refundId": true, "captureId": true,
	"referenceOrderId": true, "referenceRefundId": true, "paymentMethodId": true,
	"merchantAccountId": true, "storeTerminalId": true,
	"originalMerchantOrderId": true, "originalMerchantStoreId": true,
}

// lastField returns the last element of a dotted field path.
func lastField(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// quoteIntegerIDs returns body with the JSON integers of every id field,
// at any depth, turned into strings of the same digits. A number that is not
// an integer stays a number. It reports false when body does not parse.
func quoteIntegerIDs(body []byte) ([]byte, bool) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if n, ok := e.(json.Number); ok && idFields[k] && isInteger(string(n)) {
					v[k] = string(n)
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(doc)
	out, err := json.Marshal(doc)
	return out, err == nil
}

// isInteger reports whether a JSON number literal is an integer: an
// optional minus and digits, no fraction or exponent.
func isInteger(n string) bool {
	n = strings.TrimPrefix(n, "-")
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}

func (s *Server) call(ctx context.Context, x *exchange, body []byte) (*outcome, error) {
	switch x.route {
	case route{APIPay, FamilyV1}:
		return s.payV1(ctx, x.client, body)
	case route{APIPay, FamilyV2}:
		return s.payV2(ctx, x.client, body)
	case route{APIInquiryPayment, FamilyV1}, route{APIInquiryPayment, FamilyV2}:
		return s.inquiryPayment(ctx, x.clientID, x.route.family, body)
	case route{APICancel, FamilyV1}, route{APICancel, FamilyV2}:
		return s.cancel(ctx, x.clientID, body)
	case route{APIRefund, FamilyV1}, route{APIRefund, FamilyV2}:
		return s.refund(ctx, x.clientID, x.route.family, body)
	case route{APIInquiryRefund, FamilyV1}, route{APIInquiryRefund, FamilyV2}:
		return s.inquiryRefund(ctx, x.clientID, x.route.family, body)
	}
	return nil, fmt.Errorf("no handler for %v", x.route)
}

// respondWith marshals a response struct whose Result field is res.
func respondWith(res wire.Result, body any) *outcome {
	return &outcome{body: mustJSON(body), result: res}
}

// --- field checks -----------------------------------------------------------

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

// --- formatting ---------------------------------------------------------------

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

func payResult(r *gateway.PayResult) wire.Result {
	res := wire.NewResult(r.Code, clip(r.Message, 256))
	res.Status = wire.Status(r.Status)
	return res
}

// --- pay (v1) -----------------------------------------------------------------

func (s *Server) payV1(ctx context.Context, client gateway.Client, body []byte) (*outcome, error) {
	var req antomgw.PayRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	in, err := payInputV1(client.ID, &req, s.now())
	if err != nil {
		return nil, err
	}
	if in.NotifyURL == "" {
		in.NotifyURL = client.NotifyURL
	}
	r, err := s.Service.Pay(ctx, *in)
	if err != nil {
		return nil, err
	}
	res := payResult(r)
	resp := antomgw.PayResponse{Result: res, PaymentRequestID: req.PaymentRequestID}
	if p := r.Payment; p != nil {
		resp.PaymentID = p.ID
		resp.PaymentAmount = amountOf(p.Amount)
		resp.PaymentCreateTime = formatTime(p.CreatedAt)
		resp.PaymentTime = formatTime(p.PaidAt)
		if p.Status == gateway.PaymentProcessing && p.ActionURL != "" {
			switch {
			case p.Scenario == gateway.ScenarioOrderCode:
				resp.OrderCodeForm = &antomgw.OrderCodeForm{
					PaymentMethodType: p.MethodType, ExpireTime: formatTime(p.ExpiresAt),
					CodeDetails: []antomgw.CodeDetail{
						{CodeValueType: "QRCODE", CodeValue: p.ActionURL, DisplayType: "TEXT"},
						{CodeValueType: "QRCODE", CodeValue: p.ActionURL, DisplayType: "MIDDLEIMAGE"},
					},
				}
			case p.Scenario == gateway.ScenarioEntryCode:
				resp.RedirectActionForm = &antomgw.RedirectActionForm{Method: "GET", RedirectURL: p.ActionURL}
			case p.ProductCode == gateway.ProductCashier:
				resp.NormalURL = p.ActionURL
			}
		}
	}
	o := respondWith(res, resp)
	o.replay, o.hold = r.Replay, r.Hold
	return o, nil
}

func payInputV1(clientID string, req *antomgw.PayRequest, now time.Time) (*gateway.PayInput, error) {
	in := &gateway.PayInput{ClientID: clientID, RequestID: req.PaymentRequestID, ProductCode: req.ProductCode,
		MethodType: req.PaymentMethod.PaymentMethodType, MethodID: req.PaymentMethod.PaymentMethodID,
		NotifyURL: req.PaymentNotifyURL, RedirectURL: req.PaymentRedirectURL}
	switch req.ProductCode {
	case "":
		return nil, illegal("productCode", "is required")
	case gateway.ProductInStore, gateway.ProductCashier:
	default:
		return nil, illegal("productCode", "%q is not supported; use IN_STORE_PAYMENT or CASHIER_PAYMENT", clip(req.ProductCode, 32))
	}
	if err := requestID("paymentRequestId", req.PaymentRequestID, false); err != nil {
		return nil, err
	}
	m, err := money("paymentAmount", req.PaymentAmount, maxMinorUnits)
	if err != nil {
		return nil, err
	}
	in.Amount = m
	if err := requireString("paymentMethod.paymentMethodType", in.MethodType, 64); err != nil {
		return nil, err
	}
	if err := maxString("paymentMethod.paymentMethodId", in.MethodID, 128); err != nil {
		return nil, err
	}
	if req.Order == nil {
		return nil, illegal("order", "is required")
	}
	if err := maxString("order.referenceOrderId", req.Order.ReferenceOrderID, 64); err != nil {
		return nil, err
	}
	if err := maxString("order.orderDescription", req.Order.OrderDescription, 256); err != nil {
		return nil, err
	}
	in.ReferenceID = req.Order.ReferenceOrderID
	if req.ProductCode == gateway.ProductInStore {
		if req.PaymentFactor == nil || req.PaymentFactor.InStorePaymentScenario == "" {
			return nil, illegal("paymentFactor.inStorePaymentScenario", "is required for IN_STORE_PAYMENT (PaymentCode, OrderCode or EntryCode)")
		}
		switch sc := req.PaymentFactor.InStorePaymentScenario; sc {
		case gateway.ScenarioPaymentCode:
			if in.MethodID == "" {
				return nil, illegal("paymentMethod.paymentMethodId", "is required for PaymentCode: the code the user presents")
			}
		case gateway.ScenarioOrderCode, gateway.ScenarioEntryCode:
		default:
			return nil, illegal("paymentFactor.inStorePaymentScenario", "%q is not PaymentCode, OrderCode or EntryCode", clip(sc, 32))
		}
		in.Scenario = req.PaymentFactor.InStorePaymentScenario
	}
	if err := optionalURL("paymentNotifyUrl", req.PaymentNotifyURL, 2048); err != nil {
		return nil, err
	}
	if err := optionalURL("paymentRedirectUrl", req.PaymentRedirectURL, 2048); err != nil {
		return nil, err
	}
	if req.PaymentExpiryTime != "" {
		t, err := wire.ParseTime(req.PaymentExpiryTime)
		if err != nil {
			return nil, illegal("paymentExpiryTime", "is not an ISO 8601 time with an offset")
		}
		// Whether it has passed is the service's check, made after the
		// duplicate lookup, so that a retry after the expiry is answered.
		in.ExpiresAt = t
	}
	return in, nil
}

// maxMinorUnits bounds v1 amounts: far above any real payment, far below
// int64 overflow when refunds are summed.
const maxMinorUnits = 1_000_000_000_000_000

// maxV2Value is the omnichannel v2 Integer limit.
const maxV2Value = 2147483647
