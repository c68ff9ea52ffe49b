package httpapi

import (
	"context"
	"slices"
	"strconv"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

func createSessionHandler(s *Server, ctx context.Context, x *exchange, body []byte) (*outcome, error) {
	return s.createSession(ctx, x.client, body, x.keys.ScenarioRules(x.clientID, gateway.ScenarioCreateSession))
}

func retrieveSessionHandler(s *Server, ctx context.Context, x *exchange, body []byte) (*outcome, error) {
	return s.retrieveSession(ctx, x.clientID, body)
}

func (s *Server) createSession(ctx context.Context, client gateway.Client, body []byte, rules []gateway.ScenarioRule) (*outcome, error) {
	var req antomgw.CreatePaymentSessionRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	in, err := sessionInput(client, &req)
	if err != nil {
		return nil, err
	}
	in.Rules = rules
	r, err := s.Service.CreateSession(ctx, *in)
	if err != nil {
		return nil, err
	}
	if o := ruleOnly(r.Fired, r.Session == nil && r.Fired != nil && r.Fired.Effect.ResultStatus != string(wire.StatusSuccess)); o != nil {
		return o, nil // a rule's F or U: no session was created
	}
	var res wire.Result
	switch {
	case r.NoOptions:
		res = wire.NewResult(codeNoPayOptions, "No payment method can pay this amount and currency (see consult); nothing was created.")
	case r.Closed:
		res = wire.NewResult(wire.CodeOrderIsClosed, "The payment session of this paymentRequestId expired unpaid; use a new paymentRequestId.")
	default:
		res = wire.NewResult(wire.CodeSuccess, "success")
	}
	resp := antomgw.CreatePaymentSessionResponse{Result: res}
	if sess := r.Session; sess != nil {
		resp.PaymentSessionID = sess.ID
		resp.PaymentSessionData = sess.Data
		resp.PaymentSessionExpiryTime = formatTime(sess.ExpiresAt)
		resp.NormalURL = sess.URL
	}
	o := respondWith(res, resp)
	o.fired = r.Fired
	return o, nil
}

// sessionInput checks a createPaymentSession request.
func sessionInput(client gateway.Client, req *antomgw.CreatePaymentSessionRequest) (*gateway.SessionInput, error) {
	if err := cashierProduct(req.ProductCode); err != nil {
		return nil, err
	}
	if err := requestID("paymentRequestId", req.PaymentRequestID, false); err != nil {
		return nil, err
	}
	m, err := money("paymentAmount", req.PaymentAmount, maxMinorUnits)
	if err != nil {
		return nil, err
	}
	if req.Order == nil {
		return nil, illegal("order", "is required")
	}
	if req.PaymentRedirectURL == "" {
		return nil, illegal("paymentRedirectUrl", "is required: where the checkout page sends the buyer back")
	}
	in := &gateway.SessionInput{
		ClientID: client.ID, RequestID: req.PaymentRequestID, ProductCode: req.ProductCode,
		ProductScene: req.ProductScene, Amount: m, ReferenceID: req.Order.ReferenceOrderID,
		OrderDescription: req.Order.OrderDescription, NotifyURL: req.PaymentNotifyURL,
		RedirectURL: req.PaymentRedirectURL, UserRegion: req.UserRegion,
	}
	if req.Env != nil {
		in.TerminalType = req.Env.TerminalType
	}
	if err := firstErr(
		maxString("order.referenceOrderId", req.Order.ReferenceOrderID, 64),
		maxString("order.orderDescription", req.Order.OrderDescription, 256),
		optionalURL("paymentRedirectUrl", req.PaymentRedirectURL, 2048),
		optionalURL("paymentNotifyUrl", req.PaymentNotifyURL, 2048),
		terminalType(in.TerminalType, false),
		region("userRegion", req.UserRegion),
		region("merchantRegion", req.MerchantRegion),
		maxString("locale", req.Locale, 8),
	); err != nil {
		return nil, err
	}
	switch req.ProductScene {
	case "", gateway.SceneCheckout, gateway.SceneElement:
	default:
		return nil, illegal("productScene", "%q is not CHECKOUT_PAYMENT or ELEMENT_PAYMENT", clip(req.ProductScene, 32))
	}
	if st := req.SettlementStrategy; st != nil && st.SettlementCurrency != "" {
		if err := checkCurrency("settlementStrategy.settlementCurrency", st.SettlementCurrency, 0); err != nil {
			return nil, err
		}
	}
	if f := req.PaymentFactor; f != nil {
		// Checked by the service (gateway.CheckAuthorization), as for pay.
		in.IsAuthorization, in.CaptureMode = bool(f.IsAuthorization), f.CaptureMode
	}
	methods, err := sessionMethods(req)
	if err != nil {
		return nil, err
	}
	in.Methods = methods
	if req.PaymentSessionExpiryTime != "" {
		t, err := wire.ParseTime(req.PaymentSessionExpiryTime)
		if err != nil {
			return nil, illegal("paymentSessionExpiryTime", "is not an ISO 8601 time with an offset")
		}
		in.ExpiresAt = t // its bounds are the service's to check, after the duplicate lookup
	}
	if in.NotifyURL == "" {
		in.NotifyURL = client.NotifyURL
	}
	return in, nil
}

// sessionMethods returns the methods a session offers, in order:
// availablePaymentMethod's list by paymentMethodOrder (lower first, ties
// as listed), or paymentMethod's one type, which must then be in the list
// when both are given; none when neither is.
func sessionMethods(req *antomgw.CreatePaymentSessionRequest) ([]string, error) {
	var methods []string
	if a := req.AvailablePaymentMethod; a != nil {
		type item struct {
			method string
			order  int64
		}
		items := make([]item, 0, len(a.PaymentMethodTypeList))
		for i, it := range a.PaymentMethodTypeList {
			field := "availablePaymentMethod.paymentMethodTypeList[" + strconv.Itoa(i) + "]"
			if err := requireString(field+".paymentMethodType", it.PaymentMethodType, 64); err != nil {
				return nil, err
			}
			var order int64
			if it.PaymentMethodOrder != "" {
				n, err := strconv.ParseInt(it.PaymentMethodOrder.String(), 10, 32)
				if err != nil {
					return nil, illegal(field+".paymentMethodOrder", "%q is not an integer", clip(it.PaymentMethodOrder.String(), 16))
				}
				order = n
			}
			items = append(items, item{it.PaymentMethodType, order})
		}
		slices.SortStableFunc(items, func(a, b item) int {
			switch {
			case a.order < b.order:
				return -1
			case a.order > b.order:
				return 1
			}
			return 0
		})
		for _, it := range items {
			if !slices.Contains(methods, it.method) {
				methods = append(methods, it.method)
			}
		}
	}
	if pm := req.PaymentMethod; pm != nil && pm.PaymentMethodType != "" {
		if err := maxString("paymentMethod.paymentMethodType", pm.PaymentMethodType, 64); err != nil {
			return nil, err
		}
		if len(methods) > 0 && !slices.Contains(methods, pm.PaymentMethodType) {
			return nil, illegal("paymentMethod.paymentMethodType", "%q is not in availablePaymentMethod.paymentMethodTypeList", clip(pm.PaymentMethodType, 64))
		}
		methods = []string{pm.PaymentMethodType}
	}
	return methods, nil
}

// retrieveSessionRequest is the body of retrievePaymentSession in either
// spelling: the official Python SDK sends payment_request_id.
type retrieveSessionRequest struct {
	PaymentRequestID      string `json:"paymentRequestId"`
	PaymentRequestIDSnake string `json:"payment_request_id"`
}

// retrieveSessionID reads the paymentRequestId of a
// retrievePaymentSession, in either spelling.
func retrieveSessionID(body []byte) (string, error) {
	var req retrieveSessionRequest
	if err := decode(body, &req); err != nil {
		return "", err
	}
	id := req.PaymentRequestID
	switch {
	case id == "":
		id = req.PaymentRequestIDSnake
	case req.PaymentRequestIDSnake != "" && req.PaymentRequestIDSnake != id:
		return "", illegal("paymentRequestId", "paymentRequestId and payment_request_id differ; send one")
	}
	return id, requestID("paymentRequestId", id, false)
}

// retrieveSessionCall is what a retrievePaymentSession offers a scenario
// rule's match: its paymentRequestId.
func retrieveSessionCall(body []byte) (gateway.ScenarioCall, error) {
	id, err := retrieveSessionID(body)
	return gateway.ScenarioCall{Ref: id}, err
}

func (s *Server) retrieveSession(ctx context.Context, clientID string, body []byte) (*outcome, error) {
	id, err := retrieveSessionID(body)
	if err != nil {
		return nil, err
	}
	r, err := s.Service.RetrieveSession(ctx, clientID, id)
	if err != nil {
		return nil, err
	}
	sess := r.Session
	res := wire.NewResult(wire.CodeSuccess, "success")
	resp := antomgw.RetrievePaymentSessionResponse{
		Result: res, PaymentRequestID: sess.RequestID, PaymentSessionID: sess.ID,
		PaymentSessionStatus: string(r.State), PaymentSessionExpiryTime: formatTime(sess.ExpiresAt),
		PaymentAmount: amountOf(sess.Amount),
		Order:         &antomgw.Order{ReferenceOrderID: sess.ReferenceID, OrderDescription: sess.OrderDescription},
	}
	if p := r.Payment; p != nil {
		resp.PaymentID, resp.PaymentStatus = p.ID, string(p.Status)
	}
	return respondWith(res, resp), nil
}
