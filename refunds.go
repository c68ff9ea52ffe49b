package antomgw

import "context"

// Refund refunds all or part of a successful payment (refund).
// req.RefundRequestID is the idempotency key: sending the same request
// again never refunds twice. An asynchronous refund (IsAsyncRefund)
// answers U while it is processed; inquire it with InquiryRefund or wait
// for its notifyRefund. Errors are as for Pay.
//
// In FamilyOmnichannel the v2 body is sent: memo is req.RefundReason, and a
// zero req.RefundAmount is left out, which asks for a full refund.
func (c *Client) Refund(ctx context.Context, req *RefundRequest) (*RefundResponse, error) {
	if c.cfg.Family != FamilyOmnichannel {
		return call[RefundResponse](ctx, c, APIRefund, req)
	}
	amount, err := toAmountV2("refundAmount", req.RefundAmount)
	if err != nil {
		return nil, err
	}
	return call[RefundResponse](ctx, c, APIRefund, &RefundRequestV2{
		RefundRequestID: req.RefundRequestID, PaymentID: req.PaymentID, RefundAmount: amount,
		Memo: req.RefundReason, RefundNotifyURL: req.RefundNotifyURL,
	})
}

// InquiryRefund asks for a refund's state (inquiryRefund) by req.RefundID
// or req.RefundRequestID. Result says whether the inquiry worked;
// RefundStatus is the refund's state (RefundStatusSuccess, …). Errors are
// as for Pay.
func (c *Client) InquiryRefund(ctx context.Context, req *InquiryRefundRequest) (*InquiryRefundResponse, error) {
	return call[InquiryRefundResponse](ctx, c, APIInquiryRefund, req)
}
