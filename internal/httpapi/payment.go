package httpapi

import (
	"context"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

type inquiryPaymentResponseV2 struct {
	Result            wire.Result       `json:"result"`
	PaymentRequestID  string            `json:"paymentRequestId,omitempty"`
	PaymentID         string            `json:"paymentId,omitempty"`
	PaymentCreateTime string            `json:"paymentCreateTime,omitempty"`
	PaymentTime       string            `json:"paymentTime,omitempty"`
	PaymentStatus     string            `json:"paymentStatus,omitempty"`
	PaymentAmount     *antomgw.AmountV2 `json:"paymentAmount,omitempty"`
	PaymentMethod     string            `json:"paymentMethod,omitempty"`
}

func (s *Server) inquiryPayment(ctx context.Context, clientID string, fam Family, body []byte) (*outcome, error) {
	id, requestID, err := decodeRef(body, false)
	if err != nil {
		return nil, err
	}
	p, refunds, err := s.Service.InquirePayment(ctx, clientID, id, requestID)
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

func (s *Server) cancel(ctx context.Context, clientID string, body []byte) (*outcome, error) {
	id, requestID, err := decodeRef(body, false)
	if err != nil {
		return nil, err
	}
	p, err := s.Service.Cancel(ctx, clientID, id, requestID)
	if err != nil {
		return nil, err
	}
	res := wire.NewResult(wire.CodeSuccess, "")
	return respondWith(res, antomgw.CancelResponse{
		Result: res, PaymentID: p.ID, PaymentRequestID: p.RequestID, CancelTime: formatTime(p.CancelledAt),
	}), nil
}
