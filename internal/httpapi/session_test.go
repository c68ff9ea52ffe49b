package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/antomgw/antomgw/wire"
)

const (
	pathConsult                 = "/ams/api/v1/payments/consult"
	pathCreatePaymentSession    = "/ams/api/v1/payments/createPaymentSession"
	pathRetrievePaymentSession  = "/ams/api/v1/payments/retrievePaymentSession"
	pathRetrieveSessionSDK      = "/ams/api//v1/payments/retrievePaymentSession" // every official SDK's constant
	pathRetrieveSessionSandbox  = "/ams/sandbox/api//v1/payments/retrievePaymentSession"
	pathCreateSessionSandbox    = "/ams/sandbox/api/v1/payments/createPaymentSession"
	pathConsultSandbox          = "/ams/sandbox/api/v1/payments/consult"
	shopReturnURL               = "https://merchant.example/return?order=1"
	consultBodyUSD1000          = `{"productCode":"CASHIER_PAYMENT","paymentAmount":{"currency":"USD","value":"1000"},"env":{"terminalType":"WEB"}}`
	createSessionBodyUSD1000Fmt = `{"productCode":"CASHIER_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":"ORDER_1","orderDescription":"a book"},` +
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentRedirectUrl":"` + shopReturnURL + `","settlementStrategy":{"settlementCurrency":"USD"}}`
)

func sessionBody(requestID string, value int64) string {
	return fmt.Sprintf(createSessionBodyUSD1000Fmt, requestID, value)
}

// consultAnswer is a consult answer read loosely, to see the JSON types.
type consultAnswer struct {
	Result         wire.Result      `json:"result"`
	PaymentOptions []map[string]any `json:"paymentOptions"`
}

