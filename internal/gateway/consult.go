package gateway

import (
	"context"
	"slices"
)

// Terminal types (consult's env.terminalType): where the buyer pays.
const (
	TerminalWeb     = "WEB"
	TerminalWap     = "WAP"
	TerminalApp     = "APP"
	TerminalMiniApp = "MINI_APP"
)

// TerminalTypes are the terminal types consult accepts, in the order
// documents list them.
var TerminalTypes = []string{TerminalWeb, TerminalWap, TerminalApp, TerminalMiniApp}

// Why a payment option is disabled (PaymentOption.DisableReason), from
// Antom's list.
const (
	DisableCurrency = "CHANNEL_NOT_SUPPORT_CURRENCY" // the method does not take the currency
	DisableLimit    = "EXCEED_CHANNEL_LIMIT_RULE"    // the amount is above the method's limit
	DisableChannel  = "CHANNEL_DISABLE"              // the method is switched off
)

// ConsultInput is a validated consult request: what the buyer would pay,
// and where.
type ConsultInput struct {
	ClientID string
	Amount   Money
	// TerminalType is env.terminalType: WEB, WAP, APP or MINI_APP.
	TerminalType string
	// UserRegion (ISO 3166 alpha-2) makes the methods of that region
	// preferred.
	UserRegion string
	// Regions is allowedPaymentMethodRegions: only methods of these regions
	// (ISO alpha-2, or GLOBAL for the global card schemes) are offered.
	// Empty: every region.
	Regions []string
	// Methods is allowedPaymentMethods: only these paymentMethodTypes are
	// offered. Empty: every method.
	Methods []string
	// Blocked is blockedPaymentMethods: these are never offered.
	Blocked []string
}

// CardBrand is a card scheme a CARD option takes.
type CardBrand struct {
	Brand string // VISA, MASTERCARD, …
	// Logo is the logo's name; LogoURL where it is served (filled by
	// Service.Consult).
	Logo    string
	LogoURL string
}

// PaymentOption is one payment method offered to a buyer: consult's
// paymentOptions[] and the methods of a payment session's checkout page.
type PaymentOption struct {
	MethodType string   // paymentMethodType: ALIPAY_CN, CARD, …
	Category   string   // paymentMethodCategory: WALLET, CARD
	Regions    []string // paymentMethodRegion
	Currencies []string // supportedCurrencies
	Enabled    bool
	// Preferred: a method of the buyer's region (ConsultInput.UserRegion).
	Preferred bool
	// DisableReason says why an option is not enabled (DisableCurrency,
	// DisableLimit, …); empty when it is.
	DisableReason string
	// Logo is the logo's name; LogoURL where it is served (filled by
	// Service.Consult with Service.LogoURL).
	Logo    string
	LogoURL string
	// CardBrands are the schemes of a CARD option.
	CardBrands []CardBrand
}

// Consulter is a Processor that knows which payment methods it offers for
// an amount (the simulated wallet's documented table). Its answer lists
// every method that applies to the terminal and the filters, enabled or
// not, sorted for the buyer: preferred ones first.
type Consulter interface {
	PaymentOptions(ctx context.Context, in ConsultInput) ([]PaymentOption, error)
}

// ConsultOutcome classifies a consult: whether any option can pay.
type ConsultOutcome int

// Consult outcomes.
const (
	// ConsultOK: at least one option is enabled.
	ConsultOK ConsultOutcome = iota
	// ConsultNoOptions: no option applies, or none is enabled
	// (NO_PAY_OPTIONS).
	ConsultNoOptions
	// ConsultCurrency: options apply, but none takes the currency
	// (CURRENCY_NOT_SUPPORT).
	ConsultCurrency
)

// ConsultResult is what a consult found: the options, enabled or not.
type ConsultResult struct {
	Options []PaymentOption
}

// Enabled returns the options that can pay, in order.
func (r *ConsultResult) Enabled() []PaymentOption {
	var out []PaymentOption
	for _, o := range r.Options {
		if o.Enabled {
			out = append(out, o)
		}
	}
	return out
}

// Outcome classifies the result: ConsultOK when an option is enabled;
// ConsultCurrency when every option is disabled for the currency alone;
// ConsultNoOptions otherwise.
func (r *ConsultResult) Outcome() ConsultOutcome {
	if len(r.Options) == 0 {
		return ConsultNoOptions
	}
	currency := true
	for _, o := range r.Options {
		if o.Enabled {
			return ConsultOK
		}
		currency = currency && o.DisableReason == DisableCurrency
	}
	if currency {
		return ConsultCurrency
	}
	return ConsultNoOptions
}

// Consult asks the processor which payment methods can pay in.Amount on
// the buyer's terminal (consult). It changes nothing. A processor that is
// not a Consulter offers no methods.
func (s *Service) Consult(ctx context.Context, in ConsultInput) (*ConsultResult, error) {
	if in.Amount.Value <= 0 {
		return nil, Invalid("paymentAmount.value", "paymentAmount.value must be a positive integer in minor units")
	}
	if !slices.Contains(TerminalTypes, in.TerminalType) {
		return nil, Invalid("env.terminalType", "env.terminalType %q is not WEB, WAP, APP or MINI_APP", in.TerminalType)
	}
	c, ok := s.Processor.(Consulter)
	if !ok {
		return &ConsultResult{}, nil
	}
	opts, err := c.PaymentOptions(ctx, in)
	if err != nil {
		return nil, &Error{Kind: KindInternal, Message: "processor payment options", Err: err}
	}
	for i := range opts {
		opts[i].LogoURL = s.logoURL(opts[i].Logo)
		opts[i].CardBrands = slices.Clone(opts[i].CardBrands)
		for j := range opts[i].CardBrands {
			opts[i].CardBrands[j].LogoURL = s.logoURL(opts[i].CardBrands[j].Logo)
		}
	}
	return &ConsultResult{Options: opts}, nil
}

// logoURL is where the logo called name is served: Service.LogoURL's
// answer, by default on a domain that never resolves.
func (s *Service) logoURL(name string) string {
	if name == "" {
		return ""
	}
	if s.LogoURL != nil {
		return s.LogoURL(name)
	}
	return "https://wallet.antomgw.invalid/static/logos/" + name + ".svg"
}
