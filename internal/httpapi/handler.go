package httpapi

import (
	"context"
	"encoding/json"
	"errors"
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
	// fired is the scenario rule that shaped the answer; serveAPI applies
	// its delay, drop or HTTP status.
	fired *gateway.Fired
}

// handler serves one API on one path family, from the decrypted body.
type handler func(s *Server, ctx context.Context, x *exchange, body []byte) (*outcome, error)

// handlers is the table of what serves each route.
var handlers = map[route]handler{
	{antomgw.APIPay, FamilyV1}: func(s *Server, ctx context.Context, x *exchange, body []byte) (*outcome, error) {
		return s.payV1(ctx, x.client, body, x.keys.ScenarioRules(x.clientID, gateway.ScenarioPay))
	},
	{antomgw.APIPay, FamilyV2}: func(s *Server, ctx context.Context, x *exchange, body []byte) (*outcome, error) {
		return s.payV2(ctx, x.client, body, x.keys.ScenarioRules(x.clientID, gateway.ScenarioPay))
	},
	{antomgw.APIInquiryPayment, FamilyV1}: inquiryPaymentHandler(FamilyV1),
	{antomgw.APIInquiryPayment, FamilyV2}: inquiryPaymentHandler(FamilyV2),
	{antomgw.APICancel, FamilyV1}:         cancelHandler,
	{antomgw.APICancel, FamilyV2}:         cancelHandler,
	{antomgw.APIRefund, FamilyV1}:         refundHandler(FamilyV1),
	{antomgw.APIRefund, FamilyV2}:         refundHandler(FamilyV2),
	{antomgw.APIInquiryRefund, FamilyV1}:  inquiryRefundHandler(FamilyV1),
	{antomgw.APIInquiryRefund, FamilyV2}:  inquiryRefundHandler(FamilyV2),

	{antomgw.APIConsult, FamilyV1}:                ruleFirstWith(gateway.ScenarioConsult, consultCall, consultHandler),
	{antomgw.APICreatePaymentSession, FamilyV1}:   createSessionHandler,
	{antomgw.APIRetrievePaymentSession, FamilyV1}: ruleFirstWith(gateway.ScenarioRetrieveSession, retrieveSessionCall, retrieveSessionHandler),
	{antomgw.APICapture, FamilyV1}:                captureHandler,
}

func inquiryPaymentHandler(fam Family) handler {
	return ruleFirst(gateway.ScenarioInquiryPayment, func(s *Server, ctx context.Context, x *exchange, body []byte) (*outcome, error) {
		return s.inquiryPayment(ctx, x.clientID, fam, body)
	})
}

var cancelHandler = ruleFirst(gateway.ScenarioCancel, func(s *Server, ctx context.Context, x *exchange, body []byte) (*outcome, error) {
	return s.cancel(ctx, x.clientID, body)
})

func refundHandler(fam Family) handler {
	return func(s *Server, ctx context.Context, x *exchange, body []byte) (*outcome, error) {
		return s.refund(ctx, x.clientID, fam, body, x.keys.ScenarioRules(x.clientID, gateway.ScenarioRefund))
	}
}

func inquiryRefundHandler(fam Family) handler {
	return ruleFirst(gateway.ScenarioInquiryRefund, func(s *Server, ctx context.Context, x *exchange, body []byte) (*outcome, error) {
		return s.inquiryRefund(ctx, x.clientID, fam, body)
	})
}

// respondWith marshals a response struct whose Result field is res.
func respondWith(res wire.Result, body any) *outcome {
	return &outcome{body: mustJSON(body), result: res}
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
	"payment_request_id": true, // retrievePaymentSession, as the official Python SDK spells it
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
