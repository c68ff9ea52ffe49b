package view

import (
	"strconv"
	"strings"

	"golang.org/x/text/currency"

	"github.com/antomgw/antomgw/internal/gateway"
)

// FormatMoney writes an amount in minor units as people read it, in the
// currency's standard number of decimals: 9903 USD is "99.03 USD", 500 JPY
// is "500 JPY". A currency x/text does not know is shown with two decimals.
func FormatMoney(m gateway.Money) string {
	scale := 2
	if unit, err := currency.ParseISO(m.Currency); err == nil {
		scale, _ = currency.Standard.Rounding(unit)
	}
	v := m.Value
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	digits := strconv.FormatInt(v, 10)
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	return sign + digits + " " + m.Currency
}
