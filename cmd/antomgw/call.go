package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/node"
)

var callCommonDoc = helpText("call-common")

// callFlags are the flags every call subcommand has.
type callFlags struct {
	baseURL, clientID, privateKey, family, bodyFile *string
	keyVersion, retries                             *int
	encrypt, epochTime, verbose                     *bool
	timeout                                         time.Duration
	gatewayKeys                                     gatewayKeysFlag
	fields                                          []string // names of the flags that build the body
}

// addCommon defines the flags every call has, after the command's own.
func (c *callFlags) addCommon(f *flagSet) {
	c.baseURL = f.str("base-url", "URL", "http://127.0.0.1:8080", "where the gateway is")
	c.clientID = f.str("client-id", "ID", "", "Client-Id")
	c.privateKey = f.str("private-key", "FILE", "", "the merchant's RSA private key (PEM or bare base64)")
	c.keyVersion = f.integer("key-version", "N", 1, "keyVersion of --private-key as registered with the gateway")
	c.gatewayKeys.define(f)
	c.family = f.str("family", "FAMILY", "ams", "path family: ams (/ams/api/v1), ams-sandbox (/ams/sandbox/api/v1) or omnichannel (/openapi/v2)")
	c.encrypt = f.boolean("encrypt", "encrypt the request body (RSA_AES) for the gateway")
	c.epochTime = f.boolean("epoch-time", "send Request-Time as epoch milliseconds instead of ISO 8601")
	f.durVar(&c.timeout, "timeout", "DURATION", antomgw.DefaultAttemptTimeout, "timeout of each attempt")
	c.retries = f.integer("retries", "N", antomgw.DefaultMaxRetries, "retries of a retryable attempt (0: none)")
	c.bodyFile = f.str("body-file", "FILE", "", `send this JSON body as is ("-": stdin) instead of the field flags`)
	c.verbose = f.boolean("verbose", "print each attempt's exact request and response to stderr")
	f.require("client-id", "private-key", "gateway-public-key")
}

// field defines a flag that builds part of the body.
func (c *callFlags) field(f *flagSet, name, arg, value, usage string) *string {
	c.fields = append(c.fields, name)
	return f.str(name, arg, value, usage)
}

// parse parses args and checks what the flags cannot check alone.
func (c *callFlags) parse(f *flagSet, args []string) (set map[string]bool, err error) {
	if err := f.parse(args); err != nil {
		return nil, err
	}
	set = map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["body-file"] {
		for _, name := range c.fields {
			if set[name] {
				return nil, f.usagef("--%s builds the body; it cannot be combined with --body-file", name)
			}
		}
	}
	if *c.retries < 0 {
		return nil, f.usagef("--retries must be 0 or more, got %d", *c.retries)
	}
	if *c.keyVersion < 1 {
		return nil, f.usagef("--key-version must be a positive integer, got %d", *c.keyVersion)
	}
	return set, nil
}

// client builds the SDK client the flags describe.
func (c *callFlags) client(e *env, f *flagSet) (*antomgw.Client, error) {
	priv, err := loadPrivateKey(*c.privateKey)
	if err != nil {
		return nil, err
	}
	keys, err := c.gatewayKeys.load()
	if err != nil {
		return nil, err
	}
	cfg := antomgw.Config{
		ClientID:       *c.clientID,
		PrivateKey:     priv,
		KeyVersion:     *c.keyVersion,
		GatewayKeys:    keys,
		BaseURL:        *c.baseURL,
		Encrypt:        *c.encrypt,
		AttemptTimeout: c.timeout,
		MaxRetries:     *c.retries,
	}
	if *c.retries == 0 {
		cfg.MaxRetries = -1
	}
	switch *c.family {
	case "ams", "v1":
		cfg.Family = antomgw.FamilyAMS
	case "ams-sandbox", "sandbox":
		cfg.Family = antomgw.FamilyAMSSandbox
	case "omnichannel", "v2":
		cfg.Family = antomgw.FamilyOmnichannel
	default:
		return nil, f.usagef("--family %q: want ams, ams-sandbox or omnichannel", *c.family)
	}
	if *c.epochTime {
		cfg.TimeFormat = antomgw.TimeEpochMillis
	}
	level := slog.LevelInfo
	if *c.verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = node.NewPlainLogger(e.stderr, level)
	if *c.verbose {
		cfg.HTTPClient = &http.Client{
			Transport:     &dumpTransport{base: http.DefaultTransport.(*http.Transport).Clone(), w: e.stderr},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	cl, err := antomgw.NewClient(cfg)
	if err != nil {
		return nil, f.usagef("%s", strings.TrimPrefix(err.Error(), "antomgw: "))
	}
	return cl, nil
}

// dumpTransport writes each exchange, exactly as sent and received, to w.
type dumpTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	w    io.Writer
}

func (d *dumpTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out, err := httputil.DumpRequestOut(req, true)
	if err != nil {
		return nil, err
	}
	d.write("> ", out)
	resp, err := d.base.RoundTrip(req)
	if err != nil {
		d.write("! ", []byte(err.Error()+"\n"))
		return nil, err
	}
	in, err := httputil.DumpResponse(resp, true)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	d.write("< ", in)
	return resp, nil
}

func (d *dumpTransport) write(prefix string, b []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	for line := range strings.SplitSeq(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(d.w, "%s%s\n", prefix, line)
	}
	fmt.Fprintln(d.w)
}

// printJSON writes v as indented JSON: raw JSON bytes are re-indented
// (and printed as they are when they are not JSON), anything else is
// marshalled.
func printJSON(w io.Writer, v any) error {
	raw, ok := v.([]byte)
	if !ok {
		return writeJSON(w, v)
	}
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		buf.Reset()
		buf.Write(raw)
	}
	_, err := fmt.Fprintf(w, "%s\n", buf.Bytes())
	return err
}

