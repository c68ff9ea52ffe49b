package console

import (
	"net/http"

	"github.com/antomgw/antomgw/internal/gateway"
)

type notificationsData struct {
	Undelivered bool
	Rows        []notificationRow
	Limit       int
}

type notificationRow struct {
	ID, Kind, PaymentID, RefundID, URL, State, LastError string
	Attempts                                             int
	Created, Due, Delivered, GivenUp                     stamp
}

const notificationsLimit = 200

// notifications lists the newest notifications, or only the undelivered
// ones, each with a resend button.
func (c *Console) notifications(w http.ResponseWriter, r *http.Request) {
	d := notificationsData{Undelivered: r.URL.Query().Get("undelivered") != "", Limit: notificationsLimit}
	list, err := c.Service.Notifications(r.Context(), gateway.NotificationFilter{Undelivered: d.Undelivered, Limit: notificationsLimit})
	if err != nil {
		st, fe := c.refused(err, "notifications", "")
		c.fail(w, r, st, fe.Message)
		return
	}
	now := c.now()
	for i := range list {
		n := &list[i]
		row := notificationRow{ID: n.ID, Kind: string(n.Kind), PaymentID: n.PaymentID, RefundID: n.RefundID, URL: n.URL,
			State: string(n.State()), LastError: n.LastError, Attempts: n.Attempts, Created: stampOf(n.CreatedAt, now),
			Delivered: stampOf(n.DeliveredAt, now), GivenUp: stampOf(n.GivenUpAt, now)}
		if n.Pending() {
			row.Due = stampOf(n.DueAt, now)
		}
		d.Rows = append(d.Rows, row)
	}
	c.render(w, r, http.StatusOK, "notifications", &page{Title: "Notifications", Nav: "notifications", Data: d})
}
