package httpapi

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// --- omnichannel v2 shapes (digest §4.10) -------------------------------------

type amountV2 struct {
	Currency string      `json:"currency"`
	Value    json.Number `json:"value"`
}

type payRequestV2 struct {
	PaymentRequestID        string    `json:"paymentRequestId"`
	PaymentMethod           string    `json:"paymentMethod"`
	PaymentAmount           *amountV2 `json:"paymentAmount"`
	OriginalMerchantOrderID string    `json:"originalMerchantOrderId,omitempty"`
	OriginalMerchantStoreID string    `json:"originalMerchantStoreId,omitempty"`
	PaymentNotifyURL        string    `json:"paymentNotifyUrl,omitempty"`
}

type payResponseV2 struct {
	Result            wire.Result `json:"result"`
	PaymentRequestID  string      `json:"paymentRequestId,omitempty"`
	PaymentID         string      `json:"paymentId,omitempty"`
	PaymentCreateTime string      `json:"paymentCreateTime,omitempty"`
	PaymentTime       string      `json:"paymentTime,omitempty"`
}

type inquiryPaymentResponseV2 struct {
	Result            wire.Result `json:"result"`
	PaymentRequestID  string      `json:"paymentRequestId,omitempty"`
	PaymentID         string      `json:"paymentId,omitempty"`
	PaymentCreateTime string      `json:"paymentCreateTime,omitempty"`
	PaymentTime       string      `json:"paymentTime,omitempty"`
	PaymentStatus     string      `json:"paymentStatus,omitempty"`
	PaymentAmount     *amountV2   `json:"paymentAmount,omitempty"`
	PaymentMethod     string      `json:"paymentMethod,omitempty"`
}

type refundRequestV2 struct {
	RefundRequestID string    `json:"refundRequestId"`
	PaymentID       string    `json:"paymentId"`
	RefundAmount    *amountV2 `json:"refundAmount,omitempty"`
	Memo            string    `json:"memo,omitempty"`
	RefundNotifyURL string    `json:"refundNotifyUrl,omitempty"`
}

type refundResponseV2 struct {
	Result          wire.Result `json:"result"`
	RefundRequestID string      `json:"refundRequestId,omitempty"`
	RefundID        string      `json:"refundId,omitempty"`
	PaymentID       string      `json:"paymentId,omitempty"`
	RefundAmount    *amountV2   `json:"refundAmount,omitempty"`
	RefundTime      string      `json:"refundTime,omitempty"`
}

type inquiryRefundResponseV2 struct {
	Result          wire.Result `json:"result"`
	RefundID        string      `json:"refundId,omitempty"`
	RefundRequestID string      `json:"refundRequestId,omitempty"`
	RefundAmount    *amountV2   `json:"refundAmount,omitempty"`
	RefundStatus    string      `json:"refundStatus,omitempty"`
	RefundTime      string      `json:"refundTime,omitempty"`
}

// v2Money reads a v2 amount: value is an Integer in minor units.
func v2Money(field string, a *amountV2) (gateway.Money, error) {
	if a == nil {
		return gateway.Money{}, illegal(field, "is required")
	}
	return money(field, antomgw.Amount{Currency: a.Currency, Value: a.Value.String()}, maxV2Value)
}

func v2Amount(m gateway.Money) *amountV2 {
	return &amountV2{Currency: m.Currency, Value: json.Number(strconv.FormatInt(m.Value, 10))}
}

func (s *Server) payV2(ctx context.Context, client gateway.Client, body []byte) (*outcome, error) {
	var req payRequestV2
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := requestID("paymentRequestId", req.PaymentRequestID, true); err != nil {
		return nil, err
	}
	if err := requireString("paymentMethod", req.PaymentMethod, 64); err != nil {
		return nil, err
	}
	m, err := v2Money("paymentAmount", req.PaymentAmount)
	if err != nil {
		return nil, err
	}
	if err := maxString("originalMerchantOrderId", req.OriginalMerchantOrderID, 255); err != nil {
		return nil, err
	}
	if err := maxString("originalMerchantStoreId", req.OriginalMerchantStoreID, 255); err != nil {
		return nil, err
	}
	if err := optionalURL("paymentNotifyUrl", req.PaymentNotifyURL, 2048); err != nil {
		return nil, err
	}
	notifyURL := req.PaymentNotifyURL
	if notifyURL == "" {
		notifyURL = client.NotifyURL
	}
	r, err := s.Service.Pay(ctx, gateway.PayInput{
		ClientID: client.ID, RequestID: req.PaymentRequestID, ProductCode: gateway.ProductInStore,
		Amount: m, MethodType: req.PaymentMethod, ReferenceID: req.OriginalMerchantOrderID,
		NotifyURL: notifyURL,
	})
	if err != nil {
		return nil, err
	}
	res := payResult(r)
	resp := payResponseV2{Result: res, PaymentRequestID: req.PaymentRequestID}
	if p := r.Payment; p != nil {
		resp.PaymentID = p.ID
		resp.PaymentCreateTime = formatTime(p.CreatedAt)
		resp.PaymentTime = formatTime(p.PaidAt)
	}
	o := respondWith(res, resp)
	o.replay, o.hold = r.Replay, r.Hold
	return o, nil
}

// --- inquiryPayment -----------------------------------------------------------

