package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/antomgw/antomgw"
)

var (
	callConsultDoc         = helpText("call-consult")
	callSessionDoc         = helpText("call-session")
	callRetrieveSessionDoc = helpText("call-retrieve-session")
)

// noSessionAPIs is what omnichannel v2 lacks of the online checkout's APIs.
const noSessionAPIs = "consult or payment session APIs"

// list splits a comma-separated flag value; nil for "".
func list(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// runCallConsult asks which payment methods can pay an amount (consult).
func runCallConsult(ctx context.Context, e *env, path string, args []string) error {
	return runCallAPI(ctx, e, path, args, "(--amount VALUE | --body-file FILE)", callConsultDoc+"\n\n", antomgw.APIConsult, noSessionAPIs,
		func(f *flagSet, c *callFlags) callCmd {
			amount := c.field(f, "amount", "VALUE", "", "paymentAmount.value in minor units")
			currency := c.field(f, "currency", "CUR", "USD", "paymentAmount.currency")
			terminal := c.field(f, "terminal-type", "TYPE", "WEB", "env.terminalType: WEB, WAP, APP or MINI_APP")
			region := c.field(f, "user-region", "CC", "", "userRegion (ISO 3166 alpha-2): its methods come first, preferred")
			regions := c.field(f, "allowed-regions", "LIST", "", "allowedPaymentMethodRegions, comma-separated (GLOBAL: the card schemes)")
			allowed := c.field(f, "allowed-methods", "LIST", "", "allowedPaymentMethods, comma-separated paymentMethodTypes")
			blocked := c.field(f, "blocked-methods", "LIST", "", "blockedPaymentMethods, comma-separated paymentMethodTypes")
			return callCmd{missing: func() bool { return *amount == "" }, required: "--amount is required (or --body-file)", send: func(cl *antomgw.Client) error {
				return e.finish(cl.Consult(ctx, &antomgw.ConsultRequest{
					ProductCode: antomgw.ProductCashier, PaymentAmount: antomgw.Amount{Currency: *currency, Value: *amount},
					Env: &antomgw.Env{TerminalType: *terminal}, UserRegion: *region,
					AllowedPaymentMethodRegions: list(*regions), AllowedPaymentMethods: list(*allowed), BlockedPaymentMethods: list(*blocked),
				}))
			}}
		})
}

// runCallSession creates a payment session (createPaymentSession).
func runCallSession(ctx context.Context, e *env, path string, args []string) error {
	return runCallAPI(ctx, e, path, args, "(--payment-request-id ID --amount VALUE --redirect-url URL | --body-file FILE)", callSessionDoc+"\n\n",
		antomgw.APICreatePaymentSession, noSessionAPIs, func(f *flagSet, c *callFlags) callCmd {
			id := c.field(f, "payment-request-id", "ID", "", "paymentRequestId, the idempotency key of the session and of its payment")
			amount := c.field(f, "amount", "VALUE", "", "paymentAmount.value in minor units")
			currency := c.field(f, "currency", "CUR", "USD", "paymentAmount.currency")
			redirectURL := c.field(f, "redirect-url", "URL", "", "paymentRedirectUrl: where the checkout page sends the buyer back")
			notifyURL := c.field(f, "notify-url", "URL", "", "paymentNotifyUrl")
			orderID := c.field(f, "order-id", "ID", "", "order.referenceOrderId (default: the payment request id)")
			description := c.field(f, "description", "TEXT", "", "order.orderDescription")
			methods := c.field(f, "methods", "LIST", "", "availablePaymentMethod: the paymentMethodTypes offered, comma-separated, in order (default: every method)")
			scene := c.field(f, "scene", "SCENE", antomgw.SceneCheckoutPayment, "productScene: CHECKOUT_PAYMENT or ELEMENT_PAYMENT")
			terminal := c.field(f, "terminal-type", "TYPE", "", "env.terminalType of the buyer (WEB when not given)")
			region := c.field(f, "user-region", "CC", "", "userRegion: its methods come first on the page")
			var expiry time.Duration
			f.durVar(&expiry, "expiry", "DURATION", 0, "paymentSessionExpiryTime as a duration from now, at most 1h (default: 1h)")
			c.fields = append(c.fields, "expiry")
			authorization := f.boolean("authorization", "paymentFactor.isAuthorization: the payment is an authorisation, captured later")
			c.fields = append(c.fields, "authorization")
			captureMode := c.field(f, "capture-mode", "MODE", "", "paymentFactor.captureMode of an authorisation: AUTOMATIC (default) or MANUAL")
			check := func(bool) error {
				if expiry < 0 {
					return f.usagef("--expiry must be positive, got %s", expiry)
				}
				return nil
			}
			cmd := callCmd{missing: func() bool { return *id == "" || *amount == "" || *redirectURL == "" },
				required: "--payment-request-id, --amount and --redirect-url are required (or --body-file)", check: check}
			cmd.send = func(cl *antomgw.Client) error {
				req := &antomgw.CreatePaymentSessionRequest{
					ProductCode: antomgw.ProductCashier, PaymentRequestID: *id,
					Order:              &antomgw.Order{ReferenceOrderID: *orderID, OrderDescription: *description},
					PaymentAmount:      antomgw.Amount{Currency: *currency, Value: *amount},
					PaymentRedirectURL: *redirectURL, PaymentNotifyURL: *notifyURL, ProductScene: *scene, UserRegion: *region,
					SettlementStrategy: &antomgw.SettlementStrategy{SettlementCurrency: *currency},
				}
				if req.Order.ReferenceOrderID == "" {
					req.Order.ReferenceOrderID = *id
				}
				if *terminal != "" {
					req.Env = &antomgw.Env{TerminalType: *terminal}
				}
				if ms := list(*methods); len(ms) > 0 {
					req.AvailablePaymentMethod = &antomgw.AvailablePaymentMethod{}
					for i, m := range ms {
						req.AvailablePaymentMethod.PaymentMethodTypeList = append(req.AvailablePaymentMethod.PaymentMethodTypeList,
							antomgw.PaymentMethodTypeItem{PaymentMethodType: m, PaymentMethodOrder: jsonInt(i + 1)})
					}
				}
				if *authorization || *captureMode != "" {
					req.PaymentFactor = &antomgw.PaymentFactor{IsAuthorization: antomgw.FlexBool(*authorization), CaptureMode: *captureMode}
				}
				if expiry > 0 {
					req.PaymentSessionExpiryTime = time.Now().Add(expiry).UTC().Format(time.RFC3339)
				}
				return e.finish(cl.CreatePaymentSession(ctx, req))
			}
			return cmd
		})
}

func jsonInt(i int) json.Number { return json.Number(strconv.Itoa(i)) }

// runCallRetrieveSession retrieves a payment session
// (retrievePaymentSession) by its paymentRequestId.
func runCallRetrieveSession(ctx context.Context, e *env, path string, args []string) error {
	return runCallAPI(ctx, e, path, args, "(--payment-request-id ID | --body-file FILE)", callRetrieveSessionDoc+"\n\n",
		antomgw.APIRetrievePaymentSession, noSessionAPIs, func(f *flagSet, c *callFlags) callCmd {
			id := c.field(f, "payment-request-id", "ID", "", "paymentRequestId of the session")
			return callCmd{missing: func() bool { return *id == "" }, required: "--payment-request-id is required (or --body-file)", send: func(cl *antomgw.Client) error {
				return e.finish(cl.RetrievePaymentSession(ctx, &antomgw.RetrievePaymentSessionRequest{PaymentRequestID: *id}))
			}}
		})
}
