package httpapi

import (
	"context"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

type refundResponseV2 struct {
	Result          wire.Result       `json:"result"`
	RefundRequestID string            `json:"refundRequestId,omitempty"`
	RefundID        string            `json:"refundId,omitempty"`
	PaymentID       string            `json:"paymentId,omitempty"`
	RefundAmount    *antomgw.AmountV2 `json:"refundAmount,omitempty"`
	RefundTime      string            `json:"refundTime,omitempty"`
}

type inquiryRefundResponseV2 struct {
	Result          wire.Result       `json:"result"`
	RefundID        string            `json:"refundId,omitempty"`
	RefundRequestID string            `json:"refundRequestId,omitempty"`
	RefundAmount    *antomgw.AmountV2 `json:"refundAmount,omitempty"`
	RefundStatus    string            `json:"refundStatus,omitempty"`
	RefundTime      string            `json:"refundTime,omitempty"`
}

func (s *Server) refund(ctx context.Context, clientID string, fam Family, body []byte, rules []gateway.ScenarioRule) (*outcome, error) {
	var in gateway.RefundInput
	in.ClientID, in.Rules = clientID, rules
	if fam == FamilyV2 {
		var req antomgw.RefundRequestV2
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		if err := firstErr(
			requestID("refundRequestId", req.RefundRequestID, true),
			requireString("paymentId", req.PaymentID, 64),
			maxString("memo", req.Memo, 256),
			optionalURL("refundNotifyUrl", req.RefundNotifyURL, 1024),
		); err != nil {
			return nil, err
		}
		in.RequestID, in.PaymentID, in.Reason, in.NotifyURL = req.RefundRequestID, req.PaymentID, req.Memo, req.RefundNotifyURL
		if req.RefundAmount != nil {
			m, err := v2Money("refundAmount", req.RefundAmount)
			if err != nil {
				return nil, err
			}
			in.Amount = m
		}
		// No refundAmount: the gateway refunds what is left of the payment.
	} else {
		var req antomgw.RefundRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		if err := firstErr(
			requestID("refundRequestId", req.RefundRequestID, false),
			requireString("paymentId", req.PaymentID, 64),
		); err != nil {
			return nil, err
		}
		m, err := money("refundAmount", req.RefundAmount, maxMinorUnits)
		if err != nil {
			return nil, err
		}
		if err := firstErr(
			maxString("refundReason", req.RefundReason, 256),
			maxString("referenceRefundId", req.ReferenceRefundID, 64),
			optionalURL("refundNotifyUrl", req.RefundNotifyURL, 1024),
		); err != nil {
			return nil, err
		}
		in.RequestID, in.PaymentID, in.Amount = req.RefundRequestID, req.PaymentID, m
		in.Reason, in.ReferenceID, in.NotifyURL, in.Async = req.RefundReason, req.ReferenceRefundID, req.RefundNotifyURL, bool(req.IsAsyncRefund)
	}
	r, err := s.Service.Refund(ctx, in)
	if err != nil {
		return nil, err
	}
	if o := ruleOnly(r.Fired, r.Refund == nil); o != nil {
		return o, nil
	}
	rf := r.Refund
	var res wire.Result
	switch rf.Status {
	case gateway.RefundSuccess:
		res = wire.NewResult(wire.CodeSuccess, "")
	case gateway.RefundFail:
		res = wire.NewResult(rf.ResultCode, rf.ResultMessage)
		res.Status = wire.StatusFail
	default:
		res = wire.NewResult(wire.CodeRefundInProcess, "The refund is being processed; inquire the refund or wait for notifyRefund.")
		if f := r.Fired; f != nil && f.Effect.Kind == gateway.EffectResult && !r.Replay {
			res = ruleResult(f.Effect) // a rule's U answer
		}
	}
	var o *outcome
	if fam == FamilyV2 {
		o = respondWith(res, refundResponseV2{
			Result: res, RefundRequestID: rf.RequestID, RefundID: rf.ID, PaymentID: rf.PaymentID,
			RefundAmount: v2Amount(rf.Amount), RefundTime: formatTime(rf.RefundedAt),
		})
	} else {
		o = respondWith(res, antomgw.RefundResponse{
			Result: res, RefundRequestID: rf.RequestID, RefundID: rf.ID, PaymentID: rf.PaymentID,
			RefundAmount: amountOf(rf.Amount), RefundTime: formatTime(rf.RefundedAt),
		})
	}
	o.replay = r.Replay && rf.Status != gateway.RefundProcessing
	o.fired = r.Fired
	return o, nil
}

func (s *Server) inquiryRefund(ctx context.Context, clientID string, fam Family, body []byte) (*outcome, error) {
	id, requestID, err := decodeRef(body, true)
	if err != nil {
		return nil, err
	}
	r, err := s.Service.InquireRefund(ctx, clientID, id, requestID)
	if err != nil {
		return nil, err
	}
	res := wire.NewResult(wire.CodeSuccess, "")
	if fam == FamilyV2 {
		return respondWith(res, inquiryRefundResponseV2{
			Result: res, RefundID: r.ID, RefundRequestID: r.RequestID, RefundAmount: v2Amount(r.Amount),
			RefundStatus: string(r.Status), RefundTime: formatTime(r.RefundedAt),
		}), nil
	}
	return respondWith(res, antomgw.InquiryRefundResponse{
		Result: res, RefundID: r.ID, RefundRequestID: r.RequestID, RefundAmount: amountOf(r.Amount),
		RefundStatus: string(r.Status), RefundTime: formatTime(r.RefundedAt),
	}), nil
}
