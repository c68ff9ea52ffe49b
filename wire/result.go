package wire

import (
	"fmt"
	"sort"
)

// Status is a result status: the one thing a caller must look at first.
type Status string

// The three result statuses of every Antom answer.
const (
	// StatusSuccess (S): the call did what it was asked.
	StatusSuccess Status = "S"
	// StatusFail (F): the call failed for the reason in the code; retrying the
	// same request will fail the same way.
	StatusFail Status = "F"
	// StatusUnknown (U): the outcome is not known yet; retry the same request
	// or inquire. Never treat U as F: money may have moved.
	StatusUnknown Status = "U"
)

// Valid reports whether s is S, F or U.
func (s Status) Valid() bool {
	return s == StatusSuccess || s == StatusFail || s == StatusUnknown
}

// Result is the result object found in every response and notification.
// Field order follows Antom's samples.
type Result struct {
	Code    string `json:"resultCode"`
	Status  Status `json:"resultStatus"`
	Message string `json:"resultMessage"`
}

// String returns "S SUCCESS: success"-style text for logs.
func (r Result) String() string {
	if r.Message == "" {
		return fmt.Sprintf("%s %s", r.Status, r.Code)
	}
	return fmt.Sprintf("%s %s: %s", r.Status, r.Code, r.Message)
}

// NewResult returns the result for a known code with its status from the
// table and message (the table's default message when message is empty). An
// unknown code gets status F.
func NewResult(code, message string) Result {
	info, ok := LookupCode(code)
	if !ok {
		info = CodeInfo{Code: code, Status: StatusFail}
	}
	if message == "" {
		message = info.Message
	}
	return Result{Code: code, Status: info.Status, Message: message}
}

// CodeInfo describes one result code: its status, a default message and
// what the merchant should do about it.
type CodeInfo struct {
	Code    string
	Status  Status
	Message string
	Action  string
}

// Result codes used by the gateway. The full list, with statuses, default
// messages and advice, is [Codes].
const (
	CodeSuccess                = "SUCCESS"
	CodeAccessDenied           = "ACCESS_DENIED"
	CodeInvalidAPI             = "INVALID_API"
	CodeInvalidClient          = "INVALID_CLIENT"
	CodeInvalidSignature       = "INVALID_SIGNATURE"
	CodeKeyNotFound            = "KEY_NOT_FOUND"
	CodeNoInterfaceDef         = "NO_INTERFACE_DEF"
	CodeMediaTypeNotAcceptable = "MEDIA_TYPE_NOT_ACCEPTABLE"
	CodeMethodNotSupported     = "METHOD_NOT_SUPPORTED"
	CodeParamIllegal           = "PARAM_ILLEGAL"
	CodeProcessFail            = "PROCESS_FAIL"
	CodeSystemError            = "SYSTEM_ERROR"
	CodeRepeatReqInconsistent  = "REPEAT_REQ_INCONSISTENT"
	CodeRequestTrafficExceed   = "REQUEST_TRAFFIC_EXCEED_LIMIT"
	CodeUnknownException       = "UNKNOWN_EXCEPTION"
	CodePaymentInProcess       = "PAYMENT_IN_PROCESS"
	CodeOrderNotExist          = "ORDER_NOT_EXIST"
	CodeOrderIsCanceled        = "ORDER_IS_CANCELED"
	CodeOrderIsClosed          = "ORDER_IS_CLOSED"
	CodeOrderStatusInvalid     = "ORDER_STATUS_INVALID"
	CodeCancelWindowExceed     = "CANCEL_WINDOW_EXCEED"
	CodeRefundAmountExceed     = "REFUND_AMOUNT_EXCEED"
	CodeRefundWindowExceed     = "REFUND_WINDOW_EXCEED"
	CodeRefundInProcess        = "REFUND_IN_PROCESS"
	CodeCurrencyNotSupport     = "CURRENCY_NOT_SUPPORT"
	CodeUserBalanceNotEnough   = "USER_BALANCE_NOT_ENOUGH"
	CodeRiskReject             = "RISK_REJECT"
	CodeExpiredCode            = "EXPIRED_CODE"
	CodeInvalidPaymentCode     = "INVALID_PAYMENT_CODE"
	CodeUserPaymentVerifyFail  = "USER_PAYMENT_VERIFICATION_FAILED"

	// capture and notifyCapture.
	CodeCaptureInProcess        = "CAPTURE_IN_PROCESS"
	CodeAuthCancelled           = "AUTH_CANCELLED"
	CodeAuthExpired             = "AUTH_EXPIRED"
	CodeAuthNotFound            = "AUTH_NOT_FOUND"
	CodeCaptureAmountExceedAuth = "CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT"
	CodeMultiCaptureNotSupport  = "MULTI_CAPTURE_NOT_SUPPORTED"
)

