package httpapi

import (
	"golang.org/x/text/currency"

	"github.com/antomgw/antomgw/internal/gateway"
)

// checkCurrency checks an ISO 4217 code against the maintained table of
// golang.org/x/text/currency (three upper-case letters, a recognised code),
// and that value, in minor units, is a whole multiple of the currency's
// standard rounding increment.
func checkCurrency(field, code string, value int64) error {
	if len(code) != 3 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' || code[2] < 'A' || code[2] > 'Z' {
		return illegal(field, "%q is not a three-letter upper-case ISO 4217 code", clip(code, 16))
	}
	unit, err := currency.ParseISO(code)
	if err != nil {
		return &gateway.Error{Kind: gateway.KindCurrency, Message: "currency " + code + " is not an ISO 4217 currency this gateway supports"}
	}
	_, increment := currency.Standard.Rounding(unit)
	if increment > 1 && value%int64(increment) != 0 {
		return illegal(field, "%s amounts must be multiples of %d minor units", code, increment)
	}
	return nil
}