// finish prints resp (when the call returned one) and turns the call's
// error into the command's.
func (e *env) finish(resp any, err error) error {
	if resp != nil && !isNil(resp) {
		if perr := printJSON(e.stdout, resp); perr != nil {
			return perr
		}
	}
	if err == nil {
		return nil
	}
	if r, ok := antomgw.ResultOf(err); ok {
		return fmt.Errorf("result %s", r)
	}
	return err
}

func isNil(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// doRaw sends --body-file through the SDK's verified path.
func doRaw(ctx context.Context, e *env, c *antomgw.Client, api antomgw.API, file string) error {
	body, err := readBody(e, file)
	if err != nil {
		return err
	}
	resp, err := c.Do(ctx, api, body)
	if resp != nil {
		if perr := printJSON(e.stdout, resp.Body); perr != nil {
			return perr
		}
	}
	return e.finish(nil, err)
}

// callCmd is what a call subcommand adds to the skeleton runCallAPI runs.
type callCmd struct {
	// missing reports that a field flag the body needs is not given;
	// required is the usage error that says which. Without --body-file
	// only.
	missing  func() bool
	required string
	// check, after that, refuses field flags that cannot go together;
	// bodyFile says --body-file was given. nil: nothing more to check.
	check func(bodyFile bool) error
	// send sends the request the field flags build and prints the answer
	// (most end with e.finish).
	send func(cl *antomgw.Client) error
}

// runCallAPI runs a call subcommand: define defines the command's field
// flags (before the common ones) and says how to check and send them; then
// the flags are parsed and checked, the client built, and --body-file sent
// as is to api, or the field flags' request sent. A family named in
// noOmni ("capture API") has no such API in omnichannel v2 and is refused.
// synopsis follows the path and the common flags; doc precedes
// callCommonDoc.
func runCallAPI(ctx context.Context, e *env, path string, args []string, synopsis, doc string, api antomgw.API, noOmni string,
	define func(f *flagSet, c *callFlags) callCmd) error {
	f := newFlagSet(e, path, path+" --client-id ID --private-key FILE --gateway-public-key FILE\n         "+synopsis+" [flags]", doc+callCommonDoc)
	c := &callFlags{}
	cmd := define(f, c)
	c.addCommon(f)
	set, err := c.parse(f, args)
	if err != nil {
		return err
	}
	if noOmni != "" && (*c.family == "omnichannel" || *c.family == "v2") {
		return f.usagef("--family %s: omnichannel v2 has no %s; use ams or ams-sandbox", *c.family, noOmni)
	}
	if !set["body-file"] && cmd.missing != nil && cmd.missing() {
		return f.usagef("%s", cmd.required)
	}
	if cmd.check != nil {
		if err := cmd.check(set["body-file"]); err != nil {
			return err
		}
	}
	cl, err := c.client(e, f)
	if err != nil {
		return err
	}
	if set["body-file"] {
		return doRaw(ctx, e, cl, api, *c.bodyFile)
	}
	return cmd.send(cl)
}

// lookupPaymentID sets *paymentID, when empty, to the paymentId of the
// payment whose paymentRequestId is requestID, looked up with
// inquiryPayment (capture and refund name a payment by paymentId only),
// and says what it found on stderr, with the authorisation's expiry when
// withAuth.
func lookupPaymentID(ctx context.Context, e *env, cl *antomgw.Client, paymentID *string, requestID string, withAuth bool) error {
	if *paymentID != "" {
		return nil
	}
	p, err := cl.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: requestID})
	if err != nil {
		return fmt.Errorf("look up the paymentId of paymentRequestId %s: %w", requestID, err)
	}
	auth := ""
	if withAuth {
		auth = ", authExpiryTime " + p.AuthExpiryTime
	}
	fmt.Fprintf(e.stderr, "paymentRequestId %s is paymentId %s (paymentStatus %s%s)\n", requestID, p.PaymentID, p.PaymentStatus, auth)
	*paymentID = p.PaymentID
	return nil
}

