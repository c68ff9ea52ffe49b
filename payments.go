package antomgw

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// Pay creates a payment (pay): any in-store scenario (PaymentCode,
// OrderCode, EntryCode) or a cashier payment, as req says.
// req.PaymentRequestID is the idempotency key: sending the same request
// again (as the SDK's retries do) never creates a second payment.
//
// A verified S answer returns the response and nil. A verified F or U
// answer returns the response and an *Error carrying its result: the
// response is still worth reading (a U PAYMENT_IN_PROCESS carries the
// paymentId and, for OrderCode and EntryCode, what to show the user).
// Without a verified answer Pay returns nil and an error; IsUnknown
// reports whether the payment may nonetheless exist (then inquire, or use
// ResolvePayment).
//
// In FamilyOmnichannel the v2 body is sent: paymentMethod is
// req.PaymentMethod.PaymentMethodType, originalMerchantOrderId is
// req.Order.ReferenceOrderID, originalMerchantStoreId is
// store.referenceStoreId of req.Order.Merchant, and the amount must be an
// integer.
func (c *Client) Pay(ctx context.Context, req *PayRequest) (*PayResponse, error) {
	if c.cfg.Family != FamilyOmnichannel {
		return call[PayResponse](ctx, c, APIPay, req)
	}
	v2, err := payV2(req)
	if err != nil {
		return nil, err
	}
	return call[PayResponse](ctx, c, APIPay, v2)
}

// InquiryPayment asks for a payment's state (inquiryPayment) by
// req.PaymentID or req.PaymentRequestID. Result says whether the inquiry
// worked; PaymentStatus is the payment's state (PaymentStatusSuccess, …).
// Errors are as for Pay; a payment the gateway does not know is an F
// ORDER_NOT_EXIST.
func (c *Client) InquiryPayment(ctx context.Context, req *InquiryPaymentRequest) (*InquiryPaymentResponse, error) {
	if c.cfg.Family != FamilyOmnichannel {
		return call[InquiryPaymentResponse](ctx, c, APIInquiryPayment, req)
	}
	r, err := call[inquiryPaymentResponseV2](ctx, c, APIInquiryPayment, req)
	if r == nil {
		return nil, err
	}
	return &InquiryPaymentResponse{
		Result: r.Result, PaymentStatus: r.PaymentStatus, PaymentRequestID: r.PaymentRequestID,
		PaymentID: r.PaymentID, PaymentAmount: r.PaymentAmount, PaymentCreateTime: r.PaymentCreateTime,
		PaymentTime: r.PaymentTime, PaymentMethodType: r.PaymentMethod,
		PaymentResultCode: r.PaymentResultCode, PaymentResultMessage: r.PaymentResultMessage,
	}, err
}

// CancelPayment cancels a payment (cancel) by req.PaymentID or
// req.PaymentRequestID: one still in process at once (a completion
// arriving later loses), a successful one inside the gateway's cancel
// window (the funds are reversed). Cancelling a cancelled payment succeeds
// again, so a cancel may be retried freely. Errors are as for Pay.
func (c *Client) CancelPayment(ctx context.Context, req *CancelRequest) (*CancelResponse, error) {
	return call[CancelResponse](ctx, c, APICancel, req)
}

// --- omnichannel v2 wire shapes (digest §4.10) --------------------------------

// AmountV2 is an omnichannel v2 amount: Value is a JSON integer in minor
// units.
type AmountV2 struct {
	Currency string      `json:"currency"`
	Value    json.Number `json:"value"`
}

// PayRequestV2 is the body of pay in omnichannel v2, what Pay sends for
// FamilyOmnichannel: the payment method is a plain string and the amount
// an integer.
type PayRequestV2 struct {
	PaymentRequestID        string    `json:"paymentRequestId"`
	PaymentMethod           string    `json:"paymentMethod"`
	PaymentAmount           *AmountV2 `json:"paymentAmount,omitempty"`
	OriginalMerchantOrderID string    `json:"originalMerchantOrderId,omitempty"`
	OriginalMerchantStoreID string    `json:"originalMerchantStoreId,omitempty"`
	PaymentNotifyURL        string    `json:"paymentNotifyUrl,omitempty"`
}

type inquiryPaymentResponseV2 struct {
	Result               Result  `json:"result"`
	PaymentRequestID     string  `json:"paymentRequestId"`
	PaymentID            string  `json:"paymentId"`
	PaymentCreateTime    string  `json:"paymentCreateTime"`
	PaymentTime          string  `json:"paymentTime"`
	PaymentStatus        string  `json:"paymentStatus"`
	PaymentAmount        *Amount `json:"paymentAmount"` // Amount reads the integer value
	PaymentMethod        string  `json:"paymentMethod"`
	PaymentResultCode    string  `json:"paymentResultCode"`
	PaymentResultMessage string  `json:"paymentResultMessage"`
}

// RefundRequestV2 is the body of refund in omnichannel v2. Without
// RefundAmount the gateway refunds what is left of the payment.
type RefundRequestV2 struct {
	RefundRequestID string    `json:"refundRequestId"`
	PaymentID       string    `json:"paymentId"`
	RefundAmount    *AmountV2 `json:"refundAmount,omitempty"`
	Memo            string    `json:"memo,omitempty"`
	RefundNotifyURL string    `json:"refundNotifyUrl,omitempty"`
}

// toAmountV2 converts an amount to the v2 shape; a zero Amount is nil (the
// field is left out).
func toAmountV2(field string, a Amount) (*AmountV2, error) {
	if a == (Amount{}) {
		return nil, nil
	}
	n, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("antomgw: %s.value %q: omnichannel v2 amounts are integers in minor units", field, a.Value)
	}
	return &AmountV2{Currency: a.Currency, Value: json.Number(strconv.FormatInt(n, 10))}, nil
}

func payV2(req *PayRequest) (*PayRequestV2, error) {
	amount, err := toAmountV2("paymentAmount", req.PaymentAmount)
	if err != nil {
		return nil, err
	}
	v2 := &PayRequestV2{
		PaymentRequestID: req.PaymentRequestID,
		PaymentMethod:    req.PaymentMethod.PaymentMethodType,
		PaymentAmount:    amount,
		PaymentNotifyURL: req.PaymentNotifyURL,
	}
	if o := req.Order; o != nil {
		v2.OriginalMerchantOrderID = o.ReferenceOrderID
		if len(o.Merchant) > 0 {
			var m struct {
				Store struct {
					ReferenceStoreID string `json:"referenceStoreId"`
				} `json:"store"`
			}
			if err := json.Unmarshal(o.Merchant, &m); err != nil {
				return nil, fmt.Errorf("antomgw: order.merchant: %w", err)
			}
			v2.OriginalMerchantStoreID = m.Store.ReferenceStoreID
		}
	}
	return v2, nil
}
