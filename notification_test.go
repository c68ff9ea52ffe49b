package antomgw_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/antomtest"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

const (
	paymentNotice = `{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},` +
		`"paymentRequestId":"ORDER_1","paymentId":"PAY_1","paymentAmount":{"currency":"USD","value":"450"},` +
		`"paymentCreateTime":"2024-01-01T00:00:00+00:00","paymentTime":"2024-01-01T00:00:01+00:00"}`
	refundNotice = `{"notifyType":"REFUND_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},` +
		`"refundStatus":"SUCCESS","refundRequestId":"RF_1","refundId":"REFUND_1","paymentId":"PAY_1",` +
		`"refundAmount":{"currency":"USD","value":"100"},"refundTime":"2024-01-02T00:00:00+00:00"}`
	notifyURL = "https://shop.example/antom/notify"
)

func TestParseNotification(t *testing.T) {
	keys := antomtest.GatewayKeys()
	t.Run("Payment", func(t *testing.T) {
		n, err := antomgw.ParseNotification(antomtest.SignedNotification(notifyURL, []byte(paymentNotice)), keys)
		if err != nil {
			t.Fatal(err)
		}
		p := n.Payment
		if n.Kind != antomgw.KindPayment || p == nil || n.Refund != nil || n.ClientID != antomtest.ClientID || n.KeyVersion != 1 {
			t.Fatalf("notification = %+v", n)
		}
		if p.NotifyType != "PAYMENT_RESULT" || p.Result.Status != wire.StatusSuccess || p.PaymentRequestID != "ORDER_1" ||
			p.PaymentID != "PAY_1" || p.PaymentAmount == nil || p.PaymentAmount.Value != "450" ||
			p.PaymentCreateTime == "" || p.PaymentTime != "2024-01-01T00:00:01+00:00" {
			t.Errorf("payment = %+v", p)
		}
		if string(n.Body) != paymentNotice {
			t.Errorf("Body = %s", n.Body)
		}
	})
	t.Run("Refund", func(t *testing.T) {
		n, err := antomgw.ParseNotification(antomtest.SignedNotification(notifyURL, []byte(refundNotice)), keys)
		if err != nil {
			t.Fatal(err)
		}
		r := n.Refund
		if n.Kind != antomgw.KindRefund || r == nil || n.Payment != nil {
			t.Fatalf("notification = %+v", n)
		}
		if r.RefundStatus != "SUCCESS" || r.RefundRequestID != "RF_1" || r.RefundID != "REFUND_1" ||
			r.RefundAmount == nil || r.RefundAmount.Value != "100" || r.RefundTime == "" || r.Result.Code != "SUCCESS" {
			t.Errorf("refund = %+v", r)
		}
	})

	// edited is the signed payment notification with edit applied to its
	// headers.
	edited := func(edit func(http.Header)) *http.Request {
		r := antomtest.SignedNotification(notifyURL, []byte(paymentNotice))
		edit(r.Header)
		return r
	}
	// sentTo sends the headers of the payment notification, signed for
	// notifyURL and its body, to url with body.
	header, body, err := antomtest.Notification{URL: notifyURL, Body: []byte(paymentNotice)}.Sign()
	if err != nil {
		t.Fatal(err)
	}
	sentTo := func(url, body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, url, strings.NewReader(body))
		r.Header = header.Clone()
		return r
	}
	twoKeys := map[int]*rsa.PublicKey{1: &antomtest.MerchantKey().PublicKey, 2: &antomtest.GatewayKey().PublicKey}

	t.Run("KeyVersionOmittedMeansNewest", func(t *testing.T) {
		r := edited(func(h http.Header) { h.Set("Signature", strings.Replace(h.Get("Signature"), "keyVersion=1,", "", 1)) })
		n, err := antomgw.ParseNotification(r, twoKeys)
		if err != nil || n.KeyVersion != 2 {
			t.Fatalf("ParseNotification = %+v, %v; want verified by version 2", n, err)
		}
	})

	refusals := []struct {
		name string
		req  *http.Request
		keys map[int]*rsa.PublicKey
		want string
	}{
		{"ErrTamperedBody", sentTo(notifyURL, strings.Replace(string(body), `"450"`, `"45000"`, 1)), keys, "does not match"},
		{"ErrWrongKeyVersion", antomtest.Notification{URL: notifyURL, Body: []byte(paymentNotice), KeyVersion: 2}.Request(), keys,
			"signed with gateway key version 2, and no gateway key of that version is given (versions given: 1); install it: antomgw keys export --key-version 2"},
		{"ErrVersionOfAnotherKey", antomtest.Notification{URL: notifyURL, Body: []byte(paymentNotice), KeyVersion: 1}.Request(), twoKeys, "does not match"},
		{"ErrMissingSignature", edited(func(h http.Header) { h.Del("Signature") }), keys, "no Signature header"},
		{"ErrWrongSigner", antomtest.Notification{URL: notifyURL, Body: []byte(paymentNotice), Key: antomtest.MerchantKey()}.Request(), keys, "does not match"},
		{"ErrOtherPath", sentTo("https://shop.example/other", string(body)), keys, "does not match"},
		{"ErrOtherClientIDHeader", edited(func(h http.Header) { h.Set("Client-Id", "SOMEONE_ELSE") }), keys, "does not match"},
		{"ErrMissingRequestTime", edited(func(h http.Header) { h.Del("Request-Time") }), keys, "no Request-Time"},
		{"ErrMalformedSignature", edited(func(h http.Header) { h.Set("Signature", "algorithm=RSA256,keyVersion=1") }), keys, "malformed"},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			n, err := antomgw.ParseNotification(c.req, c.keys)
			if n != nil || !errors.Is(err, antomgw.ErrUnverified) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseNotification = %+v, %v; want nil and ErrUnverified saying %q", n, err, c.want)
			}
		})
	}
	t.Run("ErrMethod", func(t *testing.T) {
		r := antomtest.SignedNotification(notifyURL, []byte(paymentNotice))
		r.Method = http.MethodGet
		if _, err := antomgw.ParseNotification(r, keys); err == nil {
			t.Fatal("GET accepted")
		}
	})
}