// --- pay ------------------------------------------------------------------------

var callPayDoc = helpText("call-pay")

func runCallPay(ctx context.Context, e *env, path string, args []string) error {
	return runCallAPI(ctx, e, path, args, "(--payment-request-id ID --amount VALUE [--payment-code CODE] | --body-file FILE)", callPayDoc, antomgw.APIPay, "",
		func(f *flagSet, c *callFlags) callCmd {
			id := c.field(f, "payment-request-id", "ID", "", "paymentRequestId, the idempotency key")
			amount := c.field(f, "amount", "VALUE", "", "paymentAmount.value in minor units")
			currency := c.field(f, "currency", "CUR", "USD", "paymentAmount.currency")
			scenario := c.field(f, "scenario", "NAME", antomgw.ScenarioPaymentCode, "PaymentCode, OrderCode, EntryCode or cashier")
			methodType := c.field(f, "payment-method-type", "TYPE", "CONNECT_WALLET", "paymentMethod.paymentMethodType")
			code := c.field(f, "payment-code", "CODE", "", "paymentMethod.paymentMethodId: the code the user presents (PaymentCode)")
			orderID := c.field(f, "order-id", "ID", "", "order.referenceOrderId (default: the payment request id)")
			description := c.field(f, "description", "TEXT", "", "order.orderDescription")
			notifyURL := c.field(f, "notify-url", "URL", "", "paymentNotifyUrl")
			redirectURL := c.field(f, "redirect-url", "URL", "", "paymentRedirectUrl (EntryCode, cashier)")
			authorization := f.boolean("authorization", `paymentFactor.isAuthorization "true": hold the amount, capture it later (cashier only)`)
			c.fields = append(c.fields, "authorization")
			captureMode := c.field(f, "capture-mode", "MODE", "", "paymentFactor.captureMode with --authorization: AUTOMATIC (the default) or MANUAL (call capture)")
			resolve := f.boolean("resolve", "on a U or lost answer, poll and cancel at the deadline; print the outcome")
			var deadline, interval time.Duration
			f.durVar(&deadline, "resolve-deadline", "DURATION", antomgw.DefaultResolveDeadline, "with --resolve: how long to poll before cancelling")
			f.durVar(&interval, "poll-interval", "DURATION", antomgw.DefaultPollInterval, "with --resolve: the first pause between inquiries (it doubles, up to 16s)")
			check := func(bodyFile bool) error {
				if bodyFile && *resolve {
					return f.usagef("--resolve needs the field flags, not --body-file")
				}
				if !bodyFile && *scenario == antomgw.ScenarioPaymentCode && *code == "" && *c.family != "omnichannel" && *c.family != "v2" {
					return f.usagef("--payment-code is required for the PaymentCode scenario")
				}
				return nil
			}
			cmd := callCmd{missing: func() bool { return *id == "" || *amount == "" },
				required: "--payment-request-id and --amount are required (or --body-file)", check: check}
			cmd.send = func(cl *antomgw.Client) error {
				req := &antomgw.PayRequest{
					ProductCode:        antomgw.ProductInStore,
					PaymentRequestID:   *id,
					Order:              &antomgw.Order{ReferenceOrderID: *orderID, OrderDescription: *description},
					PaymentAmount:      antomgw.Amount{Currency: *currency, Value: *amount},
					PaymentMethod:      antomgw.PaymentMethod{PaymentMethodType: *methodType, PaymentMethodID: *code},
					PaymentNotifyURL:   *notifyURL,
					PaymentRedirectURL: *redirectURL,
				}
				if req.Order.ReferenceOrderID == "" {
					req.Order.ReferenceOrderID = *id
				}
				switch *scenario {
				case antomgw.ScenarioPaymentCode, antomgw.ScenarioOrderCode, antomgw.ScenarioEntryCode:
					req.PaymentFactor = &antomgw.PaymentFactor{InStorePaymentScenario: *scenario}
				case "cashier":
					req.ProductCode = antomgw.ProductCashier
				default:
					return f.usagef("--scenario %q: want PaymentCode, OrderCode, EntryCode or cashier", *scenario)
				}
				if *authorization || *captureMode != "" {
					if req.PaymentFactor == nil {
						req.PaymentFactor = &antomgw.PaymentFactor{}
					}
					req.PaymentFactor.IsAuthorization, req.PaymentFactor.CaptureMode = antomgw.FlexBool(*authorization), *captureMode
				}
				if !*resolve {
					return e.finish(cl.Pay(ctx, req))
				}
				return payAndResolve(ctx, e, cl, req, deadline, interval)
			}
			return cmd
		})
}

