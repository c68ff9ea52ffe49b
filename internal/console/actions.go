package console

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/view"
	"github.com/antomgw/antomgw/wire"
)

// randomID returns prefix and 16 random hex digits: the request ids of
// what the console does for a merchant.
func randomID(prefix string) string {
	var b [8]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func paymentURL(id string) string { return "/console/payments/" + url.PathEscape(id) }

// resolve decides a PROCESSING payment by hand: success, fail with a
// result code, or close.
func (c *Console) resolve(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !c.parseForm(w, r) {
		return
	}
	outcome := gateway.ResolveOutcome(r.PostFormValue("outcome"))
	code, message := "", ""
	switch outcome {
	case gateway.ResolveSuccess, gateway.ResolveClose:
	case gateway.ResolveFail:
		code = r.PostFormValue("code")
		if code == "" {
			code = gateway.DefaultFailCode
		}
		if !slices.Contains(failCodes, code) {
			c.paymentPage(w, r, id, http.StatusBadRequest, invalid("resolve", "result code", "%q is not one of %s", code, strings.Join(failCodes, ", ")))
			return
		}
		if info, ok := wire.LookupCode(code); ok {
			message = info.Message
		}
	default:
		c.paymentPage(w, r, id, http.StatusBadRequest, invalid("resolve", "outcome", "%q is not success, fail or close", outcome))
		return
	}
	p, err := c.Service.ResolvePayment(r.Context(), gateway.PaymentRef{PaymentID: id}, outcome, code, message)
	if err != nil {
		st, fe := c.refused(err, "resolve", "outcome")
		c.paymentPage(w, r, id, st, fe)
		return
	}
	msg := fmt.Sprintf("payment %s is %s", p.ID, p.Status)
	if p.ResultCode != "" {
		msg += " (" + p.ResultCode + ")"
	}
	redirect(w, r, paymentURL(p.ID), msg, false)
}

// refund refunds a successful payment: the amount given in minor units,
// or what is left of it when the amount is empty.
func (c *Console) refund(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !c.parseForm(w, r) {
		return
	}
	p, err := c.Service.FindPayment(r.Context(), gateway.PaymentRef{PaymentID: id})
	if err != nil {
		st, fe := c.refused(err, "refund", "payment")
		c.fail(w, r, st, fe.Message)
		return
	}
	in := gateway.RefundInput{ClientID: p.ClientID, RequestID: randomID("console-"), PaymentID: p.ID,
		Reason: "refunded from the console", Async: r.PostFormValue("async") != ""}
	if s := strings.TrimSpace(r.PostFormValue("amount")); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v <= 0 {
			c.paymentPage(w, r, id, http.StatusBadRequest, invalid("refund", "amount", "%q is not a positive whole number of minor units (1050 is 10.50 USD)", s))
			return
		}
		in.Amount = gateway.Money{Value: v, Currency: p.Amount.Currency}
	}
	res, err := c.Service.Refund(r.Context(), in)
	if err != nil {
		st, fe := c.refused(err, "refund", "amount")
		c.paymentPage(w, r, id, st, fe)
		return
	}
	rf := res.Refund
	redirect(w, r, paymentURL(p.ID), fmt.Sprintf("refund %s of %s: %s", rf.ID, view.FormatMoney(rf.Amount), rf.Status), rf.Status == gateway.RefundFail)
}

// cancel cancels a payment as its merchant would.
func (c *Console) cancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, err := c.Service.FindPayment(r.Context(), gateway.PaymentRef{PaymentID: id})
	if err != nil {
		st, fe := c.refused(err, "cancel", "payment")
		c.fail(w, r, st, fe.Message)
		return
	}
	// By paymentId: the request id may stay empty (see Service.Cancel).
	p, err = c.Service.Cancel(r.Context(), p.ClientID, p.ID, "")
	if err != nil {
		st, fe := c.refused(err, "cancel", "payment")
		c.paymentPage(w, r, id, st, fe)
		return
	}
	redirect(w, r, paymentURL(p.ID), fmt.Sprintf("payment %s is %s", p.ID, p.Status), false)
}

// resend makes a notification due now again; the form says where to go
// back to (the payment's page or the notifications page).
func (c *Console) resend(w http.ResponseWriter, r *http.Request) {
	if !c.parseForm(w, r) {
		return
	}
	back := localNext(r.PostFormValue("back"))
	n, err := c.Service.ResendNotification(r.Context(), r.PathValue("id"))
	if err != nil {
		st, fe := c.refused(err, "resend", "notification")
		c.fail(w, r, st, fe.Message)
		return
	}
	redirect(w, r, back, fmt.Sprintf("notification %s is due again now (%s)", n.ID, n.Kind), false)
}
