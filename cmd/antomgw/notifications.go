package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/notify"
)

// notificationsCommands is the table of "antomgw notifications" subcommands.
func notificationsCommands() []*command {
	return []*command{
		{name: "list", summary: "list notifications and their delivery state", run: runNotificationsList},
		{name: "attempts", summary: "list every attempt of one notification", run: runNotificationsAttempts},
		{name: "resend", summary: "deliver a notification again (also a given-up or delivered one)", run: runNotificationsResend},
	}
}

func runNotificationsList(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" [--data DIR] [--undelivered] [--payment-id ID] [--limit N]",
		"List notifications, newest first: id, kind, payment, attempts, state and URL.")
	sf := addStoreFlags(f)
	undelivered := f.boolean("undelivered", "only notifications not delivered (pending or given up)")
	paymentID := f.str("payment-id", "ID", "", "only the notifications of this payment")
	limit := f.integer("limit", "N", 100, "at most this many")
	if err := f.parse(args); err != nil {
		return err
	}
	st, _, err := sf.open(ctx, e, "")
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.Notifications(ctx, gateway.NotificationFilter{Undelivered: *undelivered, PaymentID: *paymentID, Limit: *limit})
	if err != nil {
		return err
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

func runNotificationsAttempts(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" --id NOTIFICATION_ID [--data DIR]",
		"List every delivery attempt of a notification with its outcome, HTTP status and error.")
	sf := addStoreFlags(f)
	id := f.str("id", "NOTIFICATION_ID", "", "the notification (see notifications list)")
	f.require("id")
	if err := f.parse(args); err != nil {
		return err
	}
	st, _, err := sf.open(ctx, e, "")
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Notification(ctx, *id)
	if errors.Is(err, gateway.ErrNotFound) {
		return fmt.Errorf("no notification %s", *id)
	}
	if err != nil {
		return err
	}
	attempts, err := st.NotificationAttempts(ctx, *id)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "notification %s (%s of payment %s) to %s: %s\n\n", n.ID, n.Kind, n.PaymentID, n.URL, n.Describe())
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tAT\tDURATION\tOUTCOME\tHTTP\tERROR")
	for _, a := range attempts {
		status := "-"
		if a.HTTPStatus != 0 {
			status = fmt.Sprint(a.HTTPStatus)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", a.Number, a.At.Format("2006-01-02T15:04:05.000Z07:00"), a.Duration, a.Outcome, status, a.Error)
	}
	return tw.Flush()
}

func runNotificationsResend(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" --id NOTIFICATION_ID [--data DIR]",
		"Make a notification due now, also when it was given up or delivered. A running\nserver delivers it on its next poll, with the same body, signed afresh.")
	sf := addStoreFlags(f)
	id := f.str("id", "NOTIFICATION_ID", "", "the notification (see notifications list)")
	f.require("id")
	if err := f.parse(args); err != nil {
		return err
	}
	st, _, err := sf.open(ctx, e, "")
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := (&gateway.Service{Store: st, NotificationBody: notify.Body}).ResendNotification(ctx, *id); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "notification %s is due now\n", *id)
	return nil
}