// payAndResolve is call pay --resolve: it prints the outcome.
func payAndResolve(ctx context.Context, e *env, cl *antomgw.Client, req *antomgw.PayRequest, deadline, interval time.Duration) error {
	res, err := cl.PayAndResolve(ctx, req, &antomgw.ResolveOptions{
		Deadline:     deadline,
		PollInterval: interval,
		PendingFunc: func(r *antomgw.PayResponse) {
			fmt.Fprintf(e.stderr, "pay answered %s; polling inquiryPayment (deadline %s)\n", r.Result, deadline)
		},
		PollFunc: func(i int, p *antomgw.InquiryPaymentResponse, err error, wait time.Duration) {
			state := "no answer: " + fmt.Sprint(err)
			if p != nil {
				state = "paymentStatus " + string(p.PaymentStatus)
			} else if err == nil {
				state = "no answer"
			}
			fmt.Fprintf(e.stderr, "inquiry %d: %s; next in %s\n", i, state, wait.Round(100*time.Millisecond))
		},
	})
	if res != nil {
		out := struct {
			Outcome        antomgw.Outcome                 `json:"outcome"`
			Result         antomgw.Result                  `json:"result"`
			Inquiries      int                             `json:"inquiries"`
			CancelAttempts int                             `json:"cancelAttempts"`
			Pay            *antomgw.PayResponse            `json:"pay,omitempty"`
			Payment        *antomgw.InquiryPaymentResponse `json:"payment,omitempty"`
			Cancel         *antomgw.CancelResponse         `json:"cancel,omitempty"`
		}{res.Outcome, res.Result, res.Inquiries, res.CancelAttempts, res.Pay, res.Payment, res.Cancel}
		if perr := printJSON(e.stdout, out); perr != nil {
			return perr
		}
		if err == nil && res.Outcome != antomgw.OutcomeSuccess {
			return fmt.Errorf("outcome %s", res.Outcome)
		}
	}
	return err
}

// --- inquiry and cancel ---------------------------------------------------------

// paymentRef and refundRef are the flags that name what a call is about:
// the merchant's request id, or the gateway's id.
var (
	paymentRef = refFlags{"payment-request-id", "paymentRequestId", "payment-id", "paymentId"}
	refundRef  = refFlags{"refund-request-id", "refundRequestId", "refund-id", "refundId"}
)

type refFlags struct{ requestFlag, requestField, idFlag, idField string }

func runCallInquiry(ctx context.Context, e *env, path string, args []string) error {
	return runCallByRef(ctx, e, path, args, antomgw.APIInquiryPayment, paymentRef,
		"Inquire a payment's status (paymentStatus: SUCCESS, FAIL, PROCESSING, CANCELLED).",
		func(cl *antomgw.Client, requestID, paymentID string) (any, error) {
			return cl.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: requestID, PaymentID: paymentID})
		})
}

func runCallCancel(ctx context.Context, e *env, path string, args []string) error {
	return runCallByRef(ctx, e, path, args, antomgw.APICancel, paymentRef,
		"Cancel a payment: one still in process at once, a successful one inside the\ncancel window (the funds are reversed).",
		func(cl *antomgw.Client, requestID, paymentID string) (any, error) {
			return cl.CancelPayment(ctx, &antomgw.CancelRequest{PaymentRequestID: requestID, PaymentID: paymentID})
		})
}

