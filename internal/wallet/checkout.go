package wallet

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/qr"
	"github.com/antomgw/antomgw/internal/view"
)

// reason is one reason a user may give for declining, with an Antom
// result code.
type reason struct {
	Code    string
	Label   string
	Default bool
}

// declineReasons are the result codes the wallet user may decline with,
// from Antom's catalogue; the first is the default.
var declineReasons = []reason{
	{Code: "USER_PAYMENT_VERIFICATION_FAILED", Label: "I decline", Default: true},
	{Code: "USER_BALANCE_NOT_ENOUGH", Label: "My balance is not enough"},
	{Code: "USER_AMOUNT_EXCEED_LIMIT", Label: "The amount exceeds my limit"},
	{Code: "RISK_REJECT", Label: "Rejected for risk"},
	{Code: "USER_STATUS_ABNORMAL", Label: "My account is restricted"},
}

// declineMessage is the result message of a payment the user declined.
const declineMessage = "The user declined the payment in the wallet."

func knownReason(code string) bool {
	for _, r := range declineReasons {
		if r.Code == code {
			return true
		}
	}
	return false
}

// payment returns the payment id names when token is its checkout token,
// and errLink otherwise (unknown payment, no checkout link, wrong token).
// The token is compared with the one in the payment's stored ActionURL, in
// constant time.
func (p *Pages) payment(ctx context.Context, id, token string) (*gateway.Payment, error) {
	pay, err := p.Service.FindPayment(ctx, gateway.PaymentRef{PaymentID: id})
	if gateway.KindOf(err) == gateway.KindNotFound {
		return nil, errLink
	}
	if err != nil {
		return nil, err
	}
	want, ok := storedToken(pay)
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		return nil, errLink
	}
	return pay, nil
}

// storedToken returns the token of a payment's checkout link: the last
// segment of its ActionURL, when that is .../wallet/checkout/<id>/<token>.
func storedToken(pay *gateway.Payment) (string, bool) {
	if pay.ActionURL == "" {
		return "", false
	}
	u, err := url.Parse(pay.ActionURL)
	if err != nil {
		return "", false
	}
	cut := strings.LastIndexByte(u.Path, '/') + 1
	dir, token := u.Path[:cut], u.Path[cut:]
	if token == "" || !strings.HasSuffix(dir, "/wallet/checkout/"+pay.ID+"/") {
		return "", false
	}
	return token, true
}

// lookupFailed answers a failed payment lookup: the 404 page for errLink,
// a logged 500 page otherwise.
func (p *Pages) lookupFailed(w http.ResponseWriter, r *http.Request, id string, err error) {
	if errors.Is(err, errLink) {
		p.linkNotValid(w, r)
		return
	}
	p.log().Error("wallet: find payment", "payment_id", id, "err", err)
	p.serverError(w, r)
}

// expired reports whether a PROCESSING payment is past its expiry (and
// about to be closed by the gateway).
func (p *Pages) expired(pay *gateway.Payment) bool {
	return pay.Status == gateway.PaymentProcessing && !pay.ExpiresAt.IsZero() && !p.now().Before(pay.ExpiresAt)
}

// checkout serves the checkout page. A GET of a PROCESSING payment counts
// as the user opening it: the automatic completion is called off
// (gateway.Service.StartCheckout) and the payment waits for the user.
func (p *Pages) checkout(w http.ResponseWriter, r *http.Request, id, token string) {
	ctx := r.Context()
	pay, err := p.payment(ctx, id, token)
	if err != nil {
		p.lookupFailed(w, r, id, err)
		return
	}
	if r.Method == http.MethodGet && pay.Status == gateway.PaymentProcessing && !p.expired(pay) {
		started, err := p.Service.StartCheckout(ctx, gateway.PaymentRef{PaymentID: pay.ID, ClientID: pay.ClientID})
		if err != nil {
			p.log().Error("wallet: start checkout", "payment_id", pay.ID, "err", err)
			p.serverError(w, r)
			return
		}
		pay = started
	}
	p.render(w, r, http.StatusOK, "checkout", p.checkoutData(pay, token))
}