func TestConsult(t *testing.T) {
	h := newGateway(t)
	consult := func(t *testing.T, body string) consultAnswer {
		t.Helper()
		rep := h.Do(t, gatewaytest.Request{Path: pathConsult, Body: body})
		return gatewaytest.Decode[consultAnswer](t, rep)
	}

	t.Run("OK", func(t *testing.T) {
		a := consult(t, `{"productCode":"CASHIER_PAYMENT","paymentAmount":{"currency":"USD","value":"1000"},"env":{"terminalType":"WEB"},"userRegion":"PH"}`)
		if a.Result.Status != wire.StatusSuccess {
			t.Fatalf("consult = %v, want S", a.Result)
		}
		var types []string
		for _, o := range a.PaymentOptions {
			types = append(types, o["paymentMethodType"].(string))
			for _, k := range []string{"enabled", "preferred"} {
				if _, ok := o[k].(bool); !ok {
					t.Errorf("%s: %s = %#v, want a JSON boolean", o["paymentMethodType"], k, o[k])
				}
			}
		}
		// The methods of PH first (preferred: GCASH, CONNECT_WALLET); then
		// the other enabled ones in table order; then the disabled ones
		// (DANA: IDR only, TNG: MYR only). TRUEMONEY is not offered on WEB.
		want := "GCASH CONNECT_WALLET ALIPAY_CN ALIPAY_HK KAKAOPAY CARD DANA TNG"
		if got := strings.Join(types, " "); got != want {
			t.Errorf("options = %s, want %s", got, want)
		}
		first := a.PaymentOptions[0]
		if first["preferred"] != true || first["enabled"] != true {
			t.Errorf("GCASH = %v, want enabled and preferred", first)
		}
		logo := first["logo"].(map[string]any)
		if want := h.URL() + "/wallet/static/logos/GCASH.svg"; logo["logoUrl"] != want || logo["logoName"] != "GCASH" {
			t.Errorf("GCASH logo = %v, want logoName GCASH at %s", logo, want)
		}
		// The logo is served there.
		resp, err := http.Get(logo["logoUrl"].(string))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("GET %s: %d %s, want 200 image/svg+xml", logo["logoUrl"], resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		last := a.PaymentOptions[len(a.PaymentOptions)-1]
		if last["enabled"] != false || last["disableReason"] != gateway.DisableCurrency {
			t.Errorf("TNG = %v, want disabled with %s", last, gateway.DisableCurrency)
		}
		card := a.PaymentOptions[5]
		brands := card["paymentOptionDetail"].(map[string]any)["supportCardBrands"].([]any)
		if len(brands) != 4 || brands[0].(map[string]any)["cardBrand"] != "VISA" {
			t.Errorf("CARD brands = %v, want VISA first of 4", brands)
		}
	})

	t.Run("Filters", func(t *testing.T) {
		a := consult(t, `{"productCode":"CASHIER_PAYMENT","paymentAmount":{"currency":"USD","value":"1000"},"env":{"terminalType":"APP"},`+
			`"allowedPaymentMethodRegions":["GLOBAL","TH"],"blockedPaymentMethods":["CONNECT_WALLET"]}`)
		var types []string
		for _, o := range a.PaymentOptions {
			types = append(types, o["paymentMethodType"].(string))
		}
		if got, want := strings.Join(types, " "), "CARD TRUEMONEY"; got != want || a.Result.Status != wire.StatusSuccess {
			t.Errorf("options = %s (%v), want %s, S", got, a.Result, want)
		}
	})

	for _, c := range []struct {
		name, body, code string
		options          int // options still listed
	}{
		{"AboveEveryLimit", `{"productCode":"CASHIER_PAYMENT","paymentAmount":{"currency":"USD","value":"200000000"},"env":{"terminalType":"WEB"}}`, "NO_PAY_OPTIONS", 8},
		{"NoneOnTerminal", `{"productCode":"CASHIER_PAYMENT","paymentAmount":{"currency":"USD","value":"100"},"env":{"terminalType":"MINI_APP"},"allowedPaymentMethods":["CARD"]}`, "NO_PAY_OPTIONS", 0},
		{"Currency", `{"productCode":"CASHIER_PAYMENT","paymentAmount":{"currency":"CHF","value":"100"},"env":{"terminalType":"WEB"}}`, "CURRENCY_NOT_SUPPORT", 8},
		{"NoEnv", `{"productCode":"CASHIER_PAYMENT","paymentAmount":{"currency":"USD","value":"100"}}`, "PARAM_ILLEGAL", 0},
		{"NoTerminalType", `{"productCode":"CASHIER_PAYMENT","paymentAmount":{"currency":"USD","value":"100"},"env":{}}`, "PARAM_ILLEGAL", 0},
		{"BadTerminalType", `{"productCode":"CASHIER_PAYMENT","paymentAmount":{"currency":"USD","value":"100"},"env":{"terminalType":"POS"}}`, "PARAM_ILLEGAL", 0},
		{"NoAmount", `{"productCode":"CASHIER_PAYMENT","env":{"terminalType":"WEB"}}`, "PARAM_ILLEGAL", 0},
		{"NoProductCode", `{"paymentAmount":{"currency":"USD","value":"100"},"env":{"terminalType":"WEB"}}`, "PARAM_ILLEGAL", 0},
		{"InStore", `{"productCode":"IN_STORE_PAYMENT","paymentAmount":{"currency":"USD","value":"100"},"env":{"terminalType":"WEB"}}`, "PARAM_ILLEGAL", 0},
		{"BadRegion", `{"productCode":"CASHIER_PAYMENT","paymentAmount":{"currency":"USD","value":"100"},"env":{"terminalType":"WEB"},"userRegion":"ph"}`, "PARAM_ILLEGAL", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := h.Snapshot(t)
			a := consult(t, c.body)
			if a.Result.Status != wire.StatusFail || a.Result.Code != c.code || len(a.PaymentOptions) != c.options {
				t.Errorf("consult = %v with %d options, want F %s with %d", a.Result, len(a.PaymentOptions), c.code, c.options)
			}
			h.wantUnchanged(t, "consult", before)
		})
	}

	t.Run("Sandbox", func(t *testing.T) {
		rep := h.Do(t, gatewaytest.Request{Path: pathConsultSandbox, Body: consultBodyUSD1000})
		if rep.Result.Status != wire.StatusSuccess {
			t.Errorf("sandbox consult = %v, want S", rep.Result)
		}
	})
	t.Run("NoV2", func(t *testing.T) {
		rep := h.Do(t, gatewaytest.Request{Path: "/openapi/v2/payments/consult", Body: consultBodyUSD1000})
		if rep.Result.Code != wire.CodeNoInterfaceDef {
			t.Errorf("v2 consult = %v, want NO_INTERFACE_DEF (omnichannel v2 has no consult)", rep.Result)
		}
	})
}