func (s *Server) inquiryPayment(ctx context.Context, clientID string, fam Family, body []byte) (*outcome, error) {
	var req antomgw.InquiryPaymentRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := lookupIDs("paymentId", req.PaymentID, "paymentRequestId", req.PaymentRequestID); err != nil {
		return nil, err
	}
	p, refunds, err := s.Service.InquirePayment(ctx, clientID, req.PaymentID, req.PaymentRequestID)
	if err != nil {
		return nil, err
	}
	res := wire.NewResult(wire.CodeSuccess, "")
	if fam == FamilyV2 {
		return respondWith(res, inquiryPaymentResponseV2{
			Result: res, PaymentRequestID: p.RequestID, PaymentID: p.ID,
			PaymentCreateTime: formatTime(p.CreatedAt), PaymentTime: formatTime(p.PaidAt),
			PaymentStatus: string(p.Status), PaymentAmount: v2Amount(p.Amount), PaymentMethod: p.MethodType,
		}), nil
	}
	resp := antomgw.InquiryPaymentResponse{
		Result: res, PaymentStatus: string(p.Status), PaymentRequestID: p.RequestID, PaymentID: p.ID,
		PaymentAmount: amountOf(p.Amount), PaymentCreateTime: formatTime(p.CreatedAt),
		PaymentMethodType: p.MethodType,
	}
	if p.Status == gateway.PaymentSuccess {
		resp.PaymentTime = formatTime(p.PaidAt)
	}
	if p.Status.Final() {
		resp.PaymentResultCode, resp.PaymentResultMessage = p.ResultCode, p.ResultMessage
	}
	for _, r := range refunds {
		t := antomgw.Transaction{
			TransactionType: "REFUND", TransactionStatus: string(r.Status),
			TransactionRequestID: r.RequestID, TransactionID: r.ID,
			TransactionAmount: amountOf(r.Amount), TransactionTime: formatTime(r.RefundedAt),
		}
		if r.ResultCode != "" {
			tr := wire.NewResult(r.ResultCode, r.ResultMessage)
			t.TransactionResult = &tr
		}
		resp.Transactions = append(resp.Transactions, t)
	}
	if p.Status == gateway.PaymentCancelled {
		resp.Transactions = append(resp.Transactions, antomgw.Transaction{
			TransactionType: "CANCEL", TransactionStatus: "SUCCESS",
			TransactionID: p.ID, TransactionTime: formatTime(p.CancelledAt),
		})
	}
	return respondWith(res, resp), nil
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

// --- cancel -------------------------------------------------------------------

func (s *Server) cancel(ctx context.Context, clientID string, body []byte) (*outcome, error) {
	var req antomgw.CancelRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := lookupIDs("paymentId", req.PaymentID, "paymentRequestId", req.PaymentRequestID); err != nil {
		return nil, err
	}
	p, err := s.Service.Cancel(ctx, clientID, req.PaymentID, req.PaymentRequestID)
	if err != nil {
		return nil, err
	}
	res := wire.NewResult(wire.CodeSuccess, "")
	return respondWith(res, antomgw.CancelResponse{
		Result: res, PaymentID: p.ID, PaymentRequestID: p.RequestID, CancelTime: formatTime(p.CancelledAt),
	}), nil
}

// --- refund -------------------------------------------------------------------

func (s *Server) refund(ctx context.Context, clientID string, fam Family, body []byte) (*outcome, error) {
	var in gateway.RefundInput
	in.ClientID = clientID
	if fam == FamilyV2 {
		var req refundRequestV2
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		if err := requestID("refundRequestId", req.RefundRequestID, true); err != nil {
			return nil, err
		}
		if err := requireString("paymentId", req.PaymentID, 64); err != nil {
			return nil, err
		}
		if err := maxString("memo", req.Memo, 256); err != nil {
			return nil, err
		}
		if err := optionalURL("refundNotifyUrl", req.RefundNotifyURL, 1024); err != nil {
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
		if err := requestID("refundRequestId", req.RefundRequestID, false); err != nil {
			return nil, err
		}
		if err := requireString("paymentId", req.PaymentID, 64); err != nil {
			return nil, err
		}
		m, err := money("refundAmount", req.RefundAmount, maxMinorUnits)
		if err != nil {
			return nil, err
		}
		if err := maxString("refundReason", req.RefundReason, 256); err != nil {
			return nil, err
		}
		if err := maxString("referenceRefundId", req.ReferenceRefundID, 64); err != nil {
			return nil, err
		}
		if err := optionalURL("refundNotifyUrl", req.RefundNotifyURL, 1024); err != nil {
			return nil, err
		}
		in.RequestID, in.PaymentID, in.Amount = req.RefundRequestID, req.PaymentID, m
		in.Reason, in.ReferenceID, in.NotifyURL, in.Async = req.RefundReason, req.ReferenceRefundID, req.RefundNotifyURL, bool(req.IsAsyncRefund)
	}
	r, err := s.Service.Refund(ctx, in)
	if err != nil {
		return nil, err
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
	return o, nil
}

// --- inquiryRefund ------------------------------------------------------------

func (s *Server) inquiryRefund(ctx context.Context, clientID string, fam Family, body []byte) (*outcome, error) {
	var req antomgw.InquiryRefundRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := lookupIDs("refundId", req.RefundID, "refundRequestId", req.RefundRequestID); err != nil {
		return nil, err
	}
	r, err := s.Service.InquireRefund(ctx, clientID, req.RefundID, req.RefundRequestID)
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
