package antomgw

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/antomgw/antomgw/wire"
)

// Result is the result object of every answer: wire.Result.
type Result = wire.Result

// Amount is an amount of money in minor units of an ISO 4217 currency:
// USD 1.00 is {"currency":"USD","value":"100"}. Value is written as a JSON
// string, as Antom's AMS APIs expect, and read from a string or a number.
type Amount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// UnmarshalJSON reads value as a JSON string or a JSON number.
func (a *Amount) UnmarshalJSON(data []byte) error {
	var raw struct {
		Currency string          `json:"currency"`
		Value    json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	a.Currency = raw.Currency
	a.Value = ""
	v := bytes.TrimSpace(raw.Value)
	switch {
	case len(v) == 0 || string(v) == "null":
	case v[0] == '"':
		if err := json.Unmarshal(v, &a.Value); err != nil {
			return err
		}
	case v[0] == '-' || ('0' <= v[0] && v[0] <= '9'):
		a.Value = string(v)
	default:
		return &json.UnmarshalTypeError{Value: "value " + string(v[:min(len(v), 16)]), Type: amountValueType}
	}
	return nil
}

var amountValueType = reflect.TypeFor[string]()

// PaymentMethod says how the user pays.
type PaymentMethod struct {
	PaymentMethodType string `json:"paymentMethodType,omitempty"`
	// PaymentMethodID is the code the user presents (in-store PaymentCode).
	PaymentMethodID       string         `json:"paymentMethodId,omitempty"`
	PaymentMethodMetaData map[string]any `json:"paymentMethodMetaData,omitempty"`
}

// PaymentFactor qualifies a payment; in-store payments name their scenario.
type PaymentFactor struct {
	// InStorePaymentScenario is PaymentCode, OrderCode or EntryCode.
	InStorePaymentScenario string `json:"inStorePaymentScenario,omitempty"`
	// IsAuthorization makes a CASHIER_PAYMENT an authorisation: its
	// amount is held when it succeeds and taken later with Capture (or
	// released with CancelPayment, or at its authExpiryTime). Sent as the
	// string "true"; the gateway reads a JSON boolean too.
	IsAuthorization FlexBool `json:"isAuthorization,omitempty"`
	// CaptureMode is CaptureModeAutomatic (the default: captured in full
	// as soon as it is authorised, notifyCapture still sent) or
	// CaptureModeManual (the merchant calls Capture).
	CaptureMode     string `json:"captureMode,omitempty"`
	PresentmentMode string `json:"presentmentMode,omitempty"`
}

// Capture modes (PaymentFactor.CaptureMode).
const (
	CaptureModeAutomatic = "AUTOMATIC"
	CaptureModeManual    = "MANUAL"
)

// Order describes what is paid for. Only the fields the gateway reads are
// typed; everything else a merchant sends is accepted and ignored.
type Order struct {
	ReferenceOrderID string          `json:"referenceOrderId,omitempty"`
	OrderDescription string          `json:"orderDescription,omitempty"`
	OrderAmount      *Amount         `json:"orderAmount,omitempty"`
	Merchant         json.RawMessage `json:"merchant,omitempty"`
	Env              *Env            `json:"env,omitempty"`
	Goods            json.RawMessage `json:"goods,omitempty"`
	Buyer            json.RawMessage `json:"buyer,omitempty"`
	ExtendInfo       string          `json:"extendInfo,omitempty"`
}

// Env describes the terminal or browser the payment comes from.
type Env struct {
	TerminalType             string `json:"terminalType,omitempty"`
	OSType                   string `json:"osType,omitempty"`
	ClientIP                 string `json:"clientIp,omitempty"`
	UserAgent                string `json:"userAgent,omitempty"`
	StoreTerminalID          string `json:"storeTerminalId,omitempty"`
	StoreTerminalRequestTime string `json:"storeTerminalRequestTime,omitempty"`
}

// PayRequest is the body of pay (AMS v1).
type PayRequest struct {
	ProductCode        string         `json:"productCode"`
	PaymentRequestID   string         `json:"paymentRequestId"`
	Order              *Order         `json:"order,omitempty"`
	PaymentAmount      Amount         `json:"paymentAmount"`
	PaymentMethod      PaymentMethod  `json:"paymentMethod"`
	PaymentFactor      *PaymentFactor `json:"paymentFactor,omitempty"`
	PaymentNotifyURL   string         `json:"paymentNotifyUrl,omitempty"`
	PaymentRedirectURL string         `json:"paymentRedirectUrl,omitempty"`
	PaymentExpiryTime  string         `json:"paymentExpiryTime,omitempty"`
	Env                *Env           `json:"env,omitempty"`
	ExtendInfo         string         `json:"extendInfo,omitempty"`
}

// CodeDetail is one code of an order code form.
type CodeDetail struct {
	CodeValueType string `json:"codeValueType"`
	CodeValue     string `json:"codeValue"`
	DisplayType   string `json:"displayType"`
}

// OrderCodeForm is the code the user scans for an OrderCode payment.
type OrderCodeForm struct {
	PaymentMethodType string       `json:"paymentMethodType,omitempty"`
	ExpireTime        string       `json:"expireTime,omitempty"`
	CodeDetails       []CodeDetail `json:"codeDetails"`
}

// RedirectActionForm is where the user goes to pay an EntryCode payment.
type RedirectActionForm struct {
	Method      string `json:"method"`
	RedirectURL string `json:"redirectUrl"`
}

// PayResponse is the answer of pay (AMS v1).
type PayResponse struct {
	Result             Result              `json:"result"`
	PaymentRequestID   string              `json:"paymentRequestId,omitempty"`
	PaymentID          string              `json:"paymentId,omitempty"`
	PaymentAmount      *Amount             `json:"paymentAmount,omitempty"`
	PaymentCreateTime  string              `json:"paymentCreateTime,omitempty"`
	PaymentTime        string              `json:"paymentTime,omitempty"`
	NormalURL          string              `json:"normalUrl,omitempty"`
	OrderCodeForm      *OrderCodeForm      `json:"orderCodeForm,omitempty"`
	RedirectActionForm *RedirectActionForm `json:"redirectActionForm,omitempty"`
	// AuthExpiryTime is when a successful authorisation
	// (PaymentFactor.IsAuthorization) releases what is not captured.
	AuthExpiryTime string `json:"authExpiryTime,omitempty"`
}

// InquiryPaymentRequest is the body of inquiryPayment. PaymentID wins when
// both are set.
type InquiryPaymentRequest struct {
	PaymentRequestID  string `json:"paymentRequestId,omitempty"`
	PaymentID         string `json:"paymentId,omitempty"`
	MerchantAccountID string `json:"merchantAccountId,omitempty"`
}

// Transaction is one later operation on a payment: a REFUND, a CANCEL, and
// for an authorisation each CAPTURE and the VOID of what was released
// (TransactionType).
type Transaction struct {
	TransactionType      string  `json:"transactionType"`
	TransactionStatus    string  `json:"transactionStatus"`
	TransactionRequestID string  `json:"transactionRequestId,omitempty"`
	TransactionID        string  `json:"transactionId,omitempty"`
	TransactionAmount    *Amount `json:"transactionAmount,omitempty"`
	TransactionTime      string  `json:"transactionTime,omitempty"`
	TransactionResult    *Result `json:"transactionResult,omitempty"`
}

// InquiryPaymentResponse is the answer of inquiryPayment. Result says
// whether the inquiry worked; PaymentStatus is the payment's state.
type InquiryPaymentResponse struct {
	Result               Result        `json:"result"`
	PaymentStatus        string        `json:"paymentStatus,omitempty"`
	PaymentResultCode    string        `json:"paymentResultCode,omitempty"`
	PaymentResultMessage string        `json:"paymentResultMessage,omitempty"`
	PaymentRequestID     string        `json:"paymentRequestId,omitempty"`
	PaymentID            string        `json:"paymentId,omitempty"`
	PaymentAmount        *Amount       `json:"paymentAmount,omitempty"`
	PaymentCreateTime    string        `json:"paymentCreateTime,omitempty"`
	PaymentTime          string        `json:"paymentTime,omitempty"`
	PaymentMethodType    string        `json:"paymentMethodType,omitempty"`
	Transactions         []Transaction `json:"transactions,omitempty"`
	// AuthExpiryTime is when an authorisation releases what is not
	// captured (set once it succeeded).
	AuthExpiryTime string `json:"authExpiryTime,omitempty"`
}

// Transaction types (Transaction.TransactionType).
const (
	TransactionRefund  = "REFUND"
	TransactionCancel  = "CANCEL"
	TransactionCapture = "CAPTURE"
	TransactionVoid    = "VOID"
)

// CancelRequest is the body of cancel. PaymentID wins when both are set.
type CancelRequest struct {
	PaymentID         string `json:"paymentId,omitempty"`
	PaymentRequestID  string `json:"paymentRequestId,omitempty"`
	MerchantAccountID string `json:"merchantAccountId,omitempty"`
}

// CancelResponse is the answer of cancel.
type CancelResponse struct {
	Result           Result `json:"result"`
	PaymentID        string `json:"paymentId,omitempty"`
	PaymentRequestID string `json:"paymentRequestId,omitempty"`
	CancelTime       string `json:"cancelTime,omitempty"`
}

// RefundRequest is the body of refund.
type RefundRequest struct {
	RefundRequestID   string `json:"refundRequestId"`
	PaymentID         string `json:"paymentId"`
	ReferenceRefundID string `json:"referenceRefundId,omitempty"`
	RefundAmount      Amount `json:"refundAmount"`
	RefundReason      string `json:"refundReason,omitempty"`
	RefundNotifyURL   string `json:"refundNotifyUrl,omitempty"`
	// IsAsyncRefund asks for an asynchronous refund: PROCESSING first.
	IsAsyncRefund FlexBool `json:"isAsyncRefund,omitempty"`
	ExtendInfo    string   `json:"extendInfo,omitempty"`
}

// RefundResponse is the answer of refund.
type RefundResponse struct {
	Result          Result  `json:"result"`
	RefundRequestID string  `json:"refundRequestId,omitempty"`
	RefundID        string  `json:"refundId,omitempty"`
	PaymentID       string  `json:"paymentId,omitempty"`
	RefundAmount    *Amount `json:"refundAmount,omitempty"`
	RefundTime      string  `json:"refundTime,omitempty"`
}

// InquiryRefundRequest is the body of inquiryRefund. RefundID wins when
// both are set.
type InquiryRefundRequest struct {
	RefundRequestID   string `json:"refundRequestId,omitempty"`
	RefundID          string `json:"refundId,omitempty"`
	MerchantAccountID string `json:"merchantAccountId,omitempty"`
}

// InquiryRefundResponse is the answer of inquiryRefund.
type InquiryRefundResponse struct {
	Result          Result  `json:"result"`
	RefundID        string  `json:"refundId,omitempty"`
	RefundRequestID string  `json:"refundRequestId,omitempty"`
	RefundAmount    *Amount `json:"refundAmount,omitempty"`
	RefundStatus    string  `json:"refundStatus,omitempty"`
	RefundTime      string  `json:"refundTime,omitempty"`
}

// FlexBool is a boolean that Antom sends as "true"/"false" strings; it reads
// JSON booleans and those strings, and writes a string.
type FlexBool bool

// MarshalJSON writes "true" or "false" as a JSON string.
func (b FlexBool) MarshalJSON() ([]byte, error) {
	if b {
		return []byte(`"true"`), nil
	}
	return []byte(`"false"`), nil
}

// UnmarshalJSON reads true, false, "true" or "false".
func (b *FlexBool) UnmarshalJSON(data []byte) error {
	switch string(bytes.TrimSpace(data)) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`, "null", `""`:
		*b = false
	default:
		return &json.UnmarshalTypeError{Value: string(data[:min(len(data), 16)]), Type: reflect.TypeFor[bool]()}
	}
	return nil
}

// Product codes (PayRequest.ProductCode).
const (
	// ProductInStore is an in-store payment; PaymentFactor names its
	// scenario.
	ProductInStore = "IN_STORE_PAYMENT"
	// ProductCashier is an online payment on the wallet's cashier page.
	ProductCashier = "CASHIER_PAYMENT"
)

// In-store scenarios (PaymentFactor.InStorePaymentScenario).
const (
	// ScenarioPaymentCode: the user presents a code, the merchant scans it
	// into PaymentMethod.PaymentMethodID.
	ScenarioPaymentCode = "PaymentCode"
	// ScenarioOrderCode: the merchant shows PayResponse.OrderCodeForm, the
	// user scans it.
	ScenarioOrderCode = "OrderCode"
	// ScenarioEntryCode: the user scans the store's static code and pays at
	// PayResponse.RedirectActionForm.
	ScenarioEntryCode = "EntryCode"
)

// Payment statuses (InquiryPaymentResponse.PaymentStatus).
const (
	PaymentStatusSuccess    = "SUCCESS"
	PaymentStatusFail       = "FAIL"
	PaymentStatusProcessing = "PROCESSING"
	PaymentStatusCancelled  = "CANCELLED"
	PaymentStatusPending    = "PENDING"
)

// Refund statuses (InquiryRefundResponse.RefundStatus).
const (
	RefundStatusSuccess    = "SUCCESS"
	RefundStatusFail       = "FAIL"
	RefundStatusProcessing = "PROCESSING"
)