func TestCreatePaymentSession(t *testing.T) {
	h := newGateway(t)
	create := func(t *testing.T, path, body string) (antomgw.CreatePaymentSessionResponse, *gatewaytest.Reply) {
		t.Helper()
		rep := h.Do(t, gatewaytest.Request{Path: path, Body: body})
		return gatewaytest.Decode[antomgw.CreatePaymentSessionResponse](t, rep), rep
	}

	first, _ := create(t, pathCreatePaymentSession, sessionBody("SESSION_1", 1000))
	if first.Result.Status != wire.StatusSuccess || first.PaymentSessionID == "" ||
		!strings.HasSuffix(first.PaymentSessionData, "&&SG&&111") ||
		!strings.HasPrefix(first.NormalURL, h.URL()+"/wallet/session/"+first.PaymentSessionID+"/") {
		t.Fatalf("createPaymentSession = %+v; want S with an id, data and a normalUrl on the wallet", first)
	}
	if want := h.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05+00:00"); first.PaymentSessionExpiryTime != want {
		t.Errorf("paymentSessionExpiryTime = %q, want %q (an hour)", first.PaymentSessionExpiryTime, want)
	}
	if ps := h.payments(t); len(ps) != 0 {
		t.Errorf("%d payments exist after createPaymentSession, want none until the buyer submits", len(ps))
	}

	t.Run("Repeat", func(t *testing.T) {
		h.Clock().Advance(time.Minute)
		again, rep := create(t, pathCreatePaymentSession, sessionBody("SESSION_1", 1000))
		if again != first || rep.Replay() {
			t.Errorf("repeat = %+v (replay %v), want the first session %+v again", again, rep.Replay(), first)
		}
		sandbox, _ := create(t, pathCreateSessionSandbox, sessionBody("SESSION_1", 1000))
		if sandbox != first {
			t.Errorf("repeat on the sandbox path = %+v, want the first session", sandbox)
		}
	})
	t.Run("RepeatOtherAmount", func(t *testing.T) {
		before := h.Snapshot(t)
		r, _ := create(t, pathCreatePaymentSession, sessionBody("SESSION_1", 1001))
		if r.Result.Code != wire.CodeRepeatReqInconsistent || r.PaymentSessionID != "" {
			t.Errorf("repeat with another amount = %+v, want F REPEAT_REQ_INCONSISTENT", r)
		}
		h.wantUnchanged(t, "a refused session", before)
	})

	for _, c := range []struct {
		name, body, code, field string
	}{
		{"ExpiryOverAnHour", strings.Replace(sessionBody("SESSION_X1", 1000), `"productCode"`,
			`"paymentSessionExpiryTime":"`+h.Now().Add(61*time.Minute).Format(time.RFC3339)+`","productCode"`, 1), "PARAM_ILLEGAL", "paymentSessionExpiryTime"},
		{"ExpiryPast", strings.Replace(sessionBody("SESSION_X2", 1000), `"productCode"`,
			`"paymentSessionExpiryTime":"`+h.Now().Add(-time.Minute).Format(time.RFC3339)+`","productCode"`, 1), "PARAM_ILLEGAL", "paymentSessionExpiryTime"},
		{"NoRedirect", strings.Replace(sessionBody("SESSION_X3", 1000), `"paymentRedirectUrl":"`+shopReturnURL+`",`, "", 1), "PARAM_ILLEGAL", "paymentRedirectUrl"},
		{"NoOrder", strings.Replace(sessionBody("SESSION_X4", 1000), `"order":{"referenceOrderId":"ORDER_1","orderDescription":"a book"},`, "", 1), "PARAM_ILLEGAL", "order"},
		{"BadScene", strings.Replace(sessionBody("SESSION_X5", 1000), `"productCode"`, `"productScene":"POS","productCode"`, 1), "PARAM_ILLEGAL", "productScene"},
		{"ManualWithoutAuthorization", strings.Replace(sessionBody("SESSION_X6", 1000), `"productCode"`, `"paymentFactor":{"captureMode":"MANUAL"},"productCode"`, 1), "PARAM_ILLEGAL", "paymentFactor.captureMode"},
		{"MethodNotInList", strings.Replace(sessionBody("SESSION_X7", 1000), `"productCode"`,
			`"paymentMethod":{"paymentMethodType":"GCASH"},"availablePaymentMethod":{"paymentMethodTypeList":[{"paymentMethodType":"CARD"}]},"productCode"`, 1), "PARAM_ILLEGAL", "paymentMethod.paymentMethodType"},
		{"NoPayOptions", strings.Replace(sessionBody("SESSION_X8", 1000), `"currency":"USD"`, `"currency":"CHF"`, 1), "NO_PAY_OPTIONS", ""},
		{"NoPayOptionsForMethod", strings.Replace(sessionBody("SESSION_X9", 1000), `"productCode"`, `"paymentMethod":{"paymentMethodType":"DANA"},"productCode"`, 1), "NO_PAY_OPTIONS", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := h.Snapshot(t)
			r, _ := create(t, pathCreatePaymentSession, c.body)
			if r.Result.Status != wire.StatusFail || r.Result.Code != c.code || !strings.HasPrefix(r.Result.Message, c.field) || r.PaymentSessionID != "" {
				t.Errorf("createPaymentSession = %+v, want F %s naming %q", r, c.code, c.field)
			}
			h.wantUnchanged(t, "a refused session", before)
		})
	}

	t.Run("CustomExpiry", func(t *testing.T) {
		at := h.Now().Add(30 * time.Minute).UTC().Truncate(time.Second)
		r, _ := create(t, pathCreatePaymentSession, strings.Replace(sessionBody("SESSION_2", 1000), `"productCode"`,
			`"paymentSessionExpiryTime":"`+at.In(time.FixedZone("", 8*3600)).Format(time.RFC3339)+`","productCode"`, 1))
		if r.Result.Status != wire.StatusSuccess || r.PaymentSessionExpiryTime != at.Format("2006-01-02T15:04:05+00:00") {
			t.Errorf("session with an expiry in 30 min = %+v, want S expiring at %s", r, at)
		}
		// Once expired, unpaid, the request id is closed.
		h.Clock().Advance(31 * time.Minute)
		again, _ := create(t, pathCreatePaymentSession, sessionBody("SESSION_2", 1000))
		if again.Result.Code != wire.CodeOrderIsClosed || again.PaymentSessionID != "" {
			t.Errorf("repeat after the expiry = %+v, want F ORDER_IS_CLOSED", again)
		}
	})

	t.Run("RequestIDOfAPayment", func(t *testing.T) {
		h.Do(t, gatewaytest.Request{Path: pathPay, Body: payBody("SESSION_PAID", 1000)})
		r, _ := create(t, pathCreatePaymentSession, sessionBody("SESSION_PAID", 1000))
		if r.Result.Code != wire.CodeOrderStatusInvalid {
			t.Errorf("session for a paid paymentRequestId = %+v, want F ORDER_STATUS_INVALID", r)
		}
	})

	t.Run("NoV2", func(t *testing.T) {
		rep := h.Do(t, gatewaytest.Request{Path: "/openapi/v2/payments/createPaymentSession", Body: sessionBody("SESSION_V2", 1000)})
		if rep.Result.Code != wire.CodeNoInterfaceDef {
			t.Errorf("v2 createPaymentSession = %v, want NO_INTERFACE_DEF", rep.Result)
		}
	})
}

