package wallet

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"strings"
)

// codeLimit is 10^16: a payment code is "28" and 16 random digits.
var codeLimit = new(big.Int).Exp(big.NewInt(10), big.NewInt(16), nil)

// newPaymentCode returns a fresh user payment code: 18 digits starting
// with "28", as Alipay's, from crypto/rand. The simulated wallet takes any
// code, so nothing is stored.
func newPaymentCode() (string, error) {
	n, err := rand.Int(rand.Reader, codeLimit)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("28%016d", n), nil
}

// groups writes s in groups of four characters: "2812 3456 7890 1234 56".
func groups(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// homeView is what the home template shows.
type homeView struct {
	Title   string
	Code    string
	Grouped string
	QR      string
}

// home serves the payment code page: a fresh code at every visit, as a QR
// image and as text.
func (p *Pages) home(w http.ResponseWriter, r *http.Request) {
	code, err := newPaymentCode()
	if err != nil {
		p.log().Error("wallet: new payment code", "err", err)
		p.serverError(w, r)
		return
	}
	p.render(w, r, http.StatusOK, "home", homeView{Title: "Payment code", Code: code, Grouped: groups(code),
		QR: "/wallet/code.png?c=" + code})
}

// validCode reports whether c is 1 to 32 ASCII digits.
func validCode(c string) bool {
	if len(c) < 1 || len(c) > 32 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if c[i] < '0' || c[i] > '9' {
			return false
		}
	}
	return true
}

// codePNG serves ?c=DIGITS as a QR code image; anything but 1 to 32
// digits is a 400 page.
func (p *Pages) codePNG(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c := q.Get("c")
	if len(q["c"]) != 1 || !validCode(c) {
		p.badRequest(w, r, "c", "The parameter \"c\" must be a code of 1 to 32 digits.")
		return
	}
	p.png(w, r, c)
}
