package httpapi

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// payResult is the one table of a pay answer's result: what the core found
// out (a refusal to take the payment now, an outcome not known yet, a
// replay) and the payment's state.
func payResult(r *gateway.PayResult) wire.Result {
	with := func(status wire.Status, code, msg string) wire.Result {
		return wire.Result{Status: status, Code: code, Message: clip(msg, 256)}
	}
	p := r.Payment
	switch {
	case r.Throttled:
		return with(wire.StatusUnknown, wire.CodeRequestTrafficExceed, "The request traffic exceeds the limit; retry the same request later.")
	case r.Unknown:
		return with(wire.StatusUnknown, wire.CodeUnknownException, "The outcome is not known yet; inquire the payment.")
	case p.Status == gateway.PaymentSuccess:
		return with(wire.StatusSuccess, wire.CodeSuccess, "success")
	case p.Closed():
		return with(wire.StatusFail, p.ResultCode, "The paymentRequestId belongs to a closed payment; use a new paymentRequestId.")
	case p.Status == gateway.PaymentFail:
		return with(wire.StatusFail, p.ResultCode, p.ResultMessage)
	case p.Status == gateway.PaymentCancelled:
		return with(wire.StatusFail, wire.CodeOrderIsCanceled, "The paymentRequestId belongs to a cancelled payment; use a new paymentRequestId.")
	case r.Code != "":
		return with(wire.StatusUnknown, r.Code, r.Message) // the processor's answer for a payment it left PROCESSING
	}
	return with(wire.StatusUnknown, wire.CodePaymentInProcess, "The payment is being processed.")
}

func (s *Server) payV1(ctx context.Context, client gateway.Client, body []byte, rules []gateway.ScenarioRule) (*outcome, error) {
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
	in.Rules = rules
	r, err := s.Service.Pay(ctx, *in)
	if err != nil {
		return nil, err
	}
	if o := ruleOnly(r.Fired, r.Payment == nil); o != nil {
		return o, nil
	}
	res := payResult(r)
	resp := antomgw.PayResponse{Result: res, PaymentRequestID: req.PaymentRequestID}
	if p := r.Payment; p != nil {
		resp.PaymentID = p.ID
		resp.PaymentAmount = amountOf(p.Amount)
		resp.PaymentCreateTime = formatTime(p.CreatedAt)
		resp.PaymentTime = formatTime(p.PaidAt)
		if p.Authorization && p.Status == gateway.PaymentSuccess {
			resp.AuthExpiryTime = formatTime(p.AuthExpiresAt)
		}
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
	o.replay, o.hold, o.fired = r.Replay, r.Hold, r.Fired
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
	if err := firstErr(
		requireString("paymentMethod.paymentMethodType", in.MethodType, 64),
		maxString("paymentMethod.paymentMethodId", in.MethodID, 128),
	); err != nil {
		return nil, err
	}
	if req.Order == nil {
		return nil, illegal("order", "is required")
	}
	if err := firstErr(
		maxString("order.referenceOrderId", req.Order.ReferenceOrderID, 64),
		maxString("order.orderDescription", req.Order.OrderDescription, 256),
	); err != nil {
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
	if f := req.PaymentFactor; f != nil {
		// The service checks the combination (an authorisation is a
		// CASHIER_PAYMENT; MANUAL needs isAuthorization).
		if err := maxString("paymentFactor.captureMode", f.CaptureMode, 64); err != nil {
			return nil, err
		}
		in.Authorization, in.CaptureMode = bool(f.IsAuthorization), f.CaptureMode
	}
	if err := firstErr(
		optionalURL("paymentNotifyUrl", req.PaymentNotifyURL, 2048),
		optionalURL("paymentRedirectUrl", req.PaymentRedirectURL, 2048),
	); err != nil {
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

type payResponseV2 struct {
	Result            wire.Result `json:"result"`
	PaymentRequestID  string      `json:"paymentRequestId,omitempty"`
	PaymentID         string      `json:"paymentId,omitempty"`
	PaymentCreateTime string      `json:"paymentCreateTime,omitempty"`
	PaymentTime       string      `json:"paymentTime,omitempty"`
}

// v2Money reads a v2 amount: value is an Integer in minor units.
func v2Money(field string, a *antomgw.AmountV2) (gateway.Money, error) {
	if a == nil {
		return gateway.Money{}, illegal(field, "is required")
	}
	return money(field, antomgw.Amount{Currency: a.Currency, Value: a.Value.String()}, maxV2Value)
}

func v2Amount(m gateway.Money) *antomgw.AmountV2 {
	return &antomgw.AmountV2{Currency: m.Currency, Value: json.Number(strconv.FormatInt(m.Value, 10))}
}

func (s *Server) payV2(ctx context.Context, client gateway.Client, body []byte, rules []gateway.ScenarioRule) (*outcome, error) {
	var req antomgw.PayRequestV2
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := firstErr(
		requestID("paymentRequestId", req.PaymentRequestID, true),
		requireString("paymentMethod", req.PaymentMethod, 64),
	); err != nil {
		return nil, err
	}
	m, err := v2Money("paymentAmount", req.PaymentAmount)
	if err != nil {
		return nil, err
	}
	if err := firstErr(
		maxString("originalMerchantOrderId", req.OriginalMerchantOrderID, 255),
		maxString("originalMerchantStoreId", req.OriginalMerchantStoreID, 255),
		optionalURL("paymentNotifyUrl", req.PaymentNotifyURL, 2048),
	); err != nil {
		return nil, err
	}
	notifyURL := req.PaymentNotifyURL
	if notifyURL == "" {
		notifyURL = client.NotifyURL
	}
	r, err := s.Service.Pay(ctx, gateway.PayInput{
		ClientID: client.ID, RequestID: req.PaymentRequestID, ProductCode: gateway.ProductInStore,
		Amount: m, MethodType: req.PaymentMethod, ReferenceID: req.OriginalMerchantOrderID,
		NotifyURL: notifyURL, Rules: rules,
	})
	if err != nil {
		return nil, err
	}
	if o := ruleOnly(r.Fired, r.Payment == nil); o != nil {
		return o, nil
	}
	res := payResult(r)
	resp := payResponseV2{Result: res, PaymentRequestID: req.PaymentRequestID}
	if p := r.Payment; p != nil {
		resp.PaymentID = p.ID
		resp.PaymentCreateTime = formatTime(p.CreatedAt)
		resp.PaymentTime = formatTime(p.PaidAt)
	}
	o := respondWith(res, resp)
	o.replay, o.hold, o.fired = r.Replay, r.Hold, r.Fired
	return o, nil
}
