package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/view"
)

func runNotificationsList(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" [--undelivered] [--payment-id ID] [--limit N] [--json] [--data DIR]",
		"List notifications, newest first: id, kind, payment, attempts, state and URL.", func(f *flagSet) func(svc *gateway.Service) error {
			undelivered := f.boolean("undelivered", "only notifications not delivered (pending or given up)")
			paymentID := f.str("payment-id", "ID", "", "only the notifications of this payment")
			limit := f.integer("limit", "N", 100, "at most this many")
			asJSON := f.boolean("json", "print one JSON document")
			return func(svc *gateway.Service) error {
				list, err := svc.Notifications(ctx, gateway.NotificationFilter{Undelivered: *undelivered, PaymentID: *paymentID, Limit: *limit})
				if err != nil {
					return err
				}
				if *asJSON {
					views := make([]view.Notification, 0, len(list))
					for i := range list {
						views = append(views, view.NewNotification(&list[i], nil))
					}
					return writeJSON(e.stdout, struct {
						Notifications []view.Notification `json:"notifications"`
					}{views})
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tKIND\tCLIENT ID\tPAYMENT ID\tATTEMPTS\tSTATE\tLAST ERROR\tURL")
				for i := range list {
					n := &list[i]
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", n.ID, n.Kind, n.ClientID, n.PaymentID, n.Attempts,
						n.Describe(), n.LastError, n.URL)
				}
				return tw.Flush()
			}
		})
}

func runNotificationsAttempts(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" --id NOTIFICATION_ID [--json] [--data DIR]",
		"List every delivery attempt of a notification with its outcome, HTTP status and error.", func(f *flagSet) func(svc *gateway.Service) error {
			id := f.str("id", "NOTIFICATION_ID", "", "the notification (see notifications list)")
			asJSON := f.boolean("json", "print one JSON document")
			f.require("id")
			return func(svc *gateway.Service) error {
				d, err := svc.ShowNotification(ctx, *id)
				if err != nil {
					return err
				}
				if *asJSON {
					return writeJSON(e.stdout, view.NewNotification(&d.Notification, d.Attempts))
				}
				n := &d.Notification
				fmt.Fprintf(e.stdout, "notification %s (%s of payment %s) to %s: %s\n\n", n.ID, n.Kind, n.PaymentID, n.URL, n.Describe())
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "#\tAT\tDURATION\tOUTCOME\tHTTP\tERROR")
				for _, a := range d.Attempts {
					status := "-"
					if a.HTTPStatus != 0 {
						status = fmt.Sprint(a.HTTPStatus)
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", a.Number, a.At.Format("2006-01-02T15:04:05.000Z07:00"), a.Duration, a.Outcome, status, a.Error)
				}
				return tw.Flush()
			}
		})
}

func runNotificationsResend(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" --id NOTIFICATION_ID [--data DIR]",
		"Make a notification due now, also when it was given up or delivered. A running\nserver delivers it on its next poll, with the same body, signed afresh.", func(f *flagSet) func(svc *gateway.Service) error {
			id := f.str("id", "NOTIFICATION_ID", "", "the notification (see notifications list)")
			f.require("id")
			return func(svc *gateway.Service) error {
				if _, err := svc.ResendNotification(ctx, *id); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "notification %s is due now\n", *id)
				return nil
			}
		})
}
