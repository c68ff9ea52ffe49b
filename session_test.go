package antomgw_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/antomtest"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// pathRecorder is a RoundTripper that records the path of every request
// as it goes on the wire.
type pathRecorder struct {
	mu    sync.Mutex
	paths []string
}

func (p *pathRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	p.mu.Lock()
	p.paths = append(p.paths, req.URL.EscapedPath())
	p.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// receiver is a merchant's notification endpoint: it verifies each
// notification with ParseNotification (failing the test on one that does
// not verify) and acknowledges it. It returns its URL and a function
// listing what it received.
func receiver(t *testing.T, g *gatewaytest.Gateway) (string, func() []*antomgw.Notification) {
	var mu sync.Mutex
	var notes []*antomgw.Notification
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := antomgw.ParseNotification(r, g.GatewayPublicKeys())
		if err != nil {
			t.Errorf("notification: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		notes = append(notes, n)
		mu.Unlock()
		antomgw.WriteNotificationAck(w)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/antom/notify", func() []*antomgw.Notification {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(notes)
	}
}

// TestOnlineCheckout runs an online payment end to end with the SDK
// against the real gateway: Consult, CreatePaymentSession, the buyer opens
// normalUrl, chooses a method and pays on the wallet's page;
// InquiryPayment says SUCCESS; the notifyPayment the merchant receives
// verifies with ParseNotification; RetrievePaymentSession, at the official
// SDKs' double-slash path, verifies and says COMPLETED.
func TestOnlineCheckout(t *testing.T) {
	for _, fam := range []antomgw.PathFamily{antomgw.FamilyAMS, antomgw.FamilyAMSSandbox} {
		t.Run(string(fam), func(t *testing.T) {
			g := gatewaytest.New(t)
			rec := &pathRecorder{}
			c := g.Client(t, family(fam), func(c *antomgw.Config) { c.HTTPClient = &http.Client{Transport: rec} })
			ctx := t.Context()

			notifyURL, received := receiver(t, g)

			co, err := c.Consult(ctx, &antomgw.ConsultRequest{ProductCode: antomgw.ProductCashier,
				PaymentAmount: antomgw.Amount{Currency: "USD", Value: "2500"},
				Env:           &antomgw.Env{TerminalType: "WEB"}, UserRegion: "PH"})
			if err != nil {
				t.Fatalf("Consult: %v", err)
			}
			if len(co.PaymentOptions) == 0 || co.PaymentOptions[0].PaymentMethodType != "GCASH" || !co.PaymentOptions[0].Enabled || !co.PaymentOptions[0].Preferred ||
				co.PaymentOptions[0].Logo == nil || !strings.HasPrefix(co.PaymentOptions[0].Logo.LogoURL, g.URL()+"/wallet/static/logos/") {
				t.Fatalf("Consult = %+v, want GCASH first, enabled and preferred, with its logo on the gateway", co)
			}

			id := newID("CHECKOUT")
			cs, err := c.CreatePaymentSession(ctx, &antomgw.CreatePaymentSessionRequest{
				ProductCode: antomgw.ProductCashier, PaymentRequestID: id,
				Order:              &antomgw.Order{ReferenceOrderID: "ORDER_" + id, OrderDescription: "a book"},
				PaymentAmount:      antomgw.Amount{Currency: "USD", Value: "2500"},
				PaymentRedirectURL: "https://shop.example/return", PaymentNotifyURL: notifyURL,
				SettlementStrategy: &antomgw.SettlementStrategy{SettlementCurrency: "USD"},
				ProductScene:       antomgw.SceneCheckoutPayment, UserRegion: "PH",
			})
			if err != nil {
				t.Fatalf("CreatePaymentSession: %v", err)
			}
			if cs.PaymentSessionID == "" || cs.PaymentSessionData == "" || !strings.HasPrefix(cs.NormalURL, g.URL()+"/wallet/session/") {
				t.Fatalf("CreatePaymentSession = %+v", cs)
			}

			rs, err := c.RetrievePaymentSession(ctx, &antomgw.RetrievePaymentSessionRequest{PaymentRequestID: id})
			if err != nil || rs.PaymentSessionStatus != antomgw.SessionStatusActive || rs.PaymentSessionID != cs.PaymentSessionID {
				t.Fatalf("RetrievePaymentSession before paying = %+v, %v; want ACTIVE", rs, err)
			}

			// The buyer: open the page, choose GCASH, pay.
			browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := browser.Get(cs.NormalURL)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `value="GCASH" checked`) {
				t.Fatalf("GET normalUrl: %d\n%s", resp.StatusCode, page)
			}
			resp, err = browser.PostForm(cs.NormalURL, url.Values{"action": {"pay"}, "method": {"GCASH"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://shop.example/return" {
				t.Fatalf("POST pay: %d to %q, want 303 to the shop", resp.StatusCode, resp.Header.Get("Location"))
			}

			ip, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: id})
			if err != nil || ip.PaymentStatus != antomgw.PaymentStatusSuccess || ip.PaymentMethodType != "GCASH" {
				t.Fatalf("InquiryPayment = %+v, %v; want SUCCESS by GCASH", ip, err)
			}
			g.Step(t) // deliver the notification
			got := received()
			if len(got) != 1 || got[0].Payment == nil || got[0].Payment.PaymentID != ip.PaymentID ||
				got[0].Payment.Result.Status != wire.StatusSuccess || got[0].Payment.PaymentRequestID != id {
				t.Fatalf("notifications = %+v; want one verified notifyPayment S for %s", got, ip.PaymentID)
			}

			rs, err = c.RetrievePaymentSession(ctx, &antomgw.RetrievePaymentSessionRequest{PaymentRequestID: id})
			if err != nil || rs.PaymentSessionStatus != antomgw.SessionStatusCompleted || rs.PaymentID != ip.PaymentID ||
				rs.PaymentStatus != antomgw.PaymentStatusSuccess || rs.Order == nil || rs.Order.ReferenceOrderID != "ORDER_"+id {
				t.Fatalf("RetrievePaymentSession after paying = %+v, %v; want COMPLETED with %s", rs, err, ip.PaymentID)
			}
			// Every answer was verified over the path it was sent to,
			// retrievePaymentSession's double slash included.
			want := "/ams/api//v1/payments/retrievePaymentSession"
			if fam == antomgw.FamilyAMSSandbox {
				want = "/ams/sandbox/api//v1/payments/retrievePaymentSession"
			}
			if p := c.Path(antomgw.APIRetrievePaymentSession); p != want {
				t.Errorf("Path(retrievePaymentSession) = %q, want %q", p, want)
			}
			rec.mu.Lock()
			paths := rec.paths
			rec.mu.Unlock()
			if !slices.Contains(paths, want) {
				t.Errorf("requests went to %v; want %s among them", paths, want)
			}

			// The same session again; the id is used up once paid.
			_, err = c.CreatePaymentSession(ctx, &antomgw.CreatePaymentSessionRequest{ProductCode: antomgw.ProductCashier, PaymentRequestID: id,
				Order: &antomgw.Order{ReferenceOrderID: "ORDER_" + id}, PaymentAmount: antomgw.Amount{Currency: "USD", Value: "2500"},
				PaymentRedirectURL: "https://shop.example/return"})
			if r, ok := antomgw.ResultOf(err); !ok || r.Code != wire.CodeOrderStatusInvalid {
				t.Errorf("CreatePaymentSession after the payment: %v, want F ORDER_STATUS_INVALID", err)
			}
		})
	}
}

// TestSessionAPIsOnAntomtest: the fake server answers the checkout APIs
// by default, and the SDK refuses them on the omnichannel family without
// sending anything.
func TestSessionAPIsOnAntomtest(t *testing.T) {
	s := antomtest.NewServer()
	t.Cleanup(s.Close)
	c := newClient(t, s.URL)
	ctx := t.Context()
	co, err := c.Consult(ctx, &antomgw.ConsultRequest{ProductCode: antomgw.ProductCashier,
		PaymentAmount: antomgw.Amount{Currency: "EUR", Value: "100"}, Env: &antomgw.Env{TerminalType: "WEB"}})
	if err != nil || len(co.PaymentOptions) != 2 || !co.PaymentOptions[0].Enabled || co.PaymentOptions[1].SupportedCurrencies[0] != "EUR" {
		t.Errorf("Consult = %+v, %v", co, err)
	}
	cs, err := c.CreatePaymentSession(ctx, &antomgw.CreatePaymentSessionRequest{ProductCode: antomgw.ProductCashier, PaymentRequestID: "R1",
		PaymentAmount: antomgw.Amount{Currency: "EUR", Value: "100"}})
	if err != nil || cs.PaymentSessionID != "SESSION_R1" || cs.NormalURL != antomtest.CheckoutURL+"SESSION_R1" || cs.PaymentSessionExpiryTime == "" {
		t.Errorf("CreatePaymentSession = %+v, %v", cs, err)
	}
	rs, err := c.RetrievePaymentSession(ctx, &antomgw.RetrievePaymentSessionRequest{PaymentRequestID: "R1"})
	if err != nil || rs.PaymentSessionID != "SESSION_R1" || rs.PaymentSessionStatus != antomgw.SessionStatusActive {
		t.Errorf("RetrievePaymentSession = %+v, %v", rs, err)
	}
	reqs := s.Requests()
	if last := reqs[len(reqs)-1]; last.Path != "/ams/api//v1/payments/retrievePaymentSession" || last.API != "retrievePaymentSession" || !last.Verified {
		t.Errorf("retrievePaymentSession reached the fake as %+v; want the double-slash path, verified", last)
	}

	s.Script("createPaymentSession", antomtest.Reply{Result: wire.NewResult("NO_PAY_OPTIONS", "")})
	_, err = c.CreatePaymentSession(ctx, &antomgw.CreatePaymentSessionRequest{ProductCode: antomgw.ProductCashier, PaymentRequestID: "R2"})
	if r, ok := antomgw.ResultOf(err); !ok || r.Code != "NO_PAY_OPTIONS" {
		t.Errorf("scripted CreatePaymentSession: %v, want F NO_PAY_OPTIONS", err)
	}

	v2 := newClient(t, s.URL, family(antomgw.FamilyOmnichannel))
	n := len(s.Requests())
	_, err1 := v2.Consult(ctx, &antomgw.ConsultRequest{})
	_, err2 := v2.CreatePaymentSession(ctx, &antomgw.CreatePaymentSessionRequest{})
	_, err3 := v2.RetrievePaymentSession(ctx, &antomgw.RetrievePaymentSessionRequest{})
	for _, err := range []error{err1, err2, err3} {
		var ae *antomgw.Error
		if err == nil || errors.As(err, &ae) || !strings.Contains(err.Error(), "no omnichannel v2 path") {
			t.Errorf("omnichannel call: %v, want a local error", err)
		}
	}
	if len(s.Requests()) != n {
		t.Errorf("omnichannel calls sent %d requests, want none", len(s.Requests())-n)
	}
}

// TestOnlineCardFlow runs an online card payment end to end, as a web
// shop does it, against the real gateway with the SDK: Consult →
// CreatePaymentSession (isAuthorization, MANUAL capture) → the buyer pays
// by card on the checkout page → an authorisation (SUCCESS with
// authExpiryTime) → a partial capture → a second capture → a refund of
// captured money, and no more than that → notifyPayment and both
// notifyCapture verified with ParseNotification; inquiryPayment lists the
// captures. Every answer is verified by the SDK.
func TestOnlineCardFlow(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t)
	ctx := t.Context()

	notifyURL, received := receiver(t, g)

	co, err := c.Consult(ctx, &antomgw.ConsultRequest{ProductCode: antomgw.ProductCashier,
		PaymentAmount: antomgw.Amount{Currency: "USD", Value: "5000"}, Env: &antomgw.Env{TerminalType: "WEB"}})
	if err != nil {
		t.Fatalf("Consult: %v", err)
	}
	if i := slices.IndexFunc(co.PaymentOptions, func(o antomgw.PaymentOption) bool { return o.PaymentMethodType == "CARD" }); i < 0 || !co.PaymentOptions[i].Enabled {
		t.Fatalf("Consult = %+v, want CARD enabled", co.PaymentOptions)
	}

	id := newID("CARD_FLOW")
	cs, err := c.CreatePaymentSession(ctx, &antomgw.CreatePaymentSessionRequest{
		ProductCode: antomgw.ProductCashier, PaymentRequestID: id,
		Order: &antomgw.Order{ReferenceOrderID: "ORDER_" + id}, PaymentAmount: antomgw.Amount{Currency: "USD", Value: "5000"},
		PaymentRedirectURL: "https://shop.example/return", PaymentNotifyURL: notifyURL,
		PaymentFactor: &antomgw.PaymentFactor{IsAuthorization: true, CaptureMode: antomgw.CaptureModeManual},
		AvailablePaymentMethod: &antomgw.AvailablePaymentMethod{PaymentMethodTypeList: []antomgw.PaymentMethodTypeItem{
			{PaymentMethodType: "CARD", PaymentMethodOrder: "1"}}},
	})
	if err != nil {
		t.Fatalf("CreatePaymentSession: %v", err)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.PostForm(cs.NormalURL, url.Values{"action": {"pay"}, "method": {"CARD"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST pay on the checkout page: %d, want 303 to the shop", resp.StatusCode)
	}
	ip, err := c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentRequestID: id})
	if err != nil || ip.PaymentStatus != antomgw.PaymentStatusSuccess || ip.AuthExpiryTime == "" {
		t.Fatalf("InquiryPayment = %+v, %v; want a SUCCESS authorisation with an authExpiryTime", ip, err)
	}

	// Nothing is captured yet: no refund.
	_, err = c.Refund(ctx, &antomgw.RefundRequest{RefundRequestID: "RF0_" + id, PaymentID: ip.PaymentID,
		RefundAmount: antomgw.Amount{Currency: "USD", Value: "100"}})
	if !antomgw.IsFail(err) {
		t.Errorf("refund before any capture: %v, want an F answer", err)
	}

	capture := func(n, value string) *antomgw.CaptureResponse {
		t.Helper()
		cp, err := c.Capture(ctx, &antomgw.CaptureRequest{CaptureRequestID: "CAP" + n + "_" + id, PaymentID: ip.PaymentID,
			CaptureAmount: antomgw.Amount{Currency: "USD", Value: value}})
		if err != nil || cp.CaptureID == "" || cp.CaptureAmount == nil || cp.CaptureAmount.Value != value {
			t.Fatalf("capture %s of %s: %+v, %v; want S with a captureId", n, value, cp, err)
		}
		return cp
	}
	first := capture("1", "2000")
	second := capture("2", "3000")
	_, err = c.Capture(ctx, &antomgw.CaptureRequest{CaptureRequestID: "CAP3_" + id, PaymentID: ip.PaymentID,
		CaptureAmount: antomgw.Amount{Currency: "USD", Value: "1"}})
	if !antomgw.IsFail(err) {
		t.Errorf("a capture beyond the authorised amount: %v, want an F answer", err)
	}

	rf, err := c.Refund(ctx, &antomgw.RefundRequest{RefundRequestID: "RF1_" + id, PaymentID: ip.PaymentID,
		RefundAmount: antomgw.Amount{Currency: "USD", Value: "1500"}})
	if err != nil || rf.RefundID == "" {
		t.Fatalf("refund of captured money: %+v, %v; want S", rf, err)
	}
	_, err = c.Refund(ctx, &antomgw.RefundRequest{RefundRequestID: "RF2_" + id, PaymentID: ip.PaymentID,
		RefundAmount: antomgw.Amount{Currency: "USD", Value: "3501"}})
	if !antomgw.IsCode(err, wire.CodeRefundAmountExceed) {
		t.Errorf("a refund over what is captured and not yet refunded: %v, want F %s", err, wire.CodeRefundAmountExceed)
	}

	ip, err = c.InquiryPayment(ctx, &antomgw.InquiryPaymentRequest{PaymentID: ip.PaymentID})
	if err != nil {
		t.Fatal(err)
	}
	var captures []string
	for _, tx := range ip.Transactions {
		if tx.TransactionType == "CAPTURE" && tx.TransactionStatus == "SUCCESS" {
			captures = append(captures, tx.TransactionRequestID)
		}
	}
	if !slices.Equal(captures, []string{"CAP1_" + id, "CAP2_" + id}) {
		t.Errorf("inquiryPayment's CAPTURE transactions = %v (%+v), want both captures", captures, ip.Transactions)
	}

	g.Step(t) // deliver the notifications
	got := received()
	var paid bool
	capIDs := map[string]bool{}
	for _, n := range got {
		switch {
		case n.Payment != nil:
			paid = paid || (n.Payment.PaymentID == ip.PaymentID && n.Payment.Result.Status == wire.StatusSuccess)
		case n.Capture != nil:
			if n.Capture.NotifyType != antomgw.NotifyTypeCapture || n.Capture.Result.Status != wire.StatusSuccess || n.Capture.PaymentID != ip.PaymentID {
				t.Errorf("notifyCapture = %+v, want CAPTURE_RESULT S for %s", n.Capture, ip.PaymentID)
			}
			capIDs[n.Capture.CaptureID] = true
		}
	}
	if !paid || !capIDs[first.CaptureID] || !capIDs[second.CaptureID] {
		t.Errorf("verified notifications: notifyPayment S %v, notifyCapture %v; want the payment's and both captures' (%s, %s)",
			paid, capIDs, first.CaptureID, second.CaptureID)
	}
}
