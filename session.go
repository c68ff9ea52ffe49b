package antomgw

import (
	"context"
	"encoding/json"
)

// Product scenes (CreatePaymentSessionRequest.ProductScene).
const (
	// SceneCheckoutPayment: the buyer pays on the hosted checkout page,
	// CreatePaymentSessionResponse.NormalURL.
	SceneCheckoutPayment = "CHECKOUT_PAYMENT"
	// SceneElementPayment: the merchant's page embeds the payment
	// element, which takes PaymentSessionData.
	SceneElementPayment = "ELEMENT_PAYMENT"
)

// Payment session states (RetrievePaymentSessionResponse.PaymentSessionStatus).
const (
	SessionStatusActive    = "ACTIVE"    // waiting for the buyer
	SessionStatusExpired   = "EXPIRED"   // ran out before the buyer submitted; no payment
	SessionStatusCompleted = "COMPLETED" // the buyer submitted; see PaymentStatus
)

// PaymentMethodTypeItem is one method of a session's
// AvailablePaymentMethod; a lower PaymentMethodOrder is shown earlier.
type PaymentMethodTypeItem struct {
	PaymentMethodType  string      `json:"paymentMethodType"`
	PaymentMethodOrder json.Number `json:"paymentMethodOrder,omitempty"`
}

// AvailablePaymentMethod limits (and orders) the methods a session's
// checkout page offers.
type AvailablePaymentMethod struct {
	PaymentMethodTypeList []PaymentMethodTypeItem `json:"paymentMethodTypeList,omitempty"`
}

// CreatePaymentSessionRequest is the body of createPaymentSession.
// PaymentRequestID is the idempotency key of the session and of the
// payment the buyer makes in it.
type CreatePaymentSessionRequest struct {
	// ProductCode is CASHIER_PAYMENT (ProductCashier).
	ProductCode        string `json:"productCode"`
	PaymentRequestID   string `json:"paymentRequestId"`
	Order              *Order `json:"order,omitempty"`
	PaymentAmount      Amount `json:"paymentAmount"`
	PaymentRedirectURL string `json:"paymentRedirectUrl,omitempty"`
	PaymentNotifyURL   string `json:"paymentNotifyUrl,omitempty"`
	// PaymentMethod, when set, is the one method the buyer may use.
	PaymentMethod *PaymentMethod `json:"paymentMethod,omitempty"`
	// PaymentFactor carries IsAuthorization and CaptureMode for an
	// authorisation.
	PaymentFactor      *PaymentFactor      `json:"paymentFactor,omitempty"`
	SettlementStrategy *SettlementStrategy `json:"settlementStrategy,omitempty"`
	// PaymentSessionExpiryTime (ISO 8601) is when the session ends: at
	// most an hour after the request, which is also the default.
	PaymentSessionExpiryTime string                  `json:"paymentSessionExpiryTime,omitempty"`
	ProductScene             string                  `json:"productScene,omitempty"`
	AvailablePaymentMethod   *AvailablePaymentMethod `json:"availablePaymentMethod,omitempty"`
	Locale                   string                  `json:"locale,omitempty"`
	Env                      *Env                    `json:"env,omitempty"`
	UserRegion               string                  `json:"userRegion,omitempty"`
	MerchantRegion           string                  `json:"merchantRegion,omitempty"`
}

// CreatePaymentSessionResponse is the answer of createPaymentSession.
type CreatePaymentSessionResponse struct {
	Result Result `json:"result"`
	// PaymentSessionID names the session; PaymentSessionData is what the
	// merchant's front end (the payment element) takes.
	PaymentSessionID         string `json:"paymentSessionId,omitempty"`
	PaymentSessionData       string `json:"paymentSessionData,omitempty"`
	PaymentSessionExpiryTime string `json:"paymentSessionExpiryTime,omitempty"`
	// NormalURL is the checkout page to send the buyer to.
	NormalURL string `json:"normalUrl,omitempty"`
}

// RetrievePaymentSessionRequest is the body of retrievePaymentSession.
type RetrievePaymentSessionRequest struct {
	PaymentRequestID string `json:"paymentRequestId"`
}

// RetrievePaymentSessionResponse is the answer of retrievePaymentSession:
// the session's order and state and, once the buyer submitted, its
// payment.
type RetrievePaymentSessionResponse struct {
	Result                   Result  `json:"result"`
	PaymentRequestID         string  `json:"paymentRequestId,omitempty"`
	PaymentSessionID         string  `json:"paymentSessionId,omitempty"`
	PaymentSessionStatus     string  `json:"paymentSessionStatus,omitempty"`
	PaymentSessionExpiryTime string  `json:"paymentSessionExpiryTime,omitempty"`
	PaymentAmount            *Amount `json:"paymentAmount,omitempty"`
	Order                    *Order  `json:"order,omitempty"`
	// PaymentID and PaymentStatus are the payment's, once the buyer
	// submitted the checkout page.
	PaymentID     string `json:"paymentId,omitempty"`
	PaymentStatus string `json:"paymentStatus,omitempty"`
}

// CreatePaymentSession creates a payment session (createPaymentSession)
// for the hosted checkout page (send the buyer to NormalURL) or the
// payment element (hand it PaymentSessionData). No payment exists until
// the buyer submits; then notifyPayment follows as for any payment.
// Sending the same request again returns the same live session; with
// another amount it is F REPEAT_REQ_INCONSISTENT, and once the payment is
// final F ORDER_STATUS_INVALID. Errors are as for Pay. It is an AMS v1
// API: with FamilyOmnichannel it returns an error without sending
// anything.
func (c *Client) CreatePaymentSession(ctx context.Context, req *CreatePaymentSessionRequest) (*CreatePaymentSessionResponse, error) {
	if err := c.amsOnly(APICreatePaymentSession); err != nil {
		return nil, err
	}
	return call[CreatePaymentSessionResponse](ctx, c, APICreatePaymentSession, req)
}

// RetrievePaymentSession returns a payment session by its
// paymentRequestId (retrievePaymentSession). It calls the path every
// official SDK calls, /ams/api//v1/payments/retrievePaymentSession with its
// doubled slash, and verifies the answer's signature over that path. A
// session the gateway does not know is an F ORDER_NOT_EXIST. Errors are
// as for Pay; with FamilyOmnichannel it returns an error without sending
// anything.
func (c *Client) RetrievePaymentSession(ctx context.Context, req *RetrievePaymentSessionRequest) (*RetrievePaymentSessionResponse, error) {
	if err := c.amsOnly(APIRetrievePaymentSession); err != nil {
		return nil, err
	}
	return call[RetrievePaymentSessionResponse](ctx, c, APIRetrievePaymentSession, req)
}