// TestRetrievePaymentSession serves retrievePaymentSession at every
// spelling of its path, the official SDKs' doubled slash first, and signs
// each answer over the path as received.
func TestRetrievePaymentSession(t *testing.T) {
	h := newGateway(t)
	rep := h.Do(t, gatewaytest.Request{Path: pathCreatePaymentSession, Body: sessionBody("RETRIEVE_1", 1000)})
	created := gatewaytest.Decode[antomgw.CreatePaymentSessionResponse](t, rep)

	for _, path := range []string{pathRetrieveSessionSDK, pathRetrieveSessionSandbox, pathRetrievePaymentSession,
		"/ams/sandbox/api/v1/payments/retrievePaymentSession"} {
		for _, body := range []string{`{"paymentRequestId":"RETRIEVE_1"}`, `{"payment_request_id":"RETRIEVE_1"}`} {
			// Do verifies the answer's signature over path exactly, and
			// follows no redirect to a cleaned path unnoticed: the
			// signature would not verify.
			rep := h.Do(t, gatewaytest.Request{Path: path, Body: body})
			r := gatewaytest.Decode[antomgw.RetrievePaymentSessionResponse](t, rep)
			if r.Result.Status != wire.StatusSuccess || r.PaymentSessionID != created.PaymentSessionID ||
				r.PaymentRequestID != "RETRIEVE_1" || r.PaymentSessionStatus != antomgw.SessionStatusActive ||
				r.Order == nil || r.Order.ReferenceOrderID != "ORDER_1" || r.PaymentAmount == nil || r.PaymentAmount.Value != "1000" ||
				r.PaymentSessionExpiryTime != created.PaymentSessionExpiryTime || r.PaymentID != "" {
				t.Errorf("%s %s = %+v, want S, the ACTIVE session %s with its order", path, body, r, created.PaymentSessionID)
			}
		}
	}

	for _, c := range []struct{ name, body, code string }{
		{"Unknown", `{"paymentRequestId":"NOPE"}`, wire.CodeOrderNotExist},
		{"Missing", `{}`, wire.CodeParamIllegal},
		{"Differ", `{"paymentRequestId":"RETRIEVE_1","payment_request_id":"RETRIEVE_2"}`, wire.CodeParamIllegal},
		{"Integer", `{"payment_request_id":1733100000}`, wire.CodeOrderNotExist},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := h.Do(t, gatewaytest.Request{Path: pathRetrieveSessionSDK, Body: c.body})
			if rep.Result.Status != wire.StatusFail || rep.Result.Code != c.code {
				t.Errorf("retrievePaymentSession %s = %v, want F %s", c.body, rep.Result, c.code)
			}
		})
	}

	t.Run("OtherDoubleSlashPaths", func(t *testing.T) {
		for _, p := range []string{"/ams/api//v1/payments/consult", "//ams/api/v1/payments/retrievePaymentSession", "/ams/api/v1//payments/retrievePaymentSession"} {
			rep := h.Do(t, gatewaytest.Request{Path: p, Body: `{"paymentRequestId":"RETRIEVE_1"}`})
			if rep.Result.Code != wire.CodeNoInterfaceDef {
				t.Errorf("%s = %v, want NO_INTERFACE_DEF", p, rep.Result)
			}
		}
	})
}

