package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/text/currency"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/antomgw/antomgw/internal/view"
)

// tryMethodID is the user's payment code of a PaymentCode payment tried
// from the console.
const tryMethodID = "281234567890123456"

// tryPrefix starts the paymentRequestId and referenceOrderId of a payment
// tried from the console.
const tryPrefix = "console-try-"

// defaultTryAmount is what the "any other amount" row pays unless told
// otherwise, in minor units.
const defaultTryAmount = 1000

// products are what a scenario may be tried with: product code and
// in-store scenario.
var products = []struct{ Value, Label, Code, Scenario string }{
	{"IN_STORE_PAYMENT/PaymentCode", "IN_STORE_PAYMENT · PaymentCode", gateway.ProductInStore, gateway.ScenarioPaymentCode},
	{"IN_STORE_PAYMENT/OrderCode", "IN_STORE_PAYMENT · OrderCode", gateway.ProductInStore, gateway.ScenarioOrderCode},
	{"IN_STORE_PAYMENT/EntryCode", "IN_STORE_PAYMENT · EntryCode", gateway.ProductInStore, gateway.ScenarioEntryCode},
	{"CASHIER_PAYMENT", "CASHIER_PAYMENT", gateway.ProductCashier, ""},
}

type scenariosData struct {
	Rows     []scenarioRow
	Clients  []string
	Products []struct{ Value, Label, Code, Scenario string }
	// Notice says why the last try created no payment, with what to send
	// to try again with the same request id.
	Notice *tryNotice
}

type scenarioRow struct {
	Value         string // "9906", or "any other"
	Amount        int64
	Any           bool
	Answer, Later string
}

type tryNotice struct {
	Message                              string
	Client, Product, Currency, RequestID string
	Amount                               int64
}

func (c *Console) scenarios(w http.ResponseWriter, r *http.Request) {
	c.scenariosPage(w, r, http.StatusOK, nil, nil)
}

func (c *Console) scenariosPage(w http.ResponseWriter, r *http.Request, status int, fe *formError, notice *tryNotice) {
	d := scenariosData{Clients: c.clientIDs(r), Products: products, Notice: notice}
	for _, s := range sim.Scenarios {
		row := scenarioRow{Value: strconv.FormatInt(s.Amount, 10), Amount: s.Amount, Answer: s.Answer, Later: s.Later}
		if s.Amount == 0 {
			row.Value, row.Amount, row.Any = "any other", defaultTryAmount, true
		}
		d.Rows = append(d.Rows, row)
	}
	c.render(w, r, status, "scenarios", &page{Title: "Scenarios", Nav: "scenarios", Data: d, Err: fe, Back: "/console/scenarios"})
}

// tryScenario pays as a merchant would, through the same use case as the
// API, and shows the new payment.
func (c *Console) tryScenario(w http.ResponseWriter, r *http.Request) {
	if !c.parseForm(w, r) {
		return
	}
	const action = "try"
	bad := func(field, format string, args ...any) {
		c.scenariosPage(w, r, http.StatusBadRequest, invalid(action, field, format, args...), nil)
	}
	clientID := r.PostFormValue("client")
	cl, err := c.Service.Client(r.Context(), clientID)
	if err != nil {
		st, fe := c.refused(err, action, "client")
		c.scenariosPage(w, r, st, fe, nil)
		return
	}
	prod := r.PostFormValue("product")
	i := -1
	for j, p := range products {
		if p.Value == prod {
			i = j
		}
	}
	if i < 0 {
		bad("product", "%q is not one of the products offered", prod)
		return
	}
	cur := strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency")))
	if cur == "" {
		cur = "USD"
	}
	if _, err := currency.ParseISO(cur); err != nil || len(cur) != 3 {
		bad("currency", "%q is not an ISO 4217 currency code", cur)
		return
	}
	amount, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("amount")), 10, 64)
	if err != nil || amount <= 0 {
		bad("amount", "%q is not a positive whole number of minor units", r.PostFormValue("amount"))
		return
	}
	reqID := r.PostFormValue("requestId")
	if reqID == "" {
		reqID = randomID(tryPrefix)
	} else if !strings.HasPrefix(reqID, tryPrefix) || len(reqID) > 64 {
		bad("request id", "only a request id the console made (%s…) can be tried again", tryPrefix)
		return
	}
	in := gateway.PayInput{ClientID: cl.ID, RequestID: reqID, ProductCode: products[i].Code, Scenario: products[i].Scenario,
		Amount: gateway.Money{Value: amount, Currency: cur}, MethodType: "CONNECT_WALLET", NotifyURL: cl.NotifyURL, ReferenceID: reqID}
	if in.Scenario == gateway.ScenarioPaymentCode {
		in.MethodID = tryMethodID
	}
	res, err := c.Service.Pay(r.Context(), in)
	if err != nil {
		st, fe := c.refused(err, action, "amount")
		c.scenariosPage(w, r, st, fe, nil)
		return
	}
	if res.Payment == nil {
		c.scenariosPage(w, r, http.StatusOK, nil, &tryNotice{
			Message: "pay answered U REQUEST_TRAFFIC_EXCEED_LIMIT: the wallet would not take the payment now, and no payment was created. " +
				"A merchant retries the same request; the next attempt with paymentRequestId " + reqID + " goes through.",
			Client: cl.ID, Product: prod, Currency: cur, RequestID: reqID, Amount: amount})
		return
	}
	p := res.Payment
	redirect(w, r, paymentURL(p.ID), fmt.Sprintf("pay %s answered %s: payment %s is %s", view.FormatMoney(p.Amount), payAnswer(res), p.ID, p.Status), false)
}

// payAnswer is the result status and code a merchant's pay got, as the
// API gives it.
func payAnswer(res *gateway.PayResult) string {
	p := res.Payment
	s := ""
	switch {
	case res.Unknown:
		s = "U UNKNOWN_EXCEPTION"
	case p.Status == gateway.PaymentSuccess:
		s = "S SUCCESS"
	case p.Status == gateway.PaymentFail, p.Status == gateway.PaymentCancelled:
		s = "F " + p.ResultCode
	case res.Code != "":
		s = "U " + res.Code
	default:
		s = "U " + gateway.CodePaymentInProcess
	}
	if res.Replay {
		s += " (a replay)"
	}
	return s
}