func TestClientParseNotification(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1")
	t.Run("Encrypted", func(t *testing.T) {
		n := antomtest.Notification{URL: notifyURL, Body: []byte(paymentNotice), EncryptTo: &antomtest.MerchantKey().PublicKey, EncryptKeyVersion: 1}
		got, err := c.ParseNotification(n.Request())
		if err != nil || got.Payment == nil || got.Payment.PaymentID != "PAY_1" || string(got.Body) != paymentNotice {
			t.Fatalf("ParseNotification = %+v, %v", got, err)
		}
		if _, err := antomgw.ParseNotification(n.Request(), antomtest.GatewayKeys()); err == nil || !strings.Contains(err.Error(), "Client.ParseNotification") {
			t.Errorf("package ParseNotification of an encrypted body: err = %v, want a pointer to Client.ParseNotification", err)
		}
	})
	t.Run("ErrOtherClient", func(t *testing.T) {
		r := antomtest.Notification{URL: notifyURL, Body: []byte(paymentNotice), ClientID: "SOMEONE_ELSE"}.Request()
		if _, err := c.ParseNotification(r); !errors.Is(err, antomgw.ErrUnverified) {
			t.Fatalf("err = %v, want ErrUnverified", err)
		}
	})
}

func TestWriteNotificationAck(t *testing.T) {
	w := httptest.NewRecorder()
	antomgw.WriteNotificationAck(w)
	if w.Code != 200 || w.Body.String() != `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}` ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("ack = %d %q %q", w.Code, w.Header(), w.Body.String())
	}
}

// TestNotificationEndToEnd: the real gateway's delivery worker sends
// notifyPayment to a merchant handler that verifies it with the SDK and
// acknowledges it, once the wallet's delay has passed on the gateway's
// clock.
func TestNotificationEndToEnd(t *testing.T) {
	g := gatewaytest.New(t)
	c := g.Client(t)
	got := make(chan *antomgw.Notification, 4)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := c.ParseNotification(r)
		if err != nil {
			t.Errorf("ParseNotification: %v", err)
			http.Error(w, "unverified", http.StatusUnauthorized)
			return
		}
		got <- n
		antomgw.WriteNotificationAck(w)
	}))
	defer merchant.Close()

	req := inStorePay(newID("NT"), "9903")
	req.PaymentNotifyURL = merchant.URL + "/antom/notify"
	resp, err := c.Pay(context.Background(), req)
	if !antomgw.IsCode(err, wire.CodePaymentInProcess) {
		t.Fatalf("Pay 9903: %v", err)
	}
	if _, attempts := g.Advance(t, gatewaytest.DefaultSimDelay/2); attempts != 0 || len(got) != 0 {
		t.Fatalf("halfway through the wallet's delay: %d notification attempts, want none", attempts)
	}
	if jobs, attempts := g.Advance(t, gatewaytest.DefaultSimDelay/2); jobs != 1 || attempts != 1 {
		t.Fatalf("after the wallet's delay: %d delayed transitions and %d notification attempts, want 1 and 1", jobs, attempts)
	}
	select {
	case n := <-got:
		if n.Kind != antomgw.KindPayment || n.Payment.PaymentID != resp.PaymentID || n.Payment.Result.Status != wire.StatusSuccess ||
			n.Payment.PaymentRequestID != req.PaymentRequestID || n.Payment.PaymentAmount.Value != "9903" {
			t.Fatalf("notification = %+v / %+v", n, n.Payment)
		}
	default:
		t.Fatal("the notification attempt reached no merchant")
	}
}