// TestSessionSDKWireProfiles replays each official SDK's wire habits for
// consult, createPaymentSession and retrievePaymentSession (at the SDKs'
// double-slash path; Python's body spells payment_request_id), reads every
// answer as that SDK does, and checks that no answer is a redirect.
func TestSessionSDKWireProfiles(t *testing.T) {
	h := newGateway(t)
	eachSDKProfile(t, h, func(t *testing.T, i int, p sdkProfile, c *sdkCaller) {
		var co consultAnswer
		c.call(t, pathConsult, consultBodyUSD1000, &co)
		if co.Result.Status != wire.StatusSuccess || len(co.PaymentOptions) == 0 {
			t.Fatalf("consult = %v with %d options, want S with options", co.Result, len(co.PaymentOptions))
		}

		id := fmt.Sprintf("PROFILE_SESSION_%d", i)
		idJSON := strconv.Quote(id)
		if p.integerIDs {
			id = strconv.Itoa(1733300000 + i)
			idJSON = id
		}
		body := strings.Replace(sessionBody("X", 1000), `"paymentRequestId":"X"`, `"paymentRequestId":`+idJSON, 1)
		var cr antomgw.CreatePaymentSessionResponse
		c.call(t, pathCreatePaymentSession, body, &cr)
		if cr.Result.Status != wire.StatusSuccess || cr.NormalURL == "" {
			t.Fatalf("createPaymentSession = %+v, want S with a normalUrl", cr)
		}

		key := "paymentRequestId"
		if p.name == "Python" {
			key = "payment_request_id" // the official Python SDK's spelling
		}
		a := c.send(t, pathRetrieveSessionSDK, `{"`+key+`":`+idJSON+`}`, 1)
		if a.status != http.StatusOK {
			t.Fatalf("retrievePaymentSession at %s: HTTP %d, want 200 (no redirect to a cleaned path)\n%s", pathRetrieveSessionSDK, a.status, a.head)
		}
		var rr antomgw.RetrievePaymentSessionResponse
		if err := json.Unmarshal(p.read(t, a), &rr); err != nil { // verified over the path with //
			t.Fatal(err)
		}
		if rr.Result.Status != wire.StatusSuccess || rr.PaymentSessionID != cr.PaymentSessionID || rr.PaymentRequestID != id {
			t.Errorf("retrievePaymentSession = %+v, want S for session %s", rr, cr.PaymentSessionID)
		}
	})
}

