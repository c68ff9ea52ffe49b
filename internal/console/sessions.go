package console

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/view"
)

type sessionsData struct {
	Client, RequestID string
	Clients           []string
	Rows              []sessionRow
	// Older is the address of the next page; Newest goes back to the
	// first (see paymentsData).
	Older, Newest string
}

type sessionRow struct {
	ID, Client, RequestID, Amount, Scene, State, Methods, URL string
	PaymentID, PaymentStatus, PaymentMethod                   string
	Created, Expires                                          stamp
}

// sessions lists payment sessions (createPaymentSession), newest first, a
// page at a time, each with its state and, once the buyer submitted, its
// payment.
func (c *Console) sessions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := sessionsData{Client: q.Get("client"), RequestID: strings.TrimSpace(q.Get("paymentRequestId"))}
	f := gateway.SessionFilter{ClientID: d.Client, RequestID: d.RequestID, Limit: pageSize}
	var fe *formError
	status := http.StatusOK
	if s := q.Get("after"); s != "" {
		cur, err := gateway.ParsePaymentCursor(s)
		if err != nil {
			status, fe = c.refused(err, "filter", "cursor")
		}
		f.After = cur
	}
	if fe == nil {
		page, err := c.Service.Sessions(r.Context(), f)
		if err != nil {
			status, fe = c.refused(err, "filter", "client")
		} else {
			now := c.now()
			for _, s := range page.Sessions {
				d.Rows = append(d.Rows, sessionRowOf(s, now))
			}
			keep := url.Values{}
			for k, v := range map[string]string{"client": d.Client, "paymentRequestId": d.RequestID} {
				if v != "" {
					keep.Set(k, v)
				}
			}
			if page.Next != nil {
				next := cloneValues(keep)
				next.Set("after", page.Next.String())
				d.Older = "/console/sessions?" + next.Encode()
			}
			if f.After != nil {
				d.Newest = "/console/sessions?" + keep.Encode()
			}
		}
	}
	d.Clients = c.clientIDs(r)
	c.render(w, r, status, "sessions", &page{Title: "Payment sessions", Nav: "sessions", Data: d, Err: fe})
}

func sessionRowOf(r *gateway.SessionResult, now time.Time) sessionRow {
	s := r.Session
	state := r.State
	if r.Payment == nil && s.Expired(now) {
		state = gateway.SessionExpired
	}
	row := sessionRow{ID: s.ID, Client: s.ClientID, RequestID: s.RequestID, Amount: view.FormatMoney(s.Amount),
		Scene: s.ProductScene, State: string(state), Methods: strings.Join(s.Methods, ", "), URL: s.URL,
		Created: stampOf(s.CreatedAt, now), Expires: stampOf(s.ExpiresAt, now)}
	if row.Methods == "" {
		row.Methods = "all offered"
	}
	if p := r.Payment; p != nil {
		row.PaymentID, row.PaymentStatus, row.PaymentMethod = p.ID, string(p.Status), p.MethodType
	}
	return row
}
