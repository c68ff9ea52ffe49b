package sim

import (
	"context"
	"slices"

	"github.com/antomgw/antomgw/internal/gateway"
)

var _ gateway.Consulter = (*Wallet)(nil)

// Option is one row of the consult table: a payment method the simulated
// acquirer offers, and when.
type Option struct {
	// MethodType is paymentMethodType; Category is paymentMethodCategory
	// (WALLET or CARD).
	MethodType string
	Category   string
	// Regions are paymentMethodRegion (ISO 3166 alpha-2, or GLOBAL for the
	// global card schemes). A buyer whose userRegion is one of them sees
	// the method as preferred.
	Regions []string
	// Currencies are supportedCurrencies: in any other currency the option
	// is disabled with CHANNEL_NOT_SUPPORT_CURRENCY.
	Currencies []string
	// Limit is the largest paymentAmount.value, in minor units whatever
	// the currency, the method takes; above it the option is disabled with
	// EXCEED_CHANNEL_LIMIT_RULE.
	Limit int64
	// Terminals are the env.terminalType values the method is offered on;
	// on another terminal it is not listed at all.
	Terminals []string
	// Logo names the logo the gateway serves at
	// /wallet/static/logos/<Logo>.svg.
	Logo string
	// CardBrands are the schemes of a CARD option (their logos are named
	// after them).
	CardBrands []string
}

var (
	allTerminals = []string{gateway.TerminalWeb, gateway.TerminalWap, gateway.TerminalApp, gateway.TerminalMiniApp}
	noMiniApp    = []string{gateway.TerminalWeb, gateway.TerminalWap, gateway.TerminalApp}
	mobileOnly   = []string{gateway.TerminalWap, gateway.TerminalApp}
)

// Options is the consult table, in the order consult lists the options
// when nothing makes one preferred. docs/simulator.md shows the same table
// (a test keeps them equal).
var Options = []Option{
	{MethodType: "ALIPAY_CN", Category: "WALLET", Regions: []string{"CN"},
		Currencies: []string{"CNY", "USD", "EUR", "GBP", "HKD", "SGD", "JPY", "AUD"}, Limit: 5_000_000,
		Terminals: allTerminals, Logo: "ALIPAY_CN"},
	{MethodType: "ALIPAY_HK", Category: "WALLET", Regions: []string{"HK"},
		Currencies: []string{"HKD", "USD"}, Limit: 2_000_000, Terminals: allTerminals, Logo: "ALIPAY_HK"},
	{MethodType: "GCASH", Category: "WALLET", Regions: []string{"PH"},
		Currencies: []string{"PHP", "USD"}, Limit: 10_000_000, Terminals: noMiniApp, Logo: "GCASH"},
	{MethodType: "DANA", Category: "WALLET", Regions: []string{"ID"},
		Currencies: []string{"IDR"}, Limit: 2_000_000_000, Terminals: noMiniApp, Logo: "DANA"},
	{MethodType: "KAKAOPAY", Category: "WALLET", Regions: []string{"KR"},
		Currencies: []string{"KRW", "USD"}, Limit: 2_000_000, Terminals: noMiniApp, Logo: "KAKAOPAY"},
	{MethodType: "TRUEMONEY", Category: "WALLET", Regions: []string{"TH"},
		Currencies: []string{"THB"}, Limit: 5_000_000, Terminals: mobileOnly, Logo: "TRUEMONEY"},
	{MethodType: "TNG", Category: "WALLET", Regions: []string{"MY"},
		Currencies: []string{"MYR"}, Limit: 500_000, Terminals: noMiniApp, Logo: "TNG"},
	{MethodType: "CONNECT_WALLET", Category: "WALLET", Regions: []string{"CN", "HK", "PH", "ID", "KR", "TH", "MY", "SG"},
		Currencies: []string{"USD", "SGD", "HKD", "EUR"}, Limit: 5_000_000, Terminals: noMiniApp, Logo: "CONNECT_WALLET"},
	{MethodType: "CARD", Category: "CARD", Regions: []string{"GLOBAL"},
		Currencies: []string{"USD", "EUR", "GBP", "SGD", "HKD", "JPY", "AUD", "CAD"}, Limit: 100_000_000,
		Terminals: noMiniApp, Logo: "CARD", CardBrands: []string{"VISA", "MASTERCARD", "AMEX", "UNIONPAY"}},
}

// Logos returns the name of every logo the consult table refers to:
// methods' and card brands'.
func Logos() []string {
	var out []string
	for _, o := range Options {
		out = append(out, o.Logo)
		out = append(out, o.CardBrands...)
	}
	return out
}

// PaymentOptions implements gateway.Consulter from the consult table. The
// options on in.TerminalType that the filters let through (in.Regions,
// in.Methods, in.Blocked) are listed; each is enabled unless the currency
// is not one of its Currencies (CHANNEL_NOT_SUPPORT_CURRENCY) or the amount
// is above its Limit (EXCEED_CHANNEL_LIMIT_RULE); it is preferred when
// in.UserRegion is one of its Regions. The order: enabled preferred
// options, other enabled ones, disabled ones, each in table order.
func (w *Wallet) PaymentOptions(_ context.Context, in gateway.ConsultInput) ([]gateway.PaymentOption, error) {
	var out []gateway.PaymentOption
	for _, o := range Options {
		if !slices.Contains(o.Terminals, in.TerminalType) ||
			(len(in.Methods) > 0 && !slices.Contains(in.Methods, o.MethodType)) ||
			slices.Contains(in.Blocked, o.MethodType) ||
			(len(in.Regions) > 0 && !slices.ContainsFunc(o.Regions, func(r string) bool { return slices.Contains(in.Regions, r) })) {
			continue
		}
		p := gateway.PaymentOption{
			MethodType: o.MethodType, Category: o.Category, Regions: slices.Clone(o.Regions),
			Currencies: slices.Clone(o.Currencies), Enabled: true,
			Preferred: in.UserRegion != "" && slices.Contains(o.Regions, in.UserRegion),
			Logo:      o.Logo,
		}
		switch {
		case !slices.Contains(o.Currencies, in.Amount.Currency):
			p.Enabled, p.DisableReason = false, gateway.DisableCurrency
		case in.Amount.Value > o.Limit:
			p.Enabled, p.DisableReason = false, gateway.DisableLimit
		}
		for _, b := range o.CardBrands {
			p.CardBrands = append(p.CardBrands, gateway.CardBrand{Brand: b, Logo: b})
		}
		out = append(out, p)
	}
	rank := func(p gateway.PaymentOption) int {
		switch {
		case p.Enabled && p.Preferred:
			return 0
		case p.Enabled:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b gateway.PaymentOption) int { return rank(a) - rank(b) })
	return out, nil
}
