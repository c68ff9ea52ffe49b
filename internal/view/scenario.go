package view

import (
	"fmt"
	"slices"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// ScenarioRule is a scenario rule as the CLI's --json and the console show
// it.
type ScenarioRule struct {
	ID        string                 `json:"id"`
	ClientID  string                 `json:"clientId"`
	API       string                 `json:"api"`
	Match     gateway.ScenarioMatch  `json:"match"`
	Effect    gateway.ScenarioEffect `json:"effect"`
	Describe  string                 `json:"describe"`
	Count     int                    `json:"count"` // 0: until removed
	Fired     int                    `json:"fired"`
	Remaining int                    `json:"remaining"` // -1: until removed
	Exhausted bool                   `json:"exhausted"`
	CreatedAt string                 `json:"createdAt"`
}

// NewScenarioRule returns the view of r.
func NewScenarioRule(r *gateway.ScenarioRule) ScenarioRule {
	return ScenarioRule{ID: r.ID, ClientID: r.ClientID, API: string(r.API), Match: r.Match, Effect: r.Effect,
		Describe: r.Effect.Describe(), Count: r.Count, Fired: r.Fired, Remaining: r.Remaining(),
		Exhausted: r.Exhausted(), CreatedAt: r.CreatedAt.Format(time.RFC3339Nano)}
}

// DescribeMatch says what a rule matches, for a table ("any" when
// everything).
func DescribeMatch(m gateway.ScenarioMatch) string {
	var parts []string
	if m.Amount != nil {
		parts = append(parts, fmt.Sprintf("amount=%d", *m.Amount))
	}
	for _, kv := range [][2]string{{"currency", m.Currency}, {"request-id", m.RequestID}, {"product-code", m.ProductCode}, {"scenario", m.Scenario}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if len(parts) == 0 {
		return "any"
	}
	return fmt.Sprint(parts)
}

// scenarioCodes are the result codes each API answers beyond those common
// to every API (the groups of the catalogue in wire/result.go and
// docs/protocol.md).
var scenarioCodes = map[gateway.ScenarioAPI][]string{
	gateway.ScenarioPay: {wire.CodePaymentInProcess, wire.CodeExpiredCode, wire.CodeInvalidPaymentCode, wire.CodeCurrencyNotSupport,
		"FRAUD_REJECT", wire.CodeRiskReject, wire.CodeOrderIsCanceled, wire.CodeOrderIsClosed, wire.CodeOrderStatusInvalid,
		wire.CodeUserBalanceNotEnough, "USER_AMOUNT_EXCEED_LIMIT", "PAYMENT_AMOUNT_EXCEED_LIMIT", "PAYMENT_COUNT_EXCEED_LIMIT",
		"USER_NOT_EXIST", "USER_STATUS_ABNORMAL", "USER_KYC_NOT_QUALIFIED", wire.CodeUserPaymentVerifyFail,
		"VERIFY_TIMES_EXCEED_LIMIT", "VERIFY_UNMATCHED", "INVALID_CONTRACT", "INVALID_MERCHANT_STATUS",
		"MERCHANT_NOT_REGISTERED", "MERCHANT_KYB_NOT_QUALIFIED", "NO_PAY_OPTIONS", "PAYMENT_NOT_QUALIFIED",
		"SETTLE_CONTRACT_NOT_MATCH", "UNAVAILABLE_PAYMENT_METHOD", "AUTHENTICATION_REQUIRED", "PAYMENT_PROHIBITED"},
	gateway.ScenarioInquiryPayment: {wire.CodeOrderNotExist},
	gateway.ScenarioCancel:         {wire.CodeOrderNotExist, wire.CodeCancelWindowExceed, wire.CodeOrderStatusInvalid},
	gateway.ScenarioRefund: {wire.CodeOrderNotExist, wire.CodeRefundAmountExceed, wire.CodeRefundWindowExceed,
		wire.CodeRefundInProcess, "MERCHANT_BALANCE_NOT_ENOUGH", wire.CodeOrderStatusInvalid, wire.CodeCurrencyNotSupport},
	gateway.ScenarioInquiryRefund: {wire.CodeOrderNotExist},
	// capture, consult and the sessions: ../shared/spec/antom-more-apis.md
	// §1, §4, §5, §6.
	gateway.ScenarioCapture: {wire.CodeCaptureInProcess, wire.CodeAuthCancelled, wire.CodeAuthExpired, wire.CodeAuthNotFound,
		wire.CodeCaptureAmountExceedAuth, wire.CodeCurrencyNotSupport, wire.CodeMultiCaptureNotSupport, "INVALID_CONTRACT",
		"NO_PAY_OPTIONS", wire.CodeOrderIsCanceled, wire.CodeOrderStatusInvalid, "PAYMENT_COUNT_EXCEED_LIMIT", wire.CodeRiskReject,
		"USER_AMOUNT_EXCEED_LIMIT", wire.CodeUserBalanceNotEnough, "USER_NOT_EXIST", "USER_STATUS_ABNORMAL"},
	gateway.ScenarioConsult: {wire.CodeCurrencyNotSupport, "MERCHANT_NOT_REGISTERED", "NO_PAY_OPTIONS", "SETTLE_CONTRACT_NOT_MATCH"},
	// CARD_NOT_SUPPORTED (createPaymentSession F) is not in the catalogue:
	// a rule gives it with --result-status F.
	gateway.ScenarioCreateSession:   {"NO_PAY_OPTIONS", wire.CodeOrderStatusInvalid, wire.CodeOrderIsClosed},
	gateway.ScenarioRetrieveSession: {wire.CodeOrderNotExist},
}

// commonCodes are the result codes every API may answer.
var commonCodes = []string{wire.CodeSuccess, wire.CodeAccessDenied, wire.CodeInvalidAPI, wire.CodeInvalidClient,
	"INVALID_CLIENT_STATUS", "UNKNOWN_CLIENT", "CLIENT_FORBIDDEN_ACCESS_API", wire.CodeInvalidSignature, wire.CodeKeyNotFound,
	wire.CodeNoInterfaceDef, wire.CodeMediaTypeNotAcceptable, wire.CodeMethodNotSupported, wire.CodeParamIllegal,
	wire.CodeProcessFail, wire.CodeSystemError, wire.CodeRepeatReqInconsistent, "INVALID_ACCESS_TOKEN",
	wire.CodeRequestTrafficExceed, wire.CodeUnknownException}

// ScenarioCodes is the catalogue of result codes an API answers (status,
// default message, what the merchant should do), its own codes first,
// then those common to every API. Nil for an API that has no result
// (notify).
func ScenarioCodes(api gateway.ScenarioAPI) []wire.CodeInfo {
	own, ok := scenarioCodes[api]
	if !ok {
		return nil
	}
	var out []wire.CodeInfo
	for _, code := range slices.Concat(own, commonCodes) {
		if info, ok := wire.LookupCode(code); ok && !slices.ContainsFunc(out, func(c wire.CodeInfo) bool { return c.Code == code }) {
			out = append(out, info)
		}
	}
	return out
}

// FillResult completes a result effect from the catalogue: its status
// and default message. A code the catalogue lacks (a rare production
// code) needs status, F or U; a known code's status may not be overridden
// (an S code answered F would be a lie no client can handle).
func FillResult(e *gateway.ScenarioEffect, status string) error {
	info, ok := wire.LookupCode(e.ResultCode)
	switch {
	case ok && status != "" && status != string(info.Status):
		return fmt.Errorf("--result-status %s: %s has status %s in the catalogue (docs/protocol.md)", status, e.ResultCode, info.Status)
	case ok:
		e.ResultStatus = string(info.Status)
		if e.ResultMessage == "" {
			e.ResultMessage = info.Message
		}
	case status == "F" || status == "U":
		e.ResultStatus = status
	case status == "":
		return fmt.Errorf("--result-code %s is not in the catalogue (docs/protocol.md): give its status with --result-status F or U", e.ResultCode)
	default:
		return fmt.Errorf("--result-status %q is not F or U", status)
	}
	return nil
}
