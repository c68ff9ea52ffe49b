package docs_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/node"
	"github.com/antomgw/antomgw/wire"
)

// TestExchanges drives a real gateway (gatewaytest: the node antomgw serve
// runs, on a stopped clock) with the Go SDK in each path family and with
// hand-made signed requests as the other official SDKs write them, the
// error cases included, and validates every request, answer, notification
// and acknowledgement against docs/openapi.yaml with libopenapi-validator.
// It then checks the coverage: every operation and webhook of the document
// was exercised, every API operation with an S answer and an F or U one,
// and every documented top-level field of an answer appeared in a real one.
func TestExchanges(t *testing.T) {
	g := gatewaytest.New(t)
	c := newChecker(t, g.GatewayKey(), g.MerchantKey())
	rec := &recorder{}
	recv := newReceiver(t)
	ctx := context.Background()
	client := func(fam antomgw.PathFamily, opts ...func(*antomgw.Config)) *antomgw.Client {
		return g.Client(t, append([]func(*antomgw.Config){func(cfg *antomgw.Config) {
			cfg.HTTPClient, cfg.MaxRetries, cfg.Family = rec.client(), -1, fam
		}}, opts...)...)
	}
	ams := client(antomgw.FamilyAMS)
	sandbox := client(antomgw.FamilyAMSSandbox, func(cfg *antomgw.Config) { cfg.TimeFormat = antomgw.TimeEpochMillis })
	omni := client(antomgw.FamilyOmnichannel)
	// expect checks what was recorded since the last call.
	expect := func(want wantRequest) {
		t.Helper()
		c.check(t, want, rec.take())
	}
	// raw sends a signed request as the registered client.
	raw := func(r gatewaytest.Request) *gatewaytest.Reply {
		t.Helper()
		r.Client = rec.client()
		return g.Do(t, r)
	}
	pay := func(cl *antomgw.Client, id string, value int64, mod func(*antomgw.PayRequest)) *antomgw.PayResponse {
		t.Helper()
		req := &antomgw.PayRequest{
			ProductCode: antomgw.ProductInStore, PaymentRequestID: id,
			Order:         &antomgw.Order{ReferenceOrderID: "ORDER_" + id, OrderDescription: "coffee"},
			PaymentAmount: antomgw.Amount{Currency: "USD", Value: strconv.FormatInt(value, 10)},
			PaymentMethod: antomgw.PaymentMethod{PaymentMethodType: "CONNECT_WALLET", PaymentMethodID: "281012345678"},
			PaymentFactor: &antomgw.PaymentFactor{InStorePaymentScenario: antomgw.ScenarioPaymentCode},
		}
		if mod != nil {
			mod(req)
		}
		resp, err := cl.Pay(ctx, req)
		answered(t, "pay "+id, resp, err)
		return resp
	}
	inquire := func(cl *antomgw.Client, req antomgw.InquiryPaymentRequest) *antomgw.InquiryPaymentResponse {
		t.Helper()
		resp, err := cl.InquiryPayment(ctx, &req)
		answered(t, "inquiryPayment", resp, err)
		return resp
	}
	cancel := func(cl *antomgw.Client, req antomgw.CancelRequest) *antomgw.CancelResponse {
		t.Helper()
		resp, err := cl.CancelPayment(ctx, &req)
		answered(t, "cancel", resp, err)
		return resp
	}
	refund := func(cl *antomgw.Client, req antomgw.RefundRequest) *antomgw.RefundResponse {
		t.Helper()
		resp, err := cl.Refund(ctx, &req)
		answered(t, "refund", resp, err)
		return resp
	}
	inquireRefund := func(cl *antomgw.Client, req antomgw.InquiryRefundRequest) *antomgw.InquiryRefundResponse {
		t.Helper()
		resp, err := cl.InquiryRefund(ctx, &req)
		answered(t, "inquiryRefund", resp, err)
		return resp
	}
	usd := func(v int64) antomgw.Amount { return antomgw.Amount{Currency: "USD", Value: strconv.FormatInt(v, 10)} }
	wantResult := func(what string, got wire.Result, code string) {
		t.Helper()
		if got.Code != code {
			t.Fatalf("%s: result %v, want %s", what, got, code)
		}
	}

	// --- AMS v1, through the SDK ---------------------------------------
	paid := pay(ams, "DOC_PAID", 450, nil)
	wantResult("pay PaymentCode", paid.Result, wire.CodeSuccess)
	pay(ams, "DOC_PAID", 450, nil) // a replay
	expect(validRequest)
	if c.replays == 0 {
		t.Error("the repeated pay was not answered as a replay")
	}
	wantResult("pay 9906", pay(ams, "DOC_BALANCE", 9906, nil).Result, "USER_BALANCE_NOT_ENOUGH")
	wantResult("pay 9901", pay(ams, "DOC_UNKNOWN", 9901, nil).Result, wire.CodeUnknownException)
	wantResult("pay 9910", pay(ams, "DOC_TRAFFIC", 9910, nil).Result, wire.CodeRequestTrafficExceed)
	wantResult("pay again, another amount", pay(ams, "DOC_PAID", 451, nil).Result, wire.CodeRepeatReqInconsistent)
	wantResult("pay ABC", pay(ams, "DOC_ABC", 450, func(r *antomgw.PayRequest) { r.PaymentAmount.Currency = "ABC" }).Result, wire.CodeCurrencyNotSupport)
	orderCode := pay(ams, "DOC_ORDERCODE", 1250, func(r *antomgw.PayRequest) {
		r.PaymentFactor.InStorePaymentScenario, r.PaymentMethod.PaymentMethodID = antomgw.ScenarioOrderCode, ""
	})
	if orderCode.OrderCodeForm == nil {
		t.Fatalf("OrderCode pay: no orderCodeForm in %+v", orderCode)
	}
	entryCode := pay(ams, "DOC_ENTRYCODE", 1250, func(r *antomgw.PayRequest) {
		r.PaymentFactor.InStorePaymentScenario, r.PaymentMethod.PaymentMethodID = antomgw.ScenarioEntryCode, ""
		r.Env = &antomgw.Env{UserAgent: "Mozilla/5.0 AlipayClient"}
	})
	if entryCode.RedirectActionForm == nil {
		t.Fatalf("EntryCode pay: no redirectActionForm in %+v", entryCode)
	}
	cashier := pay(ams, "DOC_CASHIER", 2999, func(r *antomgw.PayRequest) {
		r.ProductCode, r.PaymentFactor, r.PaymentMethod.PaymentMethodID = antomgw.ProductCashier, nil, ""
		r.PaymentRedirectURL = "https://shop.example/return"
		r.PaymentExpiryTime = g.Now().Add(10 * time.Minute).Format(time.RFC3339)
	})
	if cashier.NormalURL == "" {
		t.Fatalf("cashier pay: no normalUrl in %+v", cashier)
	}
	expect(validRequest)

	wantResult("inquiryPayment by paymentId", inquire(ams, antomgw.InquiryPaymentRequest{PaymentID: paid.PaymentID}).Result, wire.CodeSuccess)
	wantResult("inquiryPayment of a failed payment", inquire(ams, antomgw.InquiryPaymentRequest{PaymentRequestID: "DOC_BALANCE"}).Result, wire.CodeSuccess)
	wantResult("inquiryPayment unknown", inquire(ams, antomgw.InquiryPaymentRequest{PaymentRequestID: "DOC_NOBODY"}).Result, wire.CodeOrderNotExist)
	expect(validRequest)

	rf := refund(ams, antomgw.RefundRequest{RefundRequestID: "DOC_RF1", PaymentID: paid.PaymentID, RefundAmount: usd(100), RefundReason: "spilt coffee"})
	wantResult("refund", rf.Result, wire.CodeSuccess)
	wantResult("refund too much", refund(ams, antomgw.RefundRequest{RefundRequestID: "DOC_RF2", PaymentID: paid.PaymentID, RefundAmount: usd(1000)}).Result, wire.CodeRefundAmountExceed)
	wantResult("refund a failed payment", refund(ams, antomgw.RefundRequest{RefundRequestID: "DOC_RF3", PaymentID: paidID(t, g, "DOC_BALANCE"), RefundAmount: usd(100)}).Result, wire.CodeOrderStatusInvalid)
	wantResult("refund an unknown payment", refund(ams, antomgw.RefundRequest{RefundRequestID: "DOC_RF4", PaymentID: "20260302093000000000000000000000", RefundAmount: usd(100)}).Result, wire.CodeOrderNotExist)
	wantResult("refund again, another amount", refund(ams, antomgw.RefundRequest{RefundRequestID: "DOC_RF1", PaymentID: paid.PaymentID, RefundAmount: usd(101)}).Result, wire.CodeRepeatReqInconsistent)
	refund(ams, antomgw.RefundRequest{RefundRequestID: "DOC_RF1", PaymentID: paid.PaymentID, RefundAmount: usd(100)}) // a replay
	async := refund(ams, antomgw.RefundRequest{RefundRequestID: "DOC_RF_ASYNC", PaymentID: paid.PaymentID, RefundAmount: usd(50),
		IsAsyncRefund: true, RefundNotifyURL: recv.srv.URL + "/refund"})
	wantResult("async refund", async.Result, wire.CodeRefundInProcess)
	expect(validRequest)

	wantResult("inquiryRefund", inquireRefund(ams, antomgw.InquiryRefundRequest{RefundID: rf.RefundID}).Result, wire.CodeSuccess)
	wantResult("inquiryRefund processing", inquireRefund(ams, antomgw.InquiryRefundRequest{RefundRequestID: "DOC_RF_ASYNC"}).Result, wire.CodeSuccess)
	wantResult("inquiryRefund unknown", inquireRefund(ams, antomgw.InquiryRefundRequest{RefundRequestID: "DOC_NOBODY"}).Result, wire.CodeOrderNotExist)
	wantResult("inquiryPayment with refunds", inquire(ams, antomgw.InquiryPaymentRequest{PaymentID: paid.PaymentID}).Result, wire.CodeSuccess)
	expect(validRequest)

	wantResult("cancel an OrderCode payment", cancel(ams, antomgw.CancelRequest{PaymentID: orderCode.PaymentID}).Result, wire.CodeSuccess)
	wantResult("cancel a cancelled payment", cancel(ams, antomgw.CancelRequest{PaymentRequestID: "DOC_ORDERCODE"}).Result, wire.CodeSuccess)
	wantResult("cancel a failed payment", cancel(ams, antomgw.CancelRequest{PaymentRequestID: "DOC_BALANCE"}).Result, wire.CodeOrderStatusInvalid)
	wantResult("cancel a refunded payment", cancel(ams, antomgw.CancelRequest{PaymentID: paid.PaymentID}).Result, wire.CodeOrderStatusInvalid)
	wantResult("cancel an unknown payment", cancel(ams, antomgw.CancelRequest{PaymentRequestID: "DOC_NOBODY"}).Result, wire.CodeOrderNotExist)
	wantResult("inquiryPayment of a cancelled payment", inquire(ams, antomgw.InquiryPaymentRequest{PaymentID: orderCode.PaymentID}).Result, wire.CodeSuccess)
	wantResult("pay a cancelled request id", pay(ams, "DOC_ORDERCODE", 1250, func(r *antomgw.PayRequest) {
		r.PaymentFactor.InStorePaymentScenario, r.PaymentMethod.PaymentMethodID = antomgw.ScenarioOrderCode, ""
	}).Result, wire.CodeOrderIsCanceled)
	expect(validRequest)

	// Payments that complete later, each announced to the receiver.
	notifyURL := recv.srv.URL + "/payment"
	wantResult("pay 9903", pay(ams, "DOC_LATER", 9903, func(r *antomgw.PayRequest) { r.PaymentNotifyURL = notifyURL }).Result, wire.CodePaymentInProcess)
	wantResult("pay 9904", pay(ams, "DOC_LATER_FAIL", 9904, func(r *antomgw.PayRequest) { r.PaymentNotifyURL = notifyURL }).Result, wire.CodePaymentInProcess)
	wantResult("pay 9905", pay(ams, "DOC_NEVER", 9905, func(r *antomgw.PayRequest) { r.PaymentNotifyURL = notifyURL }).Result, wire.CodePaymentInProcess)
	expect(validRequest)
	g.Advance(t, gatewaytest.DefaultSimDelay)
	g.Advance(t, 15*time.Minute) // 9905 closes at its expiry
	c.checkNotifications(t, recv.take())
	wantResult("pay a closed request id", pay(ams, "DOC_NEVER", 9905, nil).Result, wire.CodeOrderIsClosed)
	wantResult("inquiryPayment of a closed payment", inquire(ams, antomgw.InquiryPaymentRequest{PaymentRequestID: "DOC_NEVER"}).Result, wire.CodeSuccess)
	wantResult("inquiryRefund of a finished async refund", inquireRefund(ams, antomgw.InquiryRefundRequest{RefundRequestID: "DOC_RF_ASYNC"}).Result, wire.CodeSuccess)
	expect(validRequest)

	// An encrypted client: its notifications are encrypted too.
	encrypted := true
	if _, err := g.Service().UpdateClient(ctx, gateway.ClientUpdate{ID: g.ClientID(), Encrypted: &encrypted}); err != nil {
		t.Fatal(err)
	}
	enc := client(antomgw.FamilyAMS, func(cfg *antomgw.Config) { cfg.Encrypt = true })
	wantResult("encrypted pay 9903", pay(enc, "DOC_ENC_LATER", 9903, func(r *antomgw.PayRequest) { r.PaymentNotifyURL = notifyURL }).Result, wire.CodePaymentInProcess)
	expect(validRequest)
	g.Advance(t, gatewaytest.DefaultSimDelay)
	c.checkNotifications(t, recv.take())
	encrypted = false
	if _, err := g.Service().UpdateClient(ctx, gateway.ClientUpdate{ID: g.ClientID(), Encrypted: &encrypted}); err != nil {
		t.Fatal(err)
	}

	// A successful payment past the cancel window.
	old := pay(ams, "DOC_OLD", 450, nil)
	expect(validRequest)
	g.Advance(t, 25*time.Hour)
	wantResult("cancel past the window", cancel(ams, antomgw.CancelRequest{PaymentID: old.PaymentID}).Result, wire.CodeCancelWindowExceed)
	expect(validRequest)

	// --- online checkout: consult, payment sessions --------------------
	consult := func(cl *antomgw.Client, req antomgw.ConsultRequest) *antomgw.ConsultResponse {
		t.Helper()
		resp, err := cl.Consult(ctx, &req)
		answered(t, "consult", resp, err)
		return resp
	}
	web := &antomgw.Env{TerminalType: "WEB"}
	co := consult(ams, antomgw.ConsultRequest{ProductCode: antomgw.ProductCashier, PaymentAmount: antomgw.Amount{Currency: "SGD", Value: "2500"},
		Env: web, UserRegion: "SG", AllowedPaymentMethodRegions: []string{"SG", "GLOBAL", "PH"}})
	wantResult("consult", co.Result, wire.CodeSuccess)
	wantResult("consult over every limit", consult(ams, antomgw.ConsultRequest{ProductCode: antomgw.ProductCashier, PaymentAmount: usd(900_000_000), Env: web}).Result, "NO_PAY_OPTIONS")
	wantResult("consult in a currency nobody takes", consult(ams, antomgw.ConsultRequest{ProductCode: antomgw.ProductCashier,
		PaymentAmount: antomgw.Amount{Currency: "ZAR", Value: "2500"}, Env: web}).Result, wire.CodeCurrencyNotSupport)
	wantResult("sandbox consult", consult(sandbox, antomgw.ConsultRequest{ProductCode: antomgw.ProductCashier, PaymentAmount: usd(2500),
		Env: &antomgw.Env{TerminalType: "APP"}, BlockedPaymentMethods: []string{"CARD"}}).Result, wire.CodeSuccess)
	wantResult("sandbox consult over every limit", consult(sandbox, antomgw.ConsultRequest{ProductCode: antomgw.ProductCashier, PaymentAmount: usd(900_000_000), Env: web}).Result, "NO_PAY_OPTIONS")
	expect(validRequest)

	createSession := func(cl *antomgw.Client, id string, value int64, mod func(*antomgw.CreatePaymentSessionRequest)) *antomgw.CreatePaymentSessionResponse {
		t.Helper()
		req := &antomgw.CreatePaymentSessionRequest{ProductCode: antomgw.ProductCashier, PaymentRequestID: id,
			Order: &antomgw.Order{ReferenceOrderID: "ORDER_" + id, OrderDescription: "shoes"}, PaymentAmount: usd(value),
			PaymentRedirectURL: "https://shop.example/return", PaymentNotifyURL: notifyURL, ProductScene: antomgw.SceneCheckoutPayment,
			Env: web}
		if mod != nil {
			mod(req)
		}
		resp, err := cl.CreatePaymentSession(ctx, req)
		answered(t, "createPaymentSession "+id, resp, err)
		return resp
	}
	retrieve := func(cl *antomgw.Client, id string) *antomgw.RetrievePaymentSessionResponse {
		t.Helper()
		resp, err := cl.RetrievePaymentSession(ctx, &antomgw.RetrievePaymentSessionRequest{PaymentRequestID: id})
		answered(t, "retrievePaymentSession "+id, resp, err)
		return resp
	}
	sess := createSession(ams, "DOC_SESSION", 8900, nil)
	wantResult("createPaymentSession", sess.Result, wire.CodeSuccess)
	wantResult("createPaymentSession again", createSession(ams, "DOC_SESSION", 8900, nil).Result, wire.CodeSuccess)
	wantResult("createPaymentSession, another amount", createSession(ams, "DOC_SESSION", 8901, nil).Result, wire.CodeRepeatReqInconsistent)
	wantResult("createPaymentSession for an element", createSession(ams, "DOC_SESSION_EL", 1500, func(r *antomgw.CreatePaymentSessionRequest) {
		r.ProductScene, r.Env, r.Locale = antomgw.SceneElementPayment, nil, "en_US"
		r.AvailablePaymentMethod = &antomgw.AvailablePaymentMethod{PaymentMethodTypeList: []antomgw.PaymentMethodTypeItem{
			{PaymentMethodType: "CARD", PaymentMethodOrder: "2"}, {PaymentMethodType: "CONNECT_WALLET", PaymentMethodOrder: "1"}}}
		r.SettlementStrategy = &antomgw.SettlementStrategy{SettlementCurrency: "USD"}
	}).Result, wire.CodeSuccess)
	wantResult("sandbox createPaymentSession", createSession(sandbox, "DOC_SB_SESSION", 8900, func(r *antomgw.CreatePaymentSessionRequest) {
		r.PaymentFactor = &antomgw.PaymentFactor{IsAuthorization: true, CaptureMode: antomgw.CaptureModeManual}
	}).Result, wire.CodeSuccess)
	wantResult("sandbox createPaymentSession over every limit", createSession(sandbox, "DOC_SB_SESSION_BIG", 900_000_000, nil).Result, "NO_PAY_OPTIONS")
	wantResult("retrievePaymentSession (the SDKs' path)", retrieve(ams, "DOC_SESSION").Result, wire.CodeSuccess)
	wantResult("retrievePaymentSession unknown (the SDKs' path)", retrieve(ams, "DOC_NOBODY").Result, wire.CodeOrderNotExist)
	wantResult("sandbox retrievePaymentSession (the SDKs' path)", retrieve(sandbox, "DOC_SB_SESSION").Result, wire.CodeSuccess)
	wantResult("sandbox retrievePaymentSession unknown (the SDKs' path)", retrieve(sandbox, "DOC_NOBODY").Result, wire.CodeOrderNotExist)
	expect(validRequest)
	if _, err := g.Service().PaySession(ctx, gateway.SessionPayInput{ClientID: g.ClientID(), SessionID: sess.PaymentSessionID,
		MethodType: "CONNECT_WALLET", Outcome: gateway.ResolveSuccess}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/ams/api/v1/payments/retrievePaymentSession", "/ams/sandbox/api/v1/payments/retrievePaymentSession"} {
		r := raw(gatewaytest.Request{Path: p, Body: `{"paymentRequestId":"DOC_SESSION"}`})
		wantResult("retrievePaymentSession of a paid session at "+p, r.Result, wire.CodeSuccess)
		if got := gatewaytest.Decode[antomgw.RetrievePaymentSessionResponse](t, r); got.PaymentSessionStatus != antomgw.SessionStatusCompleted || got.PaymentID == "" {
			t.Fatalf("retrievePaymentSession of a paid session: %+v", got)
		}
		r = raw(gatewaytest.Request{Path: p, Body: `{"payment_request_id":"DOC_NOBODY"}`})
		wantResult("retrievePaymentSession unknown at "+p, r.Result, wire.CodeOrderNotExist)
	}
	wantResult("createPaymentSession of a paid session", createSession(ams, "DOC_SESSION", 8900, nil).Result, wire.CodeOrderStatusInvalid)
	expect(validRequest)
	g.Advance(t, gatewaytest.DefaultSimDelay)
	c.checkNotifications(t, recv.take())

	// --- authorisations and capture --------------------------------------
	capture := func(cl *antomgw.Client, req antomgw.CaptureRequest) *antomgw.CaptureResponse {
		t.Helper()
		resp, err := cl.Capture(ctx, &req)
		answered(t, "capture", resp, err)
		return resp
	}
	authorise := func(cl *antomgw.Client, id string, value int64) *antomgw.PayResponse {
		t.Helper()
		return pay(cl, id, value, func(r *antomgw.PayRequest) {
			r.ProductCode, r.PaymentMethod.PaymentMethodID, r.PaymentNotifyURL = antomgw.ProductCashier, "", notifyURL
			r.PaymentFactor = &antomgw.PaymentFactor{IsAuthorization: true, CaptureMode: antomgw.CaptureModeManual}
			r.PaymentRedirectURL = "https://shop.example/return"
		})
	}
	auth := authorise(ams, "DOC_AUTH", 30000)
	single := authorise(ams, "DOC_AUTH_SINGLE", 9911)
	sbAuth := authorise(sandbox, "DOC_SB_AUTH", 5000)
	voidAuth := authorise(ams, "DOC_AUTH_VOID", 7000)
	expect(validRequest)
	g.Advance(t, gatewaytest.DefaultSimDelay) // the wallet authorises them
	wantResult("authorised", pay(ams, "DOC_AUTH", 30000, func(r *antomgw.PayRequest) {
		r.ProductCode, r.PaymentMethod.PaymentMethodID, r.PaymentNotifyURL = antomgw.ProductCashier, "", notifyURL
		r.PaymentFactor = &antomgw.PaymentFactor{IsAuthorization: true, CaptureMode: antomgw.CaptureModeManual}
		r.PaymentRedirectURL = "https://shop.example/return"
	}).Result, wire.CodeSuccess) // a replay, with authExpiryTime
	cp := capture(ams, antomgw.CaptureRequest{CaptureRequestID: "DOC_CAP1", PaymentID: auth.PaymentID, CaptureAmount: usd(20000)})
	wantResult("capture", cp.Result, wire.CodeSuccess)
	capture(ams, antomgw.CaptureRequest{CaptureRequestID: "DOC_CAP1", PaymentID: auth.PaymentID, CaptureAmount: usd(20000)}) // a replay
	wantResult("capture too much", capture(ams, antomgw.CaptureRequest{CaptureRequestID: "DOC_CAP2", PaymentID: auth.PaymentID, CaptureAmount: usd(20000)}).Result, wire.CodeCaptureAmountExceedAuth)
	wantResult("capture an unknown payment", capture(ams, antomgw.CaptureRequest{CaptureRequestID: "DOC_CAP3", PaymentID: "20260302093000000000000000000000", CaptureAmount: usd(1)}).Result, wire.CodeAuthNotFound)
	wantResult("capture a payment that is not an authorisation", capture(ams, antomgw.CaptureRequest{CaptureRequestID: "DOC_CAP4", PaymentID: paid.PaymentID, CaptureAmount: usd(1)}).Result, wire.CodeOrderStatusInvalid)
	wantResult("capture once", capture(ams, antomgw.CaptureRequest{CaptureRequestID: "DOC_CAP5", PaymentID: single.PaymentID, CaptureAmount: usd(100)}).Result, wire.CodeSuccess)
	wantResult("capture twice", capture(ams, antomgw.CaptureRequest{CaptureRequestID: "DOC_CAP6", PaymentID: single.PaymentID, CaptureAmount: usd(100)}).Result, "MULTI_CAPTURE_NOT_SUPPORTED")
	wantResult("sandbox capture", capture(sandbox, antomgw.CaptureRequest{CaptureRequestID: "DOC_SB_CAP1", PaymentID: sbAuth.PaymentID, CaptureAmount: usd(1000), IsLastCapture: true}).Result, wire.CodeSuccess)
	wantResult("sandbox capture after the last", capture(sandbox, antomgw.CaptureRequest{CaptureRequestID: "DOC_SB_CAP2", PaymentID: sbAuth.PaymentID, CaptureAmount: usd(1000)}).Result, wire.CodeOrderStatusInvalid)
	wantResult("inquiryPayment of an authorisation", inquire(ams, antomgw.InquiryPaymentRequest{PaymentID: auth.PaymentID}).Result, wire.CodeSuccess)
	wantResult("cancel an authorisation", cancel(ams, antomgw.CancelRequest{PaymentID: voidAuth.PaymentID}).Result, wire.CodeSuccess)
	wantResult("inquiryPayment of a voided authorisation", inquire(ams, antomgw.InquiryPaymentRequest{PaymentID: voidAuth.PaymentID}).Result, wire.CodeSuccess)
	wantResult("capture a voided authorisation", capture(ams, antomgw.CaptureRequest{CaptureRequestID: "DOC_CAP7", PaymentID: voidAuth.PaymentID, CaptureAmount: usd(1)}).Result, wire.CodeAuthCancelled)
	expect(validRequest)
	g.Step(t)
	c.checkNotifications(t, recv.take())

	// --- AMS v1 sandbox paths, through the SDK ---------------------------
	sb := pay(sandbox, "DOC_SB_PAID", 450, nil)
	wantResult("sandbox pay", sb.Result, wire.CodeSuccess)
	wantResult("sandbox pay 9907", pay(sandbox, "DOC_SB_RISK", 9907, nil).Result, "RISK_REJECT")
	wantResult("sandbox inquiryPayment", inquire(sandbox, antomgw.InquiryPaymentRequest{PaymentRequestID: "DOC_SB_PAID"}).Result, wire.CodeSuccess)
	wantResult("sandbox inquiryPayment unknown", inquire(sandbox, antomgw.InquiryPaymentRequest{PaymentID: "20260302093000000000000000000000"}).Result, wire.CodeOrderNotExist)
	sbRefund := refund(sandbox, antomgw.RefundRequest{RefundRequestID: "DOC_SB_RF", PaymentID: sb.PaymentID, RefundAmount: usd(450)})
	wantResult("sandbox refund", sbRefund.Result, wire.CodeSuccess)
	wantResult("sandbox refund again", refund(sandbox, antomgw.RefundRequest{RefundRequestID: "DOC_SB_RF2", PaymentID: sb.PaymentID, RefundAmount: usd(1)}).Result, wire.CodeRefundAmountExceed)
	wantResult("sandbox inquiryRefund", inquireRefund(sandbox, antomgw.InquiryRefundRequest{RefundRequestID: "DOC_SB_RF"}).Result, wire.CodeSuccess)
	wantResult("sandbox inquiryRefund unknown", inquireRefund(sandbox, antomgw.InquiryRefundRequest{RefundID: "20260302093000000000000000000000"}).Result, wire.CodeOrderNotExist)
	sbCancel := pay(sandbox, "DOC_SB_CANCEL", 450, nil)
	wantResult("sandbox cancel", cancel(sandbox, antomgw.CancelRequest{PaymentID: sbCancel.PaymentID}).Result, wire.CodeSuccess)
	wantResult("sandbox cancel of a refunded payment", cancel(sandbox, antomgw.CancelRequest{PaymentID: sb.PaymentID}).Result, wire.CodeOrderStatusInvalid)
	expect(validRequest)

	// --- omnichannel v2, through the SDK --------------------------------
	v2 := pay(omni, "DOC_V2_PAID", 450, func(r *antomgw.PayRequest) {
		r.Order.Merchant = []byte(`{"store":{"referenceStoreId":"STORE_1"}}`)
	})
	wantResult("v2 pay", v2.Result, wire.CodeSuccess)
	wantResult("v2 pay 9909", pay(omni, "DOC_V2_BADCODE", 9909, nil).Result, "INVALID_PAYMENT_CODE")
	wantResult("v2 inquiryPayment", inquire(omni, antomgw.InquiryPaymentRequest{PaymentID: v2.PaymentID}).Result, wire.CodeSuccess)
	wantResult("v2 inquiryPayment unknown", inquire(omni, antomgw.InquiryPaymentRequest{PaymentRequestID: "DOC_NOBODY"}).Result, wire.CodeOrderNotExist)
	v2rf := refund(omni, antomgw.RefundRequest{RefundRequestID: "DOC_V2_RF", PaymentID: v2.PaymentID, RefundAmount: usd(100), RefundReason: "spilt"})
	wantResult("v2 refund", v2rf.Result, wire.CodeSuccess)
	wantResult("v2 refund the rest", refund(omni, antomgw.RefundRequest{RefundRequestID: "DOC_V2_REST", PaymentID: v2.PaymentID}).Result, wire.CodeSuccess)
	wantResult("v2 refund, nothing left", refund(omni, antomgw.RefundRequest{RefundRequestID: "DOC_V2_MORE", PaymentID: v2.PaymentID}).Result, wire.CodeRefundAmountExceed)
	wantResult("v2 inquiryRefund", inquireRefund(omni, antomgw.InquiryRefundRequest{RefundID: v2rf.RefundID}).Result, wire.CodeSuccess)
	wantResult("v2 inquiryRefund unknown", inquireRefund(omni, antomgw.InquiryRefundRequest{RefundRequestID: "DOC_NOBODY"}).Result, wire.CodeOrderNotExist)
	v2c := pay(omni, "DOC_V2_CANCEL", 450, nil)
	wantResult("v2 cancel", cancel(omni, antomgw.CancelRequest{PaymentRequestID: "DOC_V2_CANCEL"}).Result, wire.CodeSuccess)
	wantResult("v2 inquiryPayment of a cancelled payment", inquire(omni, antomgw.InquiryPaymentRequest{PaymentID: v2c.PaymentID}).Result, wire.CodeSuccess)
	wantResult("v2 cancel of a failed payment", cancel(omni, antomgw.CancelRequest{PaymentRequestID: "DOC_V2_BADCODE"}).Result, wire.CodeOrderStatusInvalid)
	expect(validRequest)

	// --- what the other official SDKs write -----------------------------
	// Python: integer ids and amounts, ISO 8601 seconds with +00:00,
	// isAsyncRefund a JSON boolean.
	pyTime := g.Now().UTC().Format("2006-01-02T15:04:05+00:00")
	r := raw(gatewaytest.Request{Path: "/ams/api/v1/payments/pay", Time: &pyTime,
		Body: `{"productCode":"IN_STORE_PAYMENT","paymentRequestId":1733100001,"order":{"referenceOrderId":1733100001,"orderDescription":"tea",` +
			`"orderAmount":{"currency":"USD","value":1231},"merchant":{"referenceMerchantId":"M1","store":{"referenceStoreId":"S1"}},` +
			`"env":{"storeTerminalId":17,"storeTerminalRequestTime":"2026-03-02T09:30:00+08:00"}},` +
			`"paymentAmount":{"currency":"USD","value":1231},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":281012345678},` +
			`"paymentFactor":{"inStorePaymentScenario":"PaymentCode","isAuthorization":false},"extendInfo":"{}","appId":"ignored"}`})
	wantResult("python-style pay", r.Result, wire.CodeSuccess)
	pyPaid := gatewaytest.Decode[antomgw.PayResponse](t, r)
	// PHP: Request-Time with +0000, isAsyncRefund a JSON boolean.
	phpTime := g.Now().UTC().Format("2006-01-02T15:04:05-0700")
	r = raw(gatewaytest.Request{Path: "/ams/api/v1/payments/refund", Time: &phpTime,
		Body: `{"refundRequestId":1733100002,"paymentId":"` + pyPaid.PaymentID + `","refundAmount":{"currency":"USD","value":100},"isAsyncRefund":false}`})
	wantResult("php-style refund", r.Result, wire.CodeSuccess)
	r = raw(gatewaytest.Request{Path: "/ams/api/v1/payments/refund",
		Body: `{"refundRequestId":"DOC_RF_STR","paymentId":"` + pyPaid.PaymentID + `","refundAmount":{"currency":"USD","value":"100"},"isAsyncRefund":"false","refundNotifyUrl":null}`})
	wantResult("refund with isAsyncRefund as a string", r.Result, wire.CodeSuccess)
	r = raw(gatewaytest.Request{Path: "/ams/api/v1/payments/inquiryPayment", Body: `{"paymentRequestId":1733100001,"paymentId":""}`})
	wantResult("inquiryPayment by an integer id", r.Result, wire.CodeSuccess)
	r = raw(gatewaytest.Request{Path: "/ams/api/v1/payments/inquiryRefund", Body: `{"refundRequestId":1733100002,"merchantAccountId":null}`})
	wantResult("inquiryRefund by an integer id", r.Result, wire.CodeSuccess)
	// Go: Content-Type twice, epoch milliseconds, extra headers.
	ms := strconv.FormatInt(g.Now().UnixMilli(), 10)
	r = raw(gatewaytest.Request{Path: "/ams/api/v1/payments/inquiryPayment", Time: &ms, Body: `{"paymentId":"` + pyPaid.PaymentID + `"}`,
		AddHeader: [][2]string{{"Content-Type", "application/json"}, {"Key-Version", "1"}, {"Sdk-Version", "global-open-sdk-go"}, {"Agent-Token", ""}}})
	wantResult("go-style inquiryPayment", r.Result, wire.CodeSuccess)
	// .NET: 7 fraction digits and Z.
	dotnet := g.Now().UTC().Format("2006-01-02T15:04:05.0000000Z")
	r = raw(gatewaytest.Request{Path: "/openapi/v2/payments/pay", Time: &dotnet,
		Body: `{"paymentRequestId":"DOC_V2_STR","paymentMethod":"CONNECT_WALLET","paymentAmount":{"currency":"JPY","value":"500"},"originalMerchantOrderId":42}`})
	wantResult("v2 pay with a string value", r.Result, wire.CodeSuccess)
	r = raw(gatewaytest.Request{Path: "/openapi/v2/payments/refund",
		Body: `{"refundRequestId":1733100003,"paymentId":"` + v2c.PaymentID + `","refundAmount":null,"memo":"x"}`})
	wantResult("v2 refund of a cancelled payment", r.Result, wire.CodeOrderStatusInvalid)
	expect(validRequest)

	// Encrypted requests and answers, one per family.
	for _, p := range []struct{ path, body string }{
		{"/ams/api/v1/payments/inquiryPayment", `{"paymentId":"` + paid.PaymentID + `"}`},
		{"/ams/sandbox/api/v1/payments/inquiryRefund", `{"refundId":"` + rf.RefundID + `"}`},
		{"/openapi/v2/payments/pay", `{"paymentRequestId":"DOC_V2_ENC","paymentMethod":"CONNECT_WALLET","paymentAmount":{"currency":"USD","value":450}}`},
	} {
		r = raw(gatewaytest.Request{Path: p.path, Body: p.body, Encrypt: true})
		if !r.Encrypted || r.Result.Status != wire.StatusSuccess {
			t.Fatalf("encrypted %s: encrypted %v, result %v", p.path, r.Encrypted, r.Result)
		}
	}
	expect(validRequest)

	// Refusals the document cannot see coming from the request: valid
	// requests, refused answers.
	other := "DOC_NOT_A_CLIENT"
	r = raw(gatewaytest.Request{Path: "/ams/api/v1/payments/inquiryPayment", Body: `{"paymentId":"1"}`, ClientID: &other})
	wantResult("unknown Client-Id", r.Result, wire.CodeInvalidClient)
	r = raw(gatewaytest.Request{Path: "/ams/api/v1/payments/inquiryPayment", Body: `{"paymentId":"1"}`, Key: gatewaytest.OtherMerchantKey()})
	wantResult("signed with another key", r.Result, wire.CodeInvalidSignature)
	r = raw(gatewaytest.Request{Path: "/openapi/v2/payments/inquiryRefund", Body: `{"refundId":"1"}`, Sign: func(content []byte) string {
		sig, err := wire.Sign(gatewaytest.OtherMerchantKey(), content)
		if err != nil {
			t.Fatal(err)
		}
		return wire.SignatureHeader{Algorithm: wire.AlgorithmRSA256, KeyVersion: 7, Signature: sig}.String()
	}})
	wantResult("an unknown keyVersion", r.Result, wire.CodeKeyNotFound)
	sealed, eh, err := wire.EncryptBody(nil, &g.GatewayKey().PublicKey, 9, []byte(`{"paymentId":"1"}`))
	if err != nil {
		t.Fatal(err)
	}
	r = raw(gatewaytest.Request{Path: "/ams/sandbox/api/v1/payments/cancel", Body: string(sealed),
		Header: map[string]string{"Encrypt": eh.String(), "Content-Type": "text/plain; charset=UTF-8"}})
	wantResult("an unknown gateway key version", r.Result, wire.CodeKeyNotFound)
	r = raw(gatewaytest.Request{Path: "/ams/api/v1/payments/pay", Body: strings.Replace(payJSON("DOC_EXPIRED", 450), `"productCode"`,
		`"paymentExpiryTime":"2020-01-01T00:00:00+00:00","productCode"`, 1)})
	wantResult("an expiry in the past", r.Result, wire.CodeParamIllegal)
	expect(validRequest)

	// Refusals of requests the document refuses too.
	empty := ""
	badTime := "yesterday"
	for _, bad := range []gatewaytest.Request{
		{Path: "/ams/api/v1/payments/pay", Body: `{"productCode":"IN_STORE_PAYMENT"}`},
		{Path: "/ams/api/v1/payments/pay", Body: `{"productCode":`},
		{Path: "/ams/api/v1/payments/pay", Body: strings.Replace(payJSON("DOC_BAD_SCENARIO", 450), `"PaymentCode"`, `"FaceCode"`, 1)},
		{Path: "/ams/api/v1/payments/pay", Body: strings.Replace(payJSON("DOC_NO_CODE", 450), `,"paymentMethodId":"281012345678"`, ``, 1)},
		{Path: "/ams/api/v1/payments/pay", Body: strings.Replace(payJSON("DOC_CENTS", 450), `"450"`, `"4.50"`, 1)},
		{Path: "/ams/api/v1/payments/refund", Body: `{"refundRequestId":"X","paymentId":"1","refundAmount":{"currency":"USD","value":"1"},"isAsyncRefund":"yes"}`},
		{Path: "/ams/api/v1/payments/inquiryPayment", Body: `{"paymentId":"","paymentRequestId":""}`},
		{Path: "/openapi/v2/payments/pay", Body: `{"paymentRequestId":"NO-DASHES","paymentMethod":"CONNECT_WALLET","paymentAmount":{"currency":"USD","value":450}}`},
		{Path: "/openapi/v2/payments/pay", Body: `{"paymentRequestId":"DOC_V2_BIG","paymentMethod":"CONNECT_WALLET","paymentAmount":{"currency":"USD","value":2147483648}}`},
		{Path: "/ams/api/v1/payments/inquiryRefund", Body: `{"refundId":"1"}`, Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
		{Path: "/ams/api/v1/payments/inquiryRefund", Body: `{"refundId":"1"}`, ClientID: &empty},
		{Path: "/ams/api/v1/payments/inquiryRefund", Body: `{"refundId":"1"}`, Time: &empty},
		{Path: "/ams/api/v1/payments/inquiryRefund", Body: `{"refundId":"1"}`, Time: &badTime},
		{Path: "/ams/api/v1/payments/inquiryRefund", Body: `{"refundId":"1"}`, Signature: &empty},
		{Path: "/ams/api/v1/payments/inquiryRefund", Body: `{"refundId":"1"}`, Signature: ptr("algorithm=RSA256,keyVersion=1")},
	} {
		r := raw(bad)
		if r.Result.Status != wire.StatusFail {
			t.Errorf("%s %s: result %v, want a refusal", bad.Path, bad.Body, r.Result)
		}
	}
	expect(invalidRequest)

	// No operation: another method, another path.
	raw(gatewaytest.Request{Method: http.MethodGet, Path: "/ams/api/v1/payments/pay"})
	raw(gatewaytest.Request{Path: "/ams/api/v1/payments/notAnApi", Body: `{}`})
	expect(invalidRequest)
	for _, code := range []string{wire.CodeMethodNotSupported, wire.CodeNoInterfaceDef} {
		if !c.errorsOf[code] {
			t.Errorf("no %s answer was checked against ErrorResponse", code)
		}
	}

	// The node's other paths.
	for path, method := range servedBesides {
		req, err := http.NewRequest(method, g.URL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := rec.client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s %s: HTTP %d, want 200", method, path, resp.StatusCode)
		}
	}
	expect(validRequest)

	// Refusals before authentication beyond --refusal-rate.
	limited := gatewaytest.New(t, gatewaytest.WithConfig(func(cfg *node.Config) { cfg.RefusalRate = 1 }))
	stranger := "DOC_STRANGER"
	overLimit := false
	for i := 0; i < 5 && !overLimit; i++ {
		r := limited.Do(t, gatewaytest.Request{Path: "/ams/api/v1/payments/inquiryPayment", Body: `{"paymentId":"1"}`, ClientID: &stranger, Client: rec.client()})
		overLimit = r.Result.Code == wire.CodeRequestTrafficExceed
	}
	if !overLimit {
		t.Error("no refusal was answered U REQUEST_TRAFFIC_EXCEED_LIMIT at --refusal-rate 1")
	}
	expect(validRequest)

	// Coverage.
	for _, op := range c.s.operations() {
		method, path, _ := strings.Cut(op, " ")
		id := c.ops[op]
		seen := c.statuses[id]
		switch {
		case len(seen) == 0:
			t.Errorf("%s (%s): no real exchange was validated", op, id)
		case method == http.MethodPost && (!seen[wire.StatusSuccess] || !(seen[wire.StatusFail] || seen[wire.StatusUnknown])):
			t.Errorf("%s (%s): result statuses seen %v; want S and F or U", path, id, seen)
		}
	}
	for name := range c.s.model.Webhooks.KeysFromOldest() {
		if seen := c.statuses[name]; !seen[wire.StatusSuccess] || !seen[wire.StatusFail] && name != "notifyRefund" {
			t.Errorf("webhook %s: result statuses seen %v; want S, and F but for notifyRefund (the simulated wallet's refunds do not fail)", name, seen)
		}
		if name == "notifyPayment" && !c.plain[name] {
			t.Errorf("webhook %s: no encrypted notification was validated", name)
		}
	}
	for _, op := range []string{"inquiryPayment", "sandboxInquiryRefund", "omnichannelPay"} {
		if !c.plain[op] {
			t.Errorf("%s: no encrypted exchange was validated in the clear", op)
		}
	}
	if missing := c.missing(t); len(missing) > 0 {
		t.Errorf("documented fields no real body carried: %v", missing)
	}
}

// answered fails the test when an SDK call got no verified answer (an F
// or U answer comes with an error and is still an answer).
func answered[T any](tb testing.TB, what string, resp *T, err error) {
	tb.Helper()
	if resp == nil {
		tb.Fatalf("%s: no verified answer: %v", what, err)
	}
}

// payJSON is a valid AMS v1 PaymentCode pay body.
func payJSON(id string, value int64) string {
	return fmt.Sprintf(`{"productCode":"IN_STORE_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":"O","orderDescription":"coffee"},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281012345678"},`+
		`"paymentFactor":{"inStorePaymentScenario":"PaymentCode"}}`, id, value)
}

// paidID returns the paymentId of the registered client's payment with
// the request id.
func paidID(tb testing.TB, g *gatewaytest.Gateway, requestID string) string {
	tb.Helper()
	p, err := g.Service().FindPayment(context.Background(), gateway.PaymentRef{ClientID: g.ClientID(), RequestID: requestID})
	if err != nil {
		tb.Fatal(err)
	}
	return p.ID
}

func ptr[T any](v T) *T { return &v }

// TestValidationCatchesDrift: the checks of TestExchanges fail when a real
// request or answer departs from the document: an undocumented answer
// field, a status that does not go with its code, a number where a string
// is documented, a missing signature header, a missing required request
// field, an unreadable Request-Time.
func TestValidationCatchesDrift(t *testing.T) {
	g := gatewaytest.New(t)
	s := loadSpec(t)
	rec := &recorder{}
	cl := g.Client(t, func(cfg *antomgw.Config) { cfg.HTTPClient, cfg.MaxRetries = rec.client(), -1 })
	resp, err := cl.Pay(context.Background(), &antomgw.PayRequest{
		ProductCode: antomgw.ProductInStore, PaymentRequestID: "DRIFT_1",
		Order:         &antomgw.Order{ReferenceOrderID: "1", OrderDescription: "coffee"},
		PaymentAmount: antomgw.Amount{Currency: "USD", Value: "450"},
		PaymentMethod: antomgw.PaymentMethod{PaymentMethodType: "CONNECT_WALLET", PaymentMethodID: "281012345678"},
		PaymentFactor: &antomgw.PaymentFactor{InStorePaymentScenario: antomgw.ScenarioPaymentCode},
	})
	if err != nil || resp.Result.Status != wire.StatusSuccess {
		t.Fatalf("pay: %+v, %v", resp, err)
	}
	xs := rec.take()
	if len(xs) != 1 {
		t.Fatalf("%d exchanges recorded, want 1", len(xs))
	}
	x := xs[0]
	req := x.request(t, nil)
	if ok, errs := s.v.ValidateHttpRequestSync(req); !ok {
		t.Fatalf("the real request does not validate:%s", describe(errs))
	}
	req = x.request(t, nil)
	if ok, errs := s.v.ValidateHttpResponse(req, x.response(req, nil)); !ok {
		t.Fatalf("the real answer does not validate:%s", describe(errs))
	}

	answer := string(x.respBody)
	for _, c := range []struct {
		name   string
		body   string
		header func(http.Header)
	}{
		{name: "an undocumented field", body: strings.Replace(answer, `"paymentId"`, `"paymentStage":"X","paymentId"`, 1)},
		{name: "SUCCESS with status U", body: strings.Replace(answer, `"resultStatus":"S"`, `"resultStatus":"U"`, 1)},
		{name: "a numeric amount value", body: strings.Replace(answer, `"value":"450"`, `"value":450`, 1)},
		{name: "a code pay never answers", body: strings.Replace(strings.Replace(answer, `"SUCCESS"`, `"REFUND_IN_PROCESS"`, 1), `"resultStatus":"S"`, `"resultStatus":"U"`, 1)},
		{name: "no signature header", body: answer, header: func(h http.Header) { h.Del("signature") }},
	} {
		if c.body == answer && c.header == nil {
			t.Fatalf("%s: the mutation changed nothing in %s", c.name, answer)
		}
		req := x.request(t, nil)
		resp := x.response(req, []byte(c.body))
		if c.header != nil {
			c.header(resp.Header)
		}
		if ok, _ := s.v.ValidateHttpResponse(req, resp); ok {
			t.Errorf("an answer with %s validates: %s", c.name, c.body)
		}
	}

	request := string(x.reqBody)
	for _, c := range []struct {
		name   string
		body   string
		header func(http.Header)
	}{
		{name: "no paymentRequestId", body: strings.Replace(request, `"paymentRequestId":"DRIFT_1",`, ``, 1)},
		{name: "a PaymentCode without paymentMethodId", body: strings.Replace(request, `,"paymentMethodId":"281012345678"`, ``, 1)},
		{name: "Request-Time yesterday", body: request, header: func(h http.Header) { h.Set("Request-Time", "yesterday") }},
		{name: "no Client-Id", body: request, header: func(h http.Header) { h.Del("Client-Id") }},
	} {
		if c.body == request && c.header == nil {
			t.Fatalf("%s: the mutation changed nothing in %s", c.name, request)
		}
		req := x.request(t, []byte(c.body))
		if c.header != nil {
			c.header(req.Header)
		}
		if ok, _ := s.v.ValidateHttpRequestSync(req); ok {
			t.Errorf("a request with %s validates: %s", c.name, c.body)
		}
	}
}
