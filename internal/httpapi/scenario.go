package httpapi

import (
	"context"
	"net/http"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// Scenario rules at the edge (docs/simulator.md): the core claims a rule
// with the state change it shapes and returns it with its result; here the
// answer is shaped: a rule's result code, a late answer, no answer, an
// HTTP 5xx.

// ruleResult is the result a result rule answers.
func ruleResult(e gateway.ScenarioEffect) wire.Result {
	res := wire.NewResult(e.ResultCode, e.ResultMessage)
	if st := wire.Status(e.ResultStatus); st.Valid() {
		res.Status = st
	}
	res.Message = clip(res.Message, 256)
	return res
}

// ruleOnly is the answer of a call a result rule answered alone: with no
// record made (bare, when the rule's code records nothing), or nil to
// answer as usual.
func ruleOnly(f *gateway.Fired, bare bool) *outcome {
	if f == nil || f.Effect.Kind != gateway.EffectResult || !bare {
		return nil
	}
	res := ruleResult(f.Effect)
	o := respondWith(res, struct {
		Result wire.Result `json:"result"`
	}{res})
	o.fired = f
	return o
}

// ruleFirst serves an API whose call changes no state a rule must be
// claimed with (inquiries, consult, retrievePaymentSession; cancel, whose
// answer a rule replaces or whose state change it does not alter): the
// rule is claimed in a transaction of
// its own, first. A rule answering S lets the call run; F or U answers
// the rule's code and changes nothing; delay, drop and 5xx shape the
// call's own answer.
func ruleFirst(api gateway.ScenarioAPI, h handler) handler {
	return ruleFirstWith(api, func(body []byte) (gateway.ScenarioCall, error) {
		id, requestID, err := decodeRef(body, api == gateway.ScenarioInquiryRefund)
		ref := id
		if ref == "" {
			ref = requestID
		}
		return gateway.ScenarioCall{API: api, Ref: ref}, err
	}, h)
}

// ruleFirstWith is ruleFirst with what the call offers a rule's match read
// from the body by call. A body call cannot read fires no rule: h answers
// it (with the same PARAM_ILLEGAL).
func ruleFirstWith(api gateway.ScenarioAPI, call func(body []byte) (gateway.ScenarioCall, error), h handler) handler {
	return func(s *Server, ctx context.Context, x *exchange, body []byte) (*outcome, error) {
		rules := x.keys.ScenarioRules(x.clientID, api)
		if len(rules) == 0 {
			return h(s, ctx, x, body)
		}
		c, err := call(body)
		if err != nil {
			return h(s, ctx, x, body)
		}
		c.API = api
		f, err := s.Service.FireScenario(ctx, rules, c)
		if err != nil {
			return nil, err
		}
		if o := ruleOnly(f, f != nil && f.Effect.ResultStatus != string(wire.StatusSuccess)); o != nil {
			return o, nil
		}
		o, err := h(s, ctx, x, body)
		if o != nil {
			o.fired = f
		}
		return o, err
	}
}

// applyRule applies the effect of the rule that shaped out before the
// answer is written: it waits out a delay, sets the status of a 5xx, and
// reports false for a dropped answer (the caller closes the connection).
func (s *Server) applyRule(ctx context.Context, w http.ResponseWriter, x *exchange, out *outcome) bool {
	f := out.fired
	if f == nil {
		return true
	}
	x.ruleID, x.rule = f.RuleID, f.Effect.Describe()
	switch f.Effect.Kind {
	case gateway.EffectDelay:
		s.hold(ctx, w, f.Effect.Delay)
	case gateway.EffectHTTP5xx:
		x.httpStatus = f.Effect.HTTPStatus
	case gateway.EffectDrop:
		return false
	}
	return true
}
