package view

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// WritePaymentText writes a payment's detail for people (antomgw payments
// show): the payment's fields, its refunds, and each notification with
// every delivery attempt. Amounts are written as they are kept, in minor
// units.
func WritePaymentText(w io.Writer, d *gateway.PaymentDetail) {
	p := d.Payment
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("2006-01-02T15:04:05.000Z07:00")
	}
	row("payment", p.ID)
	row("client", p.ClientID)
	row("paymentRequestId", p.RequestID)
	row("product", p.ProductCode+" "+p.Scenario)
	row("amount", fmt.Sprintf("%s (refunded %d)", p.Amount, p.Refunded))
	row("status", string(p.Status))
	if p.ResultCode != "" {
		row("result", p.ResultCode+": "+p.ResultMessage)
	}
	row("created", ts(p.CreatedAt))
	row("paid", ts(p.PaidAt))
	row("cancelled", ts(p.CancelledAt))
	if p.Status == gateway.PaymentProcessing {
		row("expires", ts(p.ExpiresAt))
	}
	if p.Authorization {
		row("authorisation", fmt.Sprintf("%s capture, %s, captured %s (%s in process), expires %s",
			p.CaptureMode, p.AuthState, FormatMoney(gateway.Money{Value: p.Captured, Currency: p.Amount.Currency}),
			FormatMoney(gateway.Money{Value: p.Capturing, Currency: p.Amount.Currency}), ts(p.AuthExpiresAt)))
	}
	tw.Flush()
	if len(d.Captures) > 0 {
		fmt.Fprintln(w, "\ncaptures:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  CAPTURE ID\tREQUEST ID\tAMOUNT\tSTATUS\tRESULT\tLAST")
		for _, c := range d.Captures {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%v\n", c.ID, c.RequestID, c.Amount, c.Status, c.ResultCode, c.Last)
		}
		tw.Flush()
	}
	if len(d.Refunds) > 0 {
		fmt.Fprintln(w, "\nrefunds:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  REFUND ID\tREQUEST ID\tAMOUNT\tSTATUS\tRESULT")
		for _, r := range d.Refunds {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", r.ID, r.RequestID, r.Amount, r.Status, r.ResultCode)
		}
		tw.Flush()
	}
	for _, nd := range d.Notifications {
		n := nd.Notification
		fmt.Fprintf(w, "\nnotification %s (%s) to %s: %s\n", n.ID, n.Kind, n.URL, n.Describe())
		for _, a := range nd.Attempts {
			status := ""
			if a.HTTPStatus != 0 {
				status = fmt.Sprintf(" HTTP %d", a.HTTPStatus)
			}
			fmt.Fprintf(w, "  #%d %s %s%s %s\n", a.Number, ts(a.At), a.Outcome, status, a.Error)
		}
	}
}