// decide takes the checkout form: action=pay or action=decline with a
// code. It answers 303 to the shop's paymentRedirectUrl (an absolute http
// or https URL) or else to the checkout page; a payment that is no longer
// PROCESSING, or is past its expiry, is left alone and the 303 goes to the
// page, which shows its state.
func (p *Pages) decide(w http.ResponseWriter, r *http.Request) {
	id, token, _, _ := checkoutPath(r.URL.Path)
	ctx := r.Context()
	pay, err := p.payment(ctx, id, token)
	if err != nil {
		p.lookupFailed(w, r, id, err)
		return
	}
	outcome, code, message, ok := p.decision(w, r)
	if !ok {
		return
	}
	page := "/wallet/checkout/" + url.PathEscape(id) + "/" + token
	if p.expired(pay) {
		redirect(w, page, http.StatusSeeOther)
		return
	}
	done, err := p.Service.ResolvePayment(ctx, gateway.PaymentRef{PaymentID: pay.ID, ClientID: pay.ClientID}, outcome, code, message)
	switch {
	case err == nil:
		if shop := shopURL(done.RedirectURL); shop != "" {
			redirect(w, shop, http.StatusSeeOther)
			return
		}
		redirect(w, page, http.StatusSeeOther)
	case gateway.KindOf(err) == gateway.KindInvalidTransition:
		redirect(w, page, http.StatusSeeOther) // decided already: the page shows how
	case gateway.KindOf(err) == gateway.KindNotFound:
		p.linkNotValid(w, r)
	default:
		p.log().Error("wallet: resolve payment", "payment_id", pay.ID, "action", r.PostForm.Get("action"), "err", err)
		p.serverError(w, r)
	}
}

// decision reads the form of a checkout or session page (8 KiB at most):
// action=pay, or action=decline with a reason code (the first reason when
// none is given). A form it cannot take is answered 400 here, and ok is
// false.
func (p *Pages) decision(w http.ResponseWriter, r *http.Request) (outcome gateway.ResolveOutcome, code, message string, ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		p.badRequest(w, r, "form", "The form could not be read.")
		return "", "", "", false
	}
	switch r.PostForm.Get("action") {
	case "pay":
		return gateway.ResolveSuccess, "", "", true
	case "decline":
		code = r.PostForm.Get("code")
		if !r.PostForm.Has("code") {
			code = declineReasons[0].Code
		}
		if !knownReason(code) {
			p.badRequest(w, r, "code", "The field \"code\" is not a reason this wallet knows.")
			return "", "", "", false
		}
		return gateway.ResolveFail, code, declineMessage, true
	default:
		p.badRequest(w, r, "action", "The field \"action\" must be pay or decline.")
		return "", "", "", false
	}
}

// shopURL returns s when it is an absolute http or https URL, else "".
func shopURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return s
}

// checkoutQR serves the payment's checkout link as a QR code: the code
// the user scanned for an OrderCode payment.
func (p *Pages) checkoutQR(w http.ResponseWriter, r *http.Request, id, token string) {
	pay, err := p.payment(r.Context(), id, token)
	if err != nil {
		p.lookupFailed(w, r, id, err)
		return
	}
	p.png(w, r, pay.ActionURL)
}

