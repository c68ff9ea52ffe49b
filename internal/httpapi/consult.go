package httpapi

import (
	"context"
	"slices"
	"strconv"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

func consultHandler(s *Server, ctx context.Context, x *exchange, body []byte) (*outcome, error) {
	return s.consult(ctx, x.client, body)
}

// consultCall is what a consult offers a scenario rule's match: its
// amount and product code (consult changes nothing: its rules are
// claimed first, see ruleFirst).
func consultCall(body []byte) (gateway.ScenarioCall, error) {
	var req antomgw.ConsultRequest
	if err := decode(body, &req); err != nil {
		return gateway.ScenarioCall{}, err
	}
	m, err := money("paymentAmount", req.PaymentAmount, maxMinorUnits)
	return gateway.ScenarioCall{Amount: &m, ProductCode: req.ProductCode}, err
}

// consultResult is the result of a consult: S when an option is enabled,
// else F NO_PAY_OPTIONS or, when only the currency stands in the way, F
// CURRENCY_NOT_SUPPORT.
func consultResult(r *gateway.ConsultResult, in *gateway.ConsultInput) wire.Result {
	switch r.Outcome() {
	case gateway.ConsultCurrency:
		return wire.NewResult(wire.CodeCurrencyNotSupport, clip("No payment method takes "+in.Amount.Currency+"; see each option's supportedCurrencies.", 256))
	case gateway.ConsultNoOptions:
		if len(r.Options) == 0 {
			return wire.NewResult(codeNoPayOptions, "No payment method is offered for this terminal type and these filters.")
		}
		return wire.NewResult(codeNoPayOptions, "No payment option is enabled for this amount and currency; see each option's disableReason.")
	}
	return wire.NewResult(wire.CodeSuccess, "success")
}

// codeNoPayOptions: no payment method can pay (consult,
// createPaymentSession).
const codeNoPayOptions = "NO_PAY_OPTIONS"

func (s *Server) consult(ctx context.Context, client gateway.Client, body []byte) (*outcome, error) {
	var req antomgw.ConsultRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := cashierProduct(req.ProductCode); err != nil {
		return nil, err
	}
	m, err := money("paymentAmount", req.PaymentAmount, maxMinorUnits)
	if err != nil {
		return nil, err
	}
	if req.Env == nil {
		return nil, illegal("env", "is required (with env.terminalType: WEB, WAP, APP or MINI_APP)")
	}
	if err := terminalType(req.Env.TerminalType, true); err != nil {
		return nil, err
	}
	if err := firstErr(
		region("userRegion", req.UserRegion),
		region("merchantRegion", req.MerchantRegion),
		maxString("merchantAccountId", req.MerchantAccountID, 32),
		eachString("allowedPaymentMethodRegions", req.AllowedPaymentMethodRegions, 6),
		eachString("allowedPaymentMethods", req.AllowedPaymentMethods, 64),
		eachString("blockedPaymentMethods", req.BlockedPaymentMethods, 64),
	); err != nil {
		return nil, err
	}
	in := gateway.ConsultInput{ClientID: client.ID, Amount: m, TerminalType: req.Env.TerminalType,
		UserRegion: req.UserRegion, Regions: req.AllowedPaymentMethodRegions,
		Methods: req.AllowedPaymentMethods, Blocked: req.BlockedPaymentMethods}
	r, err := s.Service.Consult(ctx, in)
	if err != nil {
		return nil, err
	}
	res := consultResult(r, &in)
	resp := antomgw.ConsultResponse{Result: res}
	for _, o := range r.Options {
		resp.PaymentOptions = append(resp.PaymentOptions, paymentOptionOf(o))
	}
	return respondWith(res, resp), nil
}

// paymentOptionOf is a payment option as consult answers it.
func paymentOptionOf(o gateway.PaymentOption) antomgw.PaymentOption {
	out := antomgw.PaymentOption{
		PaymentMethodType: o.MethodType, PaymentMethodCategory: o.Category,
		PaymentMethodRegion: slices.Clone(o.Regions), Enabled: o.Enabled, Preferred: o.Preferred,
		DisableReason: o.DisableReason, SupportedCurrencies: slices.Clone(o.Currencies),
	}
	if o.Logo != "" {
		out.Logo = &antomgw.Logo{LogoName: o.Logo, LogoURL: o.LogoURL}
	}
	if len(o.CardBrands) > 0 {
		d := &antomgw.PaymentOptionDetail{}
		for _, b := range o.CardBrands {
			cb := antomgw.CardBrand{CardBrand: b.Brand}
			if b.Logo != "" {
				cb.Logo = &antomgw.Logo{LogoName: b.Logo, LogoURL: b.LogoURL}
			}
			d.SupportCardBrands = append(d.SupportCardBrands, cb)
		}
		out.PaymentOptionDetail = d
	}
	return out
}

// cashierProduct checks productCode: consult and payment sessions are
// for CASHIER_PAYMENT.
func cashierProduct(code string) error {
	switch code {
	case "":
		return illegal("productCode", "is required")
	case gateway.ProductCashier:
		return nil
	}
	return illegal("productCode", "%q is not supported; use CASHIER_PAYMENT", clip(code, 32))
}

// terminalType checks env.terminalType, required or not.
func terminalType(t string, required bool) error {
	if t == "" && !required {
		return nil
	}
	if t == "" {
		return illegal("env.terminalType", "is required: WEB, WAP, APP or MINI_APP")
	}
	if !slices.Contains(gateway.TerminalTypes, t) {
		return illegal("env.terminalType", "%q is not WEB, WAP, APP or MINI_APP", clip(t, 16))
	}
	return nil
}

// region checks an optional ISO 3166 alpha-2 region code.
func region(field, v string) error {
	if v == "" {
		return nil
	}
	if len(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' {
		return illegal(field, "%q is not a two-letter upper-case region code (ISO 3166 alpha-2)", clip(v, 16))
	}
	return nil
}

// eachString checks the strings of a list: none empty, none longer than
// maxLen.
func eachString(field string, vs []string, maxLen int) error {
	for i, v := range vs {
		f := field + "[" + strconv.Itoa(i) + "]"
		if err := requireString(f, v, maxLen); err != nil {
			return err
		}
	}
	return nil
}
