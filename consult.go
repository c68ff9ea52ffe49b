package antomgw

import (
	"context"
	"fmt"
)

// ConsultRequest is the body of consult: which payment methods can pay
// this amount for this buyer.
type ConsultRequest struct {
	// ProductCode is CASHIER_PAYMENT (ProductCashier).
	ProductCode   string `json:"productCode"`
	PaymentAmount Amount `json:"paymentAmount"`
	// Env is required: Env.TerminalType is WEB, WAP, APP or MINI_APP.
	Env *Env `json:"env,omitempty"`
	// UserRegion (ISO 3166 alpha-2) makes that region's methods preferred.
	UserRegion     string `json:"userRegion,omitempty"`
	MerchantRegion string `json:"merchantRegion,omitempty"`
	// AllowedPaymentMethodRegions keeps only the methods of these regions
	// (alpha-2, or GLOBAL for the global card schemes).
	AllowedPaymentMethodRegions []string `json:"allowedPaymentMethodRegions,omitempty"`
	// AllowedPaymentMethods and BlockedPaymentMethods keep or drop
	// methods by paymentMethodType.
	AllowedPaymentMethods []string            `json:"allowedPaymentMethods,omitempty"`
	BlockedPaymentMethods []string            `json:"blockedPaymentMethods,omitempty"`
	SettlementStrategy    *SettlementStrategy `json:"settlementStrategy,omitempty"`
	MerchantAccountID     string              `json:"merchantAccountId,omitempty"`
}

// SettlementStrategy says in which currency the merchant is settled.
type SettlementStrategy struct {
	SettlementCurrency string `json:"settlementCurrency,omitempty"`
}

// Logo is a payment method's or a card brand's logo.
type Logo struct {
	LogoName string `json:"logoName,omitempty"`
	LogoURL  string `json:"logoUrl,omitempty"`
}

// CardBrand is a card scheme a CARD option takes, with its logo.
type CardBrand struct {
	CardBrand string `json:"cardBrand"`
	Logo      *Logo  `json:"logo,omitempty"`
}

// PaymentOptionDetail holds the details of a payment option: for CARD,
// the schemes it takes.
type PaymentOptionDetail struct {
	SupportCardBrands []CardBrand `json:"supportCardBrands,omitempty"`
}

// PaymentOption is one payment method offered for a consult. Enabled and
// Preferred are JSON booleans.
type PaymentOption struct {
	PaymentMethodType     string   `json:"paymentMethodType"`
	PaymentMethodCategory string   `json:"paymentMethodCategory,omitempty"`
	PaymentMethodRegion   []string `json:"paymentMethodRegion,omitempty"`
	Enabled               bool     `json:"enabled"`
	Preferred             bool     `json:"preferred"`
	// DisableReason says why an option is not enabled:
	// CHANNEL_NOT_SUPPORT_CURRENCY, EXCEED_CHANNEL_LIMIT_RULE, …
	DisableReason       string               `json:"disableReason,omitempty"`
	SupportedCurrencies []string             `json:"supportedCurrencies,omitempty"`
	PaymentOptionDetail *PaymentOptionDetail `json:"paymentOptionDetail,omitempty"`
	Logo                *Logo                `json:"logo,omitempty"`
}

// ConsultResponse is the answer of consult. Result says whether the
// consult worked; PaymentOptions lists the methods, enabled or not,
// preferred ones first.
type ConsultResponse struct {
	Result         Result          `json:"result"`
	PaymentOptions []PaymentOption `json:"paymentOptions,omitempty"`
}

// Consult asks which payment methods can pay an amount (consult), for a
// web shop to show before it creates a payment session or a payment. It
// changes nothing, so it is safe to repeat. An answer F NO_PAY_OPTIONS
// (nothing is enabled) or CURRENCY_NOT_SUPPORT still carries the options
// with their disableReason. Errors are as for Pay. It is an AMS v1 API:
// with FamilyOmnichannel it returns an error without sending anything.
func (c *Client) Consult(ctx context.Context, req *ConsultRequest) (*ConsultResponse, error) {
	if err := c.amsOnly(APIConsult); err != nil {
		return nil, err
	}
	return call[ConsultResponse](ctx, c, APIConsult, req)
}

// amsOnly refuses an AMS v1 API on a client of another family.
func (c *Client) amsOnly(api API) error {
	if c.cfg.Family == FamilyOmnichannel {
		return fmt.Errorf("antomgw: %s has no omnichannel v2 path; use FamilyAMS or FamilyAMSSandbox", api)
	}
	return nil
}