// png answers text as a QR code image.
func (p *Pages) png(w http.ResponseWriter, r *http.Request, text string) {
	img, err := qr.PNG(text, 8)
	if err != nil {
		p.log().Error("wallet: draw QR code", "len", len(text), "err", err)
		p.serverError(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.WriteHeader(http.StatusOK)
	w.Write(img)
}

// checkoutView is what the checkout template shows.
type checkoutView struct {
	Title       string
	ID          string
	Merchant    string
	Order       string
	Amount      string
	Method      string
	Status      string
	StatusClass string
	QR          string // the img src of the order's QR code, for OrderCode

	Open      bool   // PROCESSING and not expired: the form is shown
	ExpiresAt string // RFC 3339, UTC
	ExpiresIn string // "Expires in 13 min 59 s"
	Remaining int64  // seconds, for wallet.js
	Reasons   []reason

	Expired   bool   // PROCESSING past its expiry, not closed yet
	Outcome   string // the headline of a final payment
	Code      string // the result code of a declined payment
	Detail    string
	ReturnURL string
}

func (p *Pages) checkoutData(pay *gateway.Payment, token string) checkoutView {
	v := checkoutView{
		Title: "Pay " + view.FormatMoney(pay.Amount), ID: pay.ID, Merchant: pay.ClientID, Order: pay.ReferenceID,
		Amount: view.FormatMoney(pay.Amount), Method: pay.MethodType, Status: string(pay.Status),
		StatusClass: "status-" + strings.ToLower(string(pay.Status)),
	}
	if v.Order == "" {
		v.Order = "—"
	}
	if v.Method == "" {
		v.Method = "—"
	}
	if pay.Scenario == gateway.ScenarioOrderCode {
		v.QR = "/wallet/checkout/" + url.PathEscape(pay.ID) + "/" + token + "/qr.png"
	}
	switch {
	case p.expired(pay):
		v.Title, v.Expired = "Expired", true
		v.Detail = "This payment expired at " + stamp(pay.ExpiresAt) + " and is being closed. Nothing was charged."
	case pay.Status == gateway.PaymentProcessing:
		v.Open, v.Reasons = true, declineReasons
		if !pay.ExpiresAt.IsZero() {
			left := pay.ExpiresAt.Sub(p.now())
			v.ExpiresAt = pay.ExpiresAt.UTC().Format(time.RFC3339Nano)
			v.ExpiresIn = "Expires in " + countdown(left)
			v.Remaining = int64(left / time.Second)
		}
	default:
		v.Outcome, v.Code, v.Detail = outcome(pay)
		v.Title = v.Outcome
		v.ReturnURL = shopURL(pay.RedirectURL)
	}
	return v
}

// outcome says how a final payment ended: a headline, the result code of
// a decline, and a sentence with the time.
func outcome(pay *gateway.Payment) (headline, code, detail string) {
	switch {
	case pay.Status == gateway.PaymentSuccess:
		return "Paid", "", "Paid at " + stamp(pay.PaidAt) + "."
	case pay.Closed():
		if pay.UpdatedAt.Before(pay.ExpiresAt) {
			return "Closed unpaid", "", "The payment was closed at " + stamp(pay.UpdatedAt) + " without being paid."
		}
		return "Closed unpaid at its expiry", "", "The payment expired at " + stamp(pay.ExpiresAt) + " without being paid."
	case pay.Status == gateway.PaymentFail:
		return "Declined", pay.ResultCode, pay.ResultMessage
	case pay.Status == gateway.PaymentCancelled:
		detail = "The merchant cancelled the payment at " + stamp(pay.CancelledAt) + "."
		if !pay.PaidAt.IsZero() {
			detail += " The amount paid was reversed."
		}
		return "Cancelled by the merchant", "", detail
	}
	return string(pay.Status), pay.ResultCode, pay.ResultMessage
}

// stamp writes t in UTC to the second, for people.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// countdown writes d, rounded down to the second, as "1 h 2 min 3 s",
// "13 min 59 s" or "45 s".
func countdown(d time.Duration) string {
	s := max(int64(d/time.Second), 0)
	h, m, sec := s/3600, s%3600/60, s%60
	switch {
	case h > 0:
		return fmt.Sprintf("%d h %d min %d s", h, m, sec)
	case m > 0:
		return fmt.Sprintf("%d min %d s", m, sec)
	}
	return fmt.Sprintf("%d s", sec)
}
