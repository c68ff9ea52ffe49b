package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/view"
)

var scenariosAddDoc = helpText("scenarios-add")

func runScenariosAdd(ctx context.Context, e *env, path string, args []string) error {
	// Like onStore, but the flags are checked before the store is opened.
	f := newFlagSet(e, path, path+" --client-id ID --api API (--result-code CODE [--then T] | --delay D | --drop | --http-status S | --notify-fail S|timeout) [--count N | --until-removed] [match flags] [--data DIR]",
		scenariosAddDoc)
	sf := addStoreFlags(f)
	build := func(f *flagSet) func() (*gateway.ScenarioRule, bool, error) {
		clientID := f.str("client-id", "ID", "", "the client whose calls the rule shapes")
		api := f.str("api", "API", "", "pay, inquiryPayment, cancel, refund, inquiryRefund, capture, consult, createPaymentSession, retrievePaymentSession, or notify (deliveries)")
		code := f.str("result-code", "CODE", "", "answer this result code; its status comes from the catalogue (docs/protocol.md)")
		status := f.str("result-status", "F|U", "", "the status of a result code the catalogue lacks")
		message := f.str("result-message", "TEXT", "", "the answer's resultMessage (default: the catalogue's)")
		then := f.str("then", "success|fail:CODE|never", "", "for a U result code: what the payment, refund or capture becomes after --then-after (default success)")
		var thenAfter, delay time.Duration
		f.durVar(&thenAfter, "then-after", "D", 0, "how long a U result stays PROCESSING before --then (default 5s)")
		f.durVar(&delay, "delay", "D", 0, "answer this late (after the state change is committed)")
		drop := f.boolean("drop", "close the connection without an answer (after the state change is committed)")
		httpStatus := f.integer("http-status", "S", 0, "answer the signed body with this HTTP status (500-599)")
		notifyFail := f.str("notify-fail", "S|timeout", "", "with --api notify: fail deliveries with this HTTP status, or a timeout")
		count := f.integer("count", "N", 1, "shape the next N matching calls")
		untilRemoved := f.boolean("until-removed", "shape every matching call until the rule is removed")
		var amount int64
		f.int64Var(&amount, "amount", "V", 0, "match: amount in minor units (pay, refund, capture, consult, createPaymentSession)")
		currency := f.str("currency", "C", "", "match: currency (pay, refund, capture, consult, createPaymentSession)")
		requestID := f.str("request-id", "GLOB", "", "match: request id (pay, refund, capture, the sessions' paymentRequestId) or the id asked about, as a glob (ORDER_*)")
		productCode := f.str("product-code", "P", "", "match: productCode (pay, consult, createPaymentSession)")
		scenario := f.str("scenario", "S", "", "match: inStorePaymentScenario (pay)")
		asJSON := f.boolean("json", "print the rule as JSON")
		f.require("client-id", "api")
		return func() (*gateway.ScenarioRule, bool, error) {
			set := map[string]bool{}
			f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
			r := gateway.ScenarioRule{ClientID: *clientID, API: gateway.ScenarioAPI(*api), Count: *count,
				Match: gateway.ScenarioMatch{Currency: *currency, RequestID: *requestID, ProductCode: *productCode, Scenario: *scenario}}
			if set["amount"] {
				r.Match.Amount = &amount
			}
			if *untilRemoved {
				if set["count"] {
					return nil, false, f.usagef("--count and --until-removed exclude each other")
				}
				r.Count = 0
			} else if r.Count < 1 {
				return nil, false, f.usagef("--count must be 1 or more (or use --until-removed)")
			}
			var kinds []string
			if *code != "" {
				kinds = append(kinds, "--result-code")
				r.Effect = gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: *code, ResultMessage: *message, Then: *then, ThenAfter: thenAfter}
				if err := view.FillResult(&r.Effect, *status); err != nil {
					return nil, false, f.usagef("%v", err)
				}
			}
			if delay != 0 {
				kinds = append(kinds, "--delay")
				r.Effect = gateway.ScenarioEffect{Kind: gateway.EffectDelay, Delay: delay}
			}
			if *drop {
				kinds = append(kinds, "--drop")
				r.Effect = gateway.ScenarioEffect{Kind: gateway.EffectDrop}
			}
			if *httpStatus != 0 {
				kinds = append(kinds, "--http-status")
				r.Effect = gateway.ScenarioEffect{Kind: gateway.EffectHTTP5xx, HTTPStatus: *httpStatus}
			}
			if *notifyFail != "" {
				kinds = append(kinds, "--notify-fail")
				r.Effect = gateway.ScenarioEffect{Kind: gateway.EffectNotifyFail}
				if *notifyFail == "timeout" {
					r.Effect.NotifyTimeout = true
				} else if n, err := strconv.Atoi(*notifyFail); err == nil {
					r.Effect.NotifyStatus = n
				} else {
					return nil, false, f.usagef("--notify-fail %q is not an HTTP status or timeout", *notifyFail)
				}
			}
			switch {
			case len(kinds) == 0:
				return nil, false, f.usagef("give one effect: --result-code, --delay, --drop, --http-status or --notify-fail")
			case len(kinds) > 1:
				return nil, false, f.usagef("give one effect per rule, not %s", strings.Join(kinds, " and "))
			}
			if (*then != "" || set["then-after"]) && *code == "" {
				return nil, false, f.usagef("--then and --then-after go with --result-code")
			}
			if err := gateway.CheckScenarioRule(&r); err != nil {
				return nil, false, f.usagef("%v", err)
			}
			return &r, *asJSON, nil
		}
	}
	rule := build(f)
	if err := f.parse(args); err != nil {
		return err
	}
	r, asJSON, err := rule()
	if err != nil {
		return err
	}
	return sf.run(ctx, e, func(svc *gateway.Service) error {
		added, err := svc.AddScenarioRule(ctx, *r)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(e.stdout, view.NewScenarioRule(added))
		}
		fmt.Fprintf(e.stdout, "rule %s: the %s of %s for client %s: %s\n", added.ID, countText(added), added.API, added.ClientID, added.Effect.Describe())
		return nil
	})
}