const (
	actSupport = "Contact Antom technical support."
	actFix     = "Fix the request as the message says, then send it again."
	actNewID   = "Use a new request id."
)

// codes is the one table of result codes (protocol digest §5). Codes not
// seen with an explicit status in a source are F by pattern.
var codes = indexCodes([]CodeInfo{
	// Common to every API.
	{CodeSuccess, StatusSuccess, "success", ""},
	{CodeAccessDenied, StatusFail, "Access is denied.", actSupport},
	{CodeInvalidAPI, StatusFail, "The called API is invalid or not active.", actSupport},
	{CodeInvalidClient, StatusFail, "The client is invalid.", "Check the Client-Id header against the registered client id."},
	{"INVALID_CLIENT_STATUS", StatusFail, "The client status is invalid.", actSupport},
	{"UNKNOWN_CLIENT", StatusFail, "The client is unknown.", actSupport},
	{"CLIENT_FORBIDDEN_ACCESS_API", StatusFail, "The client is not allowed to call this API.", actSupport},
	{CodeInvalidSignature, StatusFail, "The signature is invalid.", "Sign the exact bytes sent (method, path, Client-Id, Request-Time, raw body) with the private key whose public key is registered; URL-encode the base64 value."},
	{CodeKeyNotFound, StatusFail, "The key is not found.", "Register the public key, or send a keyVersion that is registered."},
	{CodeNoInterfaceDef, StatusFail, "The API is not defined.", "Check the URL path."},
	{CodeMediaTypeNotAcceptable, StatusFail, "The media type is not acceptable.", "Send Content-Type application/json; charset=UTF-8 (text/plain when encrypted) and an Accept header that allows application/json."},
	{CodeMethodNotSupported, StatusFail, "The HTTP method is not supported.", "Use POST."},
	{CodeParamIllegal, StatusFail, "Illegal parameters.", actFix},
	{CodeProcessFail, StatusFail, "A general business failure occurred.", "Do not retry; investigate with support."},
	{CodeSystemError, StatusFail, "A system error occurred.", "Do not retry; contact support."},
	{CodeRepeatReqInconsistent, StatusFail, "The request id was used before with different key parameters.", actNewID},
	{"INVALID_ACCESS_TOKEN", StatusFail, "The access token is invalid.", "Obtain a new access token."},
	{CodeRequestTrafficExceed, StatusUnknown, "The request traffic exceeds the limit.", "Retry the same request later with backoff."},
	{CodeUnknownException, StatusUnknown, "An unknown exception occurred.", "Retry the same request; if it stays unknown, inquire the payment."},
	// pay.
	{CodePaymentInProcess, StatusUnknown, "The payment is being processed.", "In-store: poll inquiryPayment or wait for notifyPayment. Online: open the returned URL."},
	{CodeExpiredCode, StatusFail, "The payment code has expired.", "Ask the user to refresh the payment code."},
	{CodeInvalidPaymentCode, StatusFail, "The payment code is invalid.", "Ask the user to present a valid payment code."},
	{CodeCurrencyNotSupport, StatusFail, "The currency is not supported.", "Use a supported currency."},
	{"FRAUD_REJECT", StatusFail, "The payment was rejected for fraud risk.", "Do not retry; any money taken is refunded."},
	{CodeRiskReject, StatusFail, "The payment was rejected for risk.", "Do not retry with the same details."},
	{CodeOrderIsCanceled, StatusFail, "The request id belongs to a cancelled payment.", actNewID},
	{CodeOrderIsClosed, StatusFail, "The request id belongs to a closed payment.", actNewID},
	{CodeOrderStatusInvalid, StatusFail, "The order status does not allow this operation.", "Inquire the payment and act on its status."},
	{CodeUserBalanceNotEnough, StatusFail, "The user balance is not enough.", "Ask the user to top up or use another method."},
	{"USER_AMOUNT_EXCEED_LIMIT", StatusFail, "The amount exceeds the user's limit.", "Ask the user to use another method."},
	{"PAYMENT_AMOUNT_EXCEED_LIMIT", StatusFail, "The amount exceeds the payment limit.", "Lower the amount or use another method."},
	{"PAYMENT_COUNT_EXCEED_LIMIT", StatusFail, "The number of payments exceeds the limit.", "Try again later."},
	{"USER_NOT_EXIST", StatusFail, "The user does not exist.", "Ask the user to check the account."},
	{"USER_STATUS_ABNORMAL", StatusFail, "The user's account status is abnormal.", "Ask the user to contact the wallet."},
	{"USER_KYC_NOT_QUALIFIED", StatusFail, "The user is not KYC-qualified.", "Ask the user to complete KYC."},
	{CodeUserPaymentVerifyFail, StatusFail, "The user failed payment verification.", "Ask the user to pay again."},
	{"VERIFY_TIMES_EXCEED_LIMIT", StatusFail, "Verification attempts exceeded the limit.", "Ask the user to try later."},
	{"VERIFY_UNMATCHED", StatusFail, "Verification did not match.", "Ask the user to verify again."},
	{"INVALID_CONTRACT", StatusFail, "The contract is invalid.", actSupport},
	{"INVALID_MERCHANT_STATUS", StatusFail, "The merchant status is invalid.", actSupport},
	{"MERCHANT_NOT_REGISTERED", StatusFail, "The merchant is not registered.", "Register the merchant first."},
	{"MERCHANT_KYB_NOT_QUALIFIED", StatusFail, "The merchant is not KYB-qualified.", actSupport},
	{"NO_PAY_OPTIONS", StatusFail, "No payment options are available.", "Use another payment method."},
	{"PAYMENT_NOT_QUALIFIED", StatusFail, "The payment is not qualified.", actSupport},
	{"SETTLE_CONTRACT_NOT_MATCH", StatusFail, "The settlement contract does not match.", actSupport},
	{"UNAVAILABLE_PAYMENT_METHOD", StatusFail, "The payment method is unavailable.", "Use another payment method."},
	{"AUTHENTICATION_REQUIRED", StatusFail, "Authentication is required.", "Complete authentication and pay again."},
	{"PAYMENT_PROHIBITED", StatusFail, "The payment is prohibited.", actSupport},
	// inquiryPayment, cancel, refund, inquiryRefund.
	{CodeOrderNotExist, StatusFail, "The order does not exist.", "Check the paymentId or request id."},
	{CodeCancelWindowExceed, StatusFail, "The cancel window has passed.", "Refund the payment instead."},
	{CodeRefundAmountExceed, StatusFail, "The refund amount exceeds what can still be refunded.", "Refund at most the remaining amount."},
	{CodeRefundWindowExceed, StatusFail, "The refund window has passed.", "Settle with the customer outside Antom."},
	{CodeRefundInProcess, StatusUnknown, "The refund is being processed.", "Inquire the refund or wait for notifyRefund."},
	{"MERCHANT_BALANCE_NOT_ENOUGH", StatusFail, "The merchant balance is not enough for the refund.", "Top up the merchant balance and retry."},
	// capture and notifyCapture.
	{CodeCaptureInProcess, StatusUnknown, "The capture is being processed.", "Wait for notifyCapture or inquire the payment; retry the same request later."},
	{CodeAuthCancelled, StatusFail, "The authorisation was cancelled.", "Create a new payment."},
	{CodeAuthExpired, StatusFail, "The authorisation has expired.", "Create a new payment."},
	{CodeAuthNotFound, StatusFail, "The authorisation does not exist.", "Check the paymentId."},
	{CodeCaptureAmountExceedAuth, StatusFail, "The total captured amount would exceed the authorised amount.", "Capture at most what is left of the authorisation."},
	{CodeMultiCaptureNotSupport, StatusFail, "The payment method does not support more than one capture.", "Capture the whole amount at once; make a new payment for more."},
})

func indexCodes(list []CodeInfo) map[string]CodeInfo {
	m := make(map[string]CodeInfo, len(list))
	for _, c := range list {
		if _, dup := m[c.Code]; dup {
			panic("wire: duplicate result code " + c.Code) // a programming error in the table above
		}
		m[c.Code] = c
	}
	return m
}

// LookupCode returns what the table knows of code.
func LookupCode(code string) (CodeInfo, bool) {
	c, ok := codes[code]
	return c, ok
}

// Codes returns every known result code, sorted by code.
func Codes() []CodeInfo {
	out := make([]CodeInfo, 0, len(codes))
	for _, c := range codes {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
