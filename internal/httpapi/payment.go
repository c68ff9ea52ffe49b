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
	if p.Authorization {
		resp.AuthExpiryTime = formatTime(p.AuthExpiresAt)
		captures, err := s.Service.Captures(ctx, clientID, p.ID)
		if err != nil {
			return nil, err
		}
		resp.Transactions = append(resp.Transactions, captureTransactions(captures)...)
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
	switch {
	case p.AuthState == gateway.AuthVoided || p.AuthState == gateway.AuthExpired:
		resp.Transactions = append(resp.Transactions, voidTransaction(p))
	case p.Status == gateway.PaymentCancelled:
		resp.Transactions = append(resp.Transactions, antomgw.Transaction{
			TransactionType: antomgw.TransactionCancel, TransactionStatus: "SUCCESS",
			TransactionID: p.ID, TransactionTime: formatTime(p.CancelledAt),
		})
	}
	return respondWith(res, resp), nil
}

// captureTransactions are the CAPTURE entries of an authorisation's
// transactions, oldest first: one per capture request, FAIL and
// PROCESSING ones too, the gateway's own in AUTOMATIC mode included.
func captureTransactions(captures []*gateway.Capture) []antomgw.Transaction {
	out := make([]antomgw.Transaction, 0, len(captures))
	for _, c := range captures {
		at := c.CapturedAt
		if at.IsZero() {
			at = c.UpdatedAt
		}
		t := antomgw.Transaction{
			TransactionType: antomgw.TransactionCapture, TransactionStatus: string(c.Status),
			TransactionRequestID: c.RequestID, TransactionID: c.ID,
			TransactionAmount: amountOf(c.Amount), TransactionTime: formatTime(at),
		}
		if c.Status != gateway.CaptureProcessing {
			tr := captureResult(c)
			t.TransactionResult = &tr
		}
		out = append(out, t)
	}
	return out
}

// voidTransaction is the VOID entry of an authorisation whose held amount
// (or its uncaptured rest) was released: by cancel, or at authExpiryTime.
func voidTransaction(p *gateway.Payment) antomgw.Transaction {
	t := antomgw.Transaction{TransactionType: antomgw.TransactionVoid, TransactionStatus: "SUCCESS", TransactionID: p.ID,
		TransactionAmount: amountOf(gateway.Money{Value: p.Amount.Value - p.Captured, Currency: p.Amount.Currency})}
	res := wire.NewResult(wire.CodeSuccess, "The authorisation was voided by the merchant (cancel).")
	t.TransactionTime = formatTime(p.CancelledAt)
	if p.AuthState == gateway.AuthExpired {
		res.Message = "The authorisation expired at authExpiryTime; what was not captured was released."
		t.TransactionTime = formatTime(p.AuthExpiresAt)
	}
	t.TransactionResult = &res
	return t
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
