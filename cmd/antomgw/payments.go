package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/view"
	"github.com/antomgw/antomgw/wire"
)

func runPaymentsList(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" [--client-id ID] [--status S] [--payment-request-id ID] [--from T] [--to T] [--limit N] [--cursor C] [--json] [--data DIR]",
		"List payments, newest first. --from and --to bound the creation time (RFC 3339,\n2026-12-02T10:00:00Z). When there are more, the last line (stderr with --json:\n\"nextCursor\") gives the --cursor of the next page.", func(f *flagSet) func(svc *gateway.Service) error {
			clientID := f.str("client-id", "ID", "", "only this client's payments")
			status := f.str("status", "S", "", "only payments in this status: PROCESSING, SUCCESS, FAIL or CANCELLED")
			requestID := f.str("payment-request-id", "ID", "", "only payments with this paymentRequestId")
			from := f.str("from", "T", "", "created at or after T")
			to := f.str("to", "T", "", "created before T")
			limit := f.integer("limit", "N", 50, "at most N payments")
			cursor := f.str("cursor", "C", "", "continue after the page that gave this cursor")
			asJSON := f.boolean("json", "print one JSON document")
			return func(svc *gateway.Service) error {
				filter := gateway.PaymentFilter{ClientID: *clientID, Status: gateway.PaymentStatus(*status), RequestID: *requestID, Limit: *limit}
				for _, t := range []struct {
					name, value string
					dst         *time.Time
				}{{"from", *from, &filter.From}, {"to", *to, &filter.To}} {
					if t.value == "" {
						continue
					}
					v, err := time.Parse(time.RFC3339, t.value)
					if err != nil {
						return f.usagef("--%s %q: want an RFC 3339 time such as 2026-12-02T10:00:00Z", t.name, t.value)
					}
					*t.dst = v
				}
				if *cursor != "" {
					c, err := gateway.ParsePaymentCursor(*cursor)
					if err != nil {
						return f.usagef("--cursor: %v", err)
					}
					filter.After = c
				}
				if *limit < 1 {
					return f.usagef("--limit must be at least 1, got %d", *limit)
				}
				page, err := svc.Payments(ctx, filter)
				if err != nil {
					return err
				}
				v := view.NewPaymentPage(page)
				if *asJSON {
					return writeJSON(e.stdout, v)
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CREATED\tPAYMENT ID\tCLIENT ID\tPAYMENT REQUEST ID\tSTATUS\tAMOUNT\tRESULT CODE")
				for _, p := range page.Payments {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.CreatedAt.Format(time.RFC3339), p.ID, p.ClientID, p.RequestID,
						p.Status, p.Amount, p.ResultCode)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				if v.NextCursor != "" {
					fmt.Fprintf(e.stdout, "more: --cursor %s\n", v.NextCursor)
				}
				return nil
			}
		})
}

// paymentRefFlags are the flags that name one payment.
func paymentRefFlags(f *flagSet) func() (gateway.PaymentRef, error) {
	paymentID := f.str("payment-id", "ID", "", "the paymentId")
	clientID := f.str("client-id", "ID", "", "with --payment-request-id: the client")
	requestID := f.str("payment-request-id", "ID", "", "the client's paymentRequestId (with --client-id)")
	return func() (gateway.PaymentRef, error) {
		switch {
		case *paymentID != "" && *requestID != "":
			return gateway.PaymentRef{}, f.usagef("give --payment-id or --client-id with --payment-request-id, not both")
		case *paymentID != "":
			return gateway.PaymentRef{PaymentID: *paymentID, ClientID: *clientID}, nil
		case *clientID != "" && *requestID != "":
			return gateway.PaymentRef{ClientID: *clientID, RequestID: *requestID}, nil
		}
		return gateway.PaymentRef{}, f.usagef("name the payment: --payment-id ID, or --client-id ID --payment-request-id ID")
	}
}

func runPaymentsShow(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" (--payment-id ID | --client-id ID --payment-request-id ID) [--json] [--data DIR]",
		"Show a payment with its refunds, its notifications and every delivery attempt.", func(f *flagSet) func(svc *gateway.Service) error {
			ref := paymentRefFlags(f)
			asJSON := f.boolean("json", "print one JSON document")
			return func(svc *gateway.Service) error {
				r, err := ref()
				if err != nil {
					return err
				}
				d, err := svc.ShowPayment(ctx, r)
				if err != nil {
					return err
				}
				if *asJSON {
					return writeJSON(e.stdout, view.NewPaymentDetail(d))
				}
				view.WritePaymentText(e.stdout, d)
				return nil
			}
		})
}

var paymentsResolveDoc = helpText("payments-resolve")

func runPaymentsResolve(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" (--payment-id ID | --client-id ID --payment-request-id ID) --outcome success|fail|close [--code CODE] [--message TEXT] [--data DIR]", paymentsResolveDoc, func(f *flagSet) func(svc *gateway.Service) error {
		ref := paymentRefFlags(f)
		outcome := f.str("outcome", "OUTCOME", "", "success, fail or close")
		code := f.str("code", "CODE", "", "with --outcome fail: the result code (status F in the code table)")
		message := f.str("message", "TEXT", "", "the result message (default: the code's)")
		f.require("outcome")
		return func(svc *gateway.Service) error {
			r, err := ref()
			if err != nil {
				return err
			}
			o := gateway.ResolveOutcome(*outcome)
			switch o {
			case gateway.ResolveSuccess, gateway.ResolveClose:
				if *code != "" {
					return f.usagef("--code goes with --outcome fail")
				}
			case gateway.ResolveFail:
				if *code != "" {
					info, ok := wire.LookupCode(*code)
					if !ok || info.Status != wire.StatusFail {
						return f.usagef("--code %s is not a result code of status F (see docs/protocol.md)", *code)
					}
					if *message == "" {
						*message = info.Message
					}
				}
			default:
				return f.usagef("--outcome %q: want success, fail or close", *outcome)
			}
			p, err := svc.ResolvePayment(ctx, r, o, *code, *message)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "payment %s is %s (%s)\n", p.ID, p.Status, p.ResultCode)
			return nil
		}
	})
}