// TestSessionCheckoutFlow runs the online flow through the HTTP API and
// the wallet's page: consult, createPaymentSession, the buyer opens
// normalUrl, chooses a method and pays; the payment is SUCCESS, its
// notifyPayment is delivered and verified, and retrievePaymentSession
// says COMPLETED with the payment.
func TestSessionCheckoutFlow(t *testing.T) {
	h := newGateway(t)
	sink := gatewaytest.NewSink(h.GatewayPublicKeys())
	sinkSrv := httptest.NewServer(sink)
	t.Cleanup(sinkSrv.Close)

	body := strings.Replace(sessionBody("FLOW_1", 1000), `"productCode"`, `"paymentNotifyUrl":"`+sinkSrv.URL+`/notify","productCode"`, 1)
	rep := h.Do(t, gatewaytest.Request{Path: pathCreatePaymentSession, Body: body})
	cr := gatewaytest.Decode[antomgw.CreatePaymentSessionResponse](t, rep)
	if cr.Result.Status != wire.StatusSuccess {
		t.Fatalf("createPaymentSession = %+v", cr)
	}
	browser := &http.Client{}
	page := gatewaytest.Browse(t, browser, http.MethodGet, cr.NormalURL, nil, nil)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `value="GCASH"`) || !strings.Contains(page.Body, "10.00 USD") {
		t.Fatalf("GET normalUrl: %d; want the methods for 10.00 USD\n%s", page.Status, page.Body)
	}
	u, _ := url.Parse(cr.NormalURL)
	page = gatewaytest.Browse(t, browser, http.MethodPost, cr.NormalURL, url.Values{"action": {"pay"}, "method": {"GCASH"}},
		map[string]string{"Origin": u.Scheme + "://" + u.Host, "Sec-Fetch-Site": "same-origin"})
	if page.Status != http.StatusSeeOther || page.Header.Get("Location") != shopReturnURL {
		t.Fatalf("POST pay: %d to %q, want 303 to the shop\n%s", page.Status, page.Header.Get("Location"), page.Body)
	}
	ir := gatewaytest.Decode[antomgw.InquiryPaymentResponse](t, h.Do(t, gatewaytest.Request{Path: pathInquiryPayment, Body: `{"paymentRequestId":"FLOW_1"}`}))
	if ir.PaymentStatus != antomgw.PaymentStatusSuccess || ir.PaymentMethodType != "GCASH" {
		t.Errorf("inquiryPayment = %+v, want SUCCESS by GCASH", ir)
	}
	h.Step(t)
	if missing := sink.Missing(map[string]wire.Status{ir.PaymentID: wire.StatusSuccess}); len(missing) != 0 {
		t.Errorf("notifyPayment of %v not received (verified) by the merchant", missing)
	}
	rr := gatewaytest.Decode[antomgw.RetrievePaymentSessionResponse](t, h.Do(t, gatewaytest.Request{Path: pathRetrieveSessionSDK, Body: `{"paymentRequestId":"FLOW_1"}`}))
	if rr.PaymentSessionStatus != antomgw.SessionStatusCompleted || rr.PaymentID != ir.PaymentID || rr.PaymentStatus != antomgw.PaymentStatusSuccess {
		t.Errorf("retrievePaymentSession = %+v, want COMPLETED with payment %s SUCCESS", rr, ir.PaymentID)
	}
	// The request id is used up.
	again := gatewaytest.Decode[antomgw.CreatePaymentSessionResponse](t, h.Do(t, gatewaytest.Request{Path: pathCreatePaymentSession, Body: body}))
	if again.Result.Code != wire.CodeOrderStatusInvalid {
		t.Errorf("createPaymentSession after the payment = %+v, want F ORDER_STATUS_INVALID", again)
	}
	// A simulator amount that fails at once fails in the session too.
	rep = h.Do(t, gatewaytest.Request{Path: pathCreatePaymentSession, Body: sessionBody("FLOW_9906", sim.AmountBalance)})
	cr = gatewaytest.Decode[antomgw.CreatePaymentSessionResponse](t, rep)
	gatewaytest.Browse(t, browser, http.MethodPost, cr.NormalURL, url.Values{"action": {"pay"}, "method": {"CARD"}}, nil)
	p, err := h.Service().FindPayment(t.Context(), gateway.PaymentRef{ClientID: h.ClientID(), RequestID: "FLOW_9906"})
	if err != nil || p.Status != gateway.PaymentFail || p.ResultCode != "USER_BALANCE_NOT_ENOUGH" {
		t.Errorf("payment of a 9906 session = %+v, %v; want FAIL USER_BALANCE_NOT_ENOUGH", p, err)
	}
}