func runCallInquiryRefund(ctx context.Context, e *env, path string, args []string) error {
	return runCallByRef(ctx, e, path, args, antomgw.APIInquiryRefund, refundRef,
		"Inquire a refund's status (refundStatus: SUCCESS, FAIL, PROCESSING).",
		func(cl *antomgw.Client, requestID, refundID string) (any, error) {
			return cl.InquiryRefund(ctx, &antomgw.InquiryRefundRequest{RefundRequestID: requestID, RefundID: refundID})
		})
}

// runCallByRef is a call whose body names a payment or a refund by the
// merchant's request id or the gateway's id: inquiry, cancel and
// inquiry-refund.
func runCallByRef(ctx context.Context, e *env, path string, args []string, api antomgw.API, ref refFlags, doc string,
	call func(cl *antomgw.Client, requestID, id string) (any, error)) error {
	return runCallAPI(ctx, e, path, args, fmt.Sprintf("(--%s ID | --%s ID)", ref.requestFlag, ref.idFlag), doc+"\n\n", api, "",
		func(f *flagSet, c *callFlags) callCmd {
			requestID := c.field(f, ref.requestFlag, "ID", "", ref.requestField)
			id := c.field(f, ref.idFlag, "ID", "", ref.idField+" (wins when both are given)")
			return callCmd{missing: func() bool { return *requestID == "" && *id == "" },
				required: fmt.Sprintf("--%s or --%s is required (or --body-file)", ref.requestFlag, ref.idFlag),
				send:     func(cl *antomgw.Client) error { return e.finish(call(cl, *requestID, *id)) }}
		})
}

// --- refund and inquiry-refund --------------------------------------------------

func runCallRefund(ctx context.Context, e *env, path string, args []string) error {
	return runCallAPI(ctx, e, path, args, "(--refund-request-id ID (--payment-id ID | --payment-request-id ID) [--amount VALUE] | --body-file FILE)",
		"Refund all or part of a successful payment. With --family omnichannel,\n--amount may be left out for a full refund. The refund API names the payment\nby paymentId; given --payment-request-id, the paymentId is looked up first\nwith inquiryPayment.\n\n", antomgw.APIRefund, "",
		func(f *flagSet, c *callFlags) callCmd {
			id := c.field(f, "refund-request-id", "ID", "", "refundRequestId, the idempotency key")
			paymentID := c.field(f, "payment-id", "ID", "", "paymentId of the payment to refund")
			paymentRequestID := c.field(f, "payment-request-id", "ID", "", "the merchant's paymentRequestId of the payment to refund (looked up with inquiryPayment)")
			amount := c.field(f, "amount", "VALUE", "", "refundAmount.value in minor units")
			currency := c.field(f, "currency", "CUR", "USD", "refundAmount.currency")
			reason := c.field(f, "reason", "TEXT", "", "refundReason (memo in omnichannel v2)")
			notifyURL := c.field(f, "notify-url", "URL", "", "refundNotifyUrl")
			async := f.boolean("async", `ask for an asynchronous refund (isAsyncRefund "true")`)
			c.fields = append(c.fields, "async")
			check := func(bodyFile bool) error {
				if !bodyFile && *amount == "" && *c.family != "omnichannel" && *c.family != "v2" {
					return f.usagef("--amount is required (only omnichannel v2 refunds in full without it)")
				}
				return nil
			}
			cmd := callCmd{missing: func() bool { return *id == "" || (*paymentID == "" && *paymentRequestID == "") },
				required: "--refund-request-id and --payment-id (or --payment-request-id) are required (or --body-file)", check: check}
			cmd.send = func(cl *antomgw.Client) error {
				if err := lookupPaymentID(ctx, e, cl, paymentID, *paymentRequestID, false); err != nil {
					return err
				}
				req := &antomgw.RefundRequest{RefundRequestID: *id, PaymentID: *paymentID, RefundReason: *reason,
					RefundNotifyURL: *notifyURL, IsAsyncRefund: antomgw.FlexBool(*async)}
				if *amount != "" {
					req.RefundAmount = antomgw.Amount{Currency: *currency, Value: *amount}
				}
				return e.finish(cl.Refund(ctx, req))
			}
			return cmd
		})
}
