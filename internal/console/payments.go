package console

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/qr"
	"github.com/antomgw/antomgw/internal/view"
)

// pageSize is how many rows a listing shows at a time.
const pageSize = 50

type paymentsData struct {
	Client, Status, RequestID, From, To string
	Clients                             []string
	Statuses                            []string
	Rows                                []paymentRow
	// Older is the address of the next page; empty on the last.
	Older string
	// Live is the address console.js polls for fresh rows (the first page
	// only); Newest goes back to the first page from a later one.
	Live, Newest string
}

type paymentRow struct {
	ID, Client, RequestID, Product, Amount, Status, Code string
	Created                                              stamp
}

var statuses = []string{string(gateway.PaymentProcessing), string(gateway.PaymentSuccess), string(gateway.PaymentFail), string(gateway.PaymentCancelled)}

// localTimeLayouts are what a datetime-local input sends, read as UTC,
// and RFC 3339 for a hand-written address.
var localTimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", time.RFC3339Nano}

func parseLocalTime(s string) (time.Time, bool) {
	for _, l := range localTimeLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// payments lists payments, newest first, a page at a time; with
// partial=rows it answers only the rows, for console.js.
func (c *Console) payments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := paymentsData{Client: q.Get("client"), Status: q.Get("status"), RequestID: strings.TrimSpace(q.Get("paymentRequestId")),
		From: q.Get("from"), To: q.Get("to"), Statuses: statuses}
	f := gateway.PaymentFilter{ClientID: d.Client, Status: gateway.PaymentStatus(d.Status), RequestID: d.RequestID, Limit: pageSize}
	var fe *formError
	for _, t := range []struct {
		name, value string
		dst         *time.Time
	}{{"from", d.From, &f.From}, {"to", d.To, &f.To}} {
		if t.value == "" {
			continue
		}
		v, ok := parseLocalTime(t.value)
		if !ok {
			fe = invalid("filter", t.name, "%q is not a date and time (YYYY-MM-DDTHH:MM, UTC)", t.value)
			continue
		}
		*t.dst = v
	}
	if s := q.Get("after"); s != "" && fe == nil {
		cur, err := gateway.ParsePaymentCursor(s)
		if err != nil {
			_, fe = c.refused(err, "filter", "cursor")
		}
		f.After = cur
	}
	status := http.StatusOK
	if fe == nil {
		page, err := c.Service.Payments(r.Context(), f)
		if err != nil {
			status, fe = c.refused(err, "filter", "status")
		} else {
			now := c.now()
			for _, p := range page.Payments {
				d.Rows = append(d.Rows, paymentRowOf(p, now))
			}
			keep := url.Values{}
			for k, v := range map[string]string{"client": d.Client, "status": d.Status, "paymentRequestId": d.RequestID, "from": d.From, "to": d.To} {
				if v != "" {
					keep.Set(k, v)
				}
			}
			if page.Next != nil {
				next := cloneValues(keep)
				next.Set("after", page.Next.String())
				d.Older = "/console/payments?" + next.Encode()
			}
			if f.After == nil {
				live := cloneValues(keep)
				live.Set("partial", "rows")
				d.Live = "/console/payments?" + live.Encode()
			} else {
				d.Newest = "/console/payments?" + keep.Encode()
			}
		}
	} else {
		status = http.StatusBadRequest
	}
	if q.Get("partial") == "rows" {
		if fe != nil {
			http.Error(w, fe.Field+": "+fe.Message, status)
			return
		}
		c.renderBlock(w, "payments", "payment-rows", d.Rows)
		return
	}
	d.Clients = c.clientIDs(r)
	c.render(w, r, status, "payments", &page{Title: "Payments", Nav: "payments", Data: d, Err: fe})
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func paymentRowOf(p *gateway.Payment, now time.Time) paymentRow {
	return paymentRow{ID: p.ID, Client: p.ClientID, RequestID: p.RequestID, Product: product(p),
		Amount: view.FormatMoney(p.Amount), Status: string(p.Status), Code: p.ResultCode, Created: stampOf(p.CreatedAt, now)}
}

func product(p *gateway.Payment) string {
	if p.Scenario != "" {
		return p.ProductCode + " / " + p.Scenario
	}
	return p.ProductCode
}

// clientIDs lists the registered clients' ids for a select; a failure
// leaves it empty (the page still works with a typed id).
func (c *Console) clientIDs(r *http.Request) []string {
	clients, err := c.Service.Clients(r.Context())
	if err != nil {
		c.log().Error("console: list clients", "err", err)
		return nil
	}
	ids := make([]string, 0, len(clients))
	for _, cl := range clients {
		ids = append(ids, cl.ID)
	}
	return ids
}

// failCodes are the result codes an operator may fail a payment with,
// the default first.
var failCodes = []string{gateway.DefaultFailCode, "USER_BALANCE_NOT_ENOUGH", "RISK_REJECT",
	"USER_PAYMENT_VERIFICATION_FAILED", "EXPIRED_CODE", "INVALID_PAYMENT_CODE", "USER_AMOUNT_EXCEED_LIMIT"}

type paymentData struct {
	ID, Client, RequestID, Product, Scenario, Method, Reference string
	Amount, Refunded, Status, Code, Message                     string
	Created, Updated, Paid, Cancelled, Expires                  stamp
	NotifyURL, RedirectURL, ActionURL                           string
	QR                                                          bool

	// Auth is the authorisation's state; nil for a payment that is not
	// an authorisation.
	Auth *authView

	Timeline      []event
	Refunds       []refundRow
	Captures      []captureRow
	Notifications []notificationBlock
	Exchanges     []exchangeView
	Recording     bool

	CanResolve, CanRefund, CanCancel bool
	FailCodes                        []string
	RefundLeft                       int64
	Currency                         string
}

type refundRow struct {
	ID, RequestID, Amount, Status, Code string
	Async                               bool
	Created, Refunded                   stamp
}

// authView is an authorisation's state on its payment's page.
type authView struct {
	Mode, State                     string
	Captured, Capturing, Capturable string
	Expires                         stamp
}

type captureRow struct {
	ID, RequestID, Amount, Status, Code string
	Last, Automatic                     bool
	Created, Captured                   stamp
}

type notificationBlock struct {
	ID, Kind, URL, State, LastError, RefundID string
	Due, Created, Delivered                   stamp
	Attempts                                  []attemptRow
}

type attemptRow struct {
	Number     int
	At         stamp
	Duration   string
	Outcome    string
	HTTPStatus int
	Error      string
	OK         bool
}

// payment shows one payment with everything that happened to it.
func (c *Console) payment(w http.ResponseWriter, r *http.Request) {
	c.paymentPage(w, r, r.PathValue("id"), http.StatusOK, nil)
}

// paymentPage renders a payment's page with status, and fe above it when
// an action was refused.
func (c *Console) paymentPage(w http.ResponseWriter, r *http.Request, id string, status int, fe *formError) {
	det, err := c.Service.ShowPayment(r.Context(), gateway.PaymentRef{PaymentID: id})
	if err != nil {
		st, e := c.refused(err, "payment", "payment")
		c.fail(w, r, st, e.Message)
		return
	}
	now := c.now()
	p := det.Payment
	d := paymentData{ID: p.ID, Client: p.ClientID, RequestID: p.RequestID, Product: p.ProductCode, Scenario: p.Scenario,
		Method: strings.TrimSpace(p.MethodType + " " + p.MethodID), Reference: p.ReferenceID,
		Amount: view.FormatMoney(p.Amount), Refunded: view.FormatMoney(gateway.Money{Value: p.Refunded, Currency: p.Amount.Currency}),
		Status: string(p.Status), Code: p.ResultCode, Message: unlessSame(p.ResultMessage, p.ResultCode),
		Created: stampOf(p.CreatedAt, now), Updated: stampOf(p.UpdatedAt, now), Paid: stampOf(p.PaidAt, now),
		Cancelled: stampOf(p.CancelledAt, now), NotifyURL: p.NotifyURL, RedirectURL: p.RedirectURL, ActionURL: p.ActionURL,
		QR:        p.Scenario == gateway.ScenarioOrderCode && p.ActionURL != "",
		Recording: c.Traffic != nil, FailCodes: failCodes, Currency: p.Amount.Currency,
		CanResolve: p.Status == gateway.PaymentProcessing,
		CanRefund:  p.Status == gateway.PaymentSuccess && p.Refundable() > 0,
		CanCancel: p.Status == gateway.PaymentProcessing || (p.Status == gateway.PaymentSuccess && p.Refunded == 0 &&
			(!p.Authorization || (p.AuthState == gateway.AuthAuthorised && p.Capturing == 0))),
		RefundLeft: p.Refundable(),
	}
	if p.Authorization {
		money := func(v int64) string { return view.FormatMoney(gateway.Money{Value: v, Currency: p.Amount.Currency}) }
		d.Auth = &authView{Mode: p.CaptureMode, State: string(p.AuthState), Captured: money(p.Captured),
			Capturing: money(p.Capturing), Capturable: money(p.Capturable()), Expires: stampOf(p.AuthExpiresAt, now)}
		if d.Auth.State == "" {
			d.Auth.State = "not authorised yet"
		}
	}
	for _, c := range det.Captures {
		d.Captures = append(d.Captures, captureRow{ID: c.ID, RequestID: c.RequestID, Amount: view.FormatMoney(c.Amount),
			Status: string(c.Status), Code: c.ResultCode, Last: c.Last, Automatic: c.Automatic,
			Created: stampOf(c.CreatedAt, now), Captured: stampOf(c.CapturedAt, now)})
	}
	if p.Status == gateway.PaymentProcessing {
		d.Expires = stampOf(p.ExpiresAt, now)
	}
	for _, rf := range det.Refunds {
		d.Refunds = append(d.Refunds, refundRow{ID: rf.ID, RequestID: rf.RequestID, Amount: view.FormatMoney(rf.Amount),
			Status: string(rf.Status), Code: rf.ResultCode, Async: rf.Async, Created: stampOf(rf.CreatedAt, now), Refunded: stampOf(rf.RefundedAt, now)})
	}
	for i := range det.Notifications {
		d.Notifications = append(d.Notifications, notificationBlockOf(&det.Notifications[i], now))
	}
	exchanges := c.paymentExchanges(p)
	for _, x := range exchanges {
		d.Exchanges = append(d.Exchanges, c.exchangeViewOf(x, now))
	}
	d.Timeline = timeline(det, exchanges, now)
	c.render(w, r, status, "payment", &page{Title: "Payment " + p.ID, Nav: "payments", Data: d, Err: fe,
		Back: "/console/payments/" + url.PathEscape(p.ID)})
}

func notificationBlockOf(nd *gateway.NotificationDetail, now time.Time) notificationBlock {
	n := &nd.Notification
	b := notificationBlock{ID: n.ID, Kind: string(n.Kind), URL: n.URL, State: string(n.State()), LastError: n.LastError,
		RefundID: n.RefundID, Created: stampOf(n.CreatedAt, now), Delivered: stampOf(n.DeliveredAt, now)}
	if n.Pending() {
		b.Due = stampOf(n.DueAt, now)
	}
	for _, a := range nd.Attempts {
		b.Attempts = append(b.Attempts, attemptRow{Number: a.Number, At: stampOf(a.At, now), Duration: a.Duration.Round(time.Millisecond).String(),
			Outcome: string(a.Outcome), HTTPStatus: a.HTTPStatus, Error: a.Error, OK: a.Outcome == gateway.OutcomeDelivered})
	}
	return b
}

// paymentQR draws the payment's action URL (the code an OrderCode payment
// shows the user) as a QR code.
func (c *Console) paymentQR(w http.ResponseWriter, r *http.Request) {
	p, err := c.Service.FindPayment(r.Context(), gateway.PaymentRef{PaymentID: r.PathValue("id")})
	if err != nil {
		st, e := c.refused(err, "payment", "payment")
		c.fail(w, r, st, e.Message)
		return
	}
	if p.ActionURL == "" {
		c.fail(w, r, http.StatusNotFound, "Payment "+p.ID+" has no code to show.")
		return
	}
	png, err := qr.PNG(p.ActionURL, 6)
	if err != nil {
		c.log().Error("console: qr", "payment_id", p.ID, "err", err)
		c.fail(w, r, http.StatusInternalServerError, "The code does not fit in a QR image.")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
}

// unlessSame returns message, or "" when it only repeats code ("success"
// after SUCCESS).
func unlessSame(message, code string) string {
	if strings.EqualFold(message, code) {
		return ""
	}
	return message
}