// countText says how many calls a rule shapes.
func countText(r *gateway.ScenarioRule) string {
	switch {
	case r.Count == 0:
		return "every call (until removed)"
	case r.Count == 1:
		return "next call"
	}
	return fmt.Sprintf("next %d calls", r.Count)
}

func runScenariosList(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" [--client-id ID] [--json] [--data DIR]",
		"List scenario rules, oldest first, with what they match, do and have left.", func(f *flagSet) func(svc *gateway.Service) error {
			clientID := f.str("client-id", "ID", "", "only this client's rules")
			asJSON := f.boolean("json", "print one JSON document")
			return func(svc *gateway.Service) error {
				list, err := svc.ScenarioRules(ctx, *clientID)
				if err != nil {
					return err
				}
				if *asJSON {
					views := make([]view.ScenarioRule, 0, len(list))
					for i := range list {
						views = append(views, view.NewScenarioRule(&list[i]))
					}
					return writeJSON(e.stdout, struct {
						Rules []view.ScenarioRule `json:"rules"`
					}{views})
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tCLIENT ID\tAPI\tMATCH\tEFFECT\tFIRED\tLEFT")
				for i := range list {
					r := &list[i]
					left := "until removed"
					if r.Count > 0 {
						left = strconv.Itoa(r.Remaining())
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.ClientID, r.API, view.DescribeMatch(r.Match), r.Effect.Describe(), r.Fired, left)
				}
				return tw.Flush()
			}
		})
}

func runScenariosRemove(ctx context.Context, e *env, path string, args []string) error {
	return onStore(ctx, e, path, args, path+" --id RULE_ID [--data DIR]",
		"Remove a scenario rule; calls are decided as usual again. Its firings stay recorded.", func(f *flagSet) func(svc *gateway.Service) error {
			id := f.str("id", "RULE_ID", "", "the rule (see scenarios list)")
			f.require("id")
			return func(svc *gateway.Service) error {
				if err := svc.RemoveScenarioRule(ctx, *id); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "removed rule %s\n", *id)
				return nil
			}
		})
}
