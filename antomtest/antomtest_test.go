package antomtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/antomtest"
	"github.com/antomgw/antomgw/wire"
)

// post signs body as the merchant and sends it to srv, returning the status,
// header and body of the answer.
func post(t *testing.T, srv *antomtest.Server, path, body string, key func(*http.Request)) (int, http.Header, []byte) {
	t.Helper()
	reqTime := wire.FormatTime(time.Now())
	sig, err := wire.Sign(antomtest.MerchantKey(), wire.SigningContent("POST", path, antomtest.ClientID, reqTime, []byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Client-Id", antomtest.ClientID)
	r.Header.Set("Request-Time", reqTime)
	r.Header.Set("Signature", wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 1, Signature: sig}.String())
	if key != nil {
		key(r)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// verified checks the answer's signature with the gateway test key.
func verified(t *testing.T, path string, h http.Header, body []byte) bool {
	t.Helper()
	sh, err := wire.ParseSignatureHeader(h.Get("signature"))
	if err != nil {
		return false
	}
	return wire.Verify(&antomtest.GatewayKey().PublicKey, wire.SigningContent("POST", path, h.Get("client-id"), h.Get("response-time"), body), sh.Signature) == nil
}

func TestDefaultAnswers(t *testing.T) {
	srv := antomtest.NewServer()
	defer srv.Close()
	for _, c := range []struct {
		path, body string
		want       []string
	}{
		{"/ams/api/v1/payments/pay", `{"paymentRequestId":"R1","paymentAmount":{"currency":"USD","value":"100"}}`,
			[]string{`"resultStatus":"S"`, `"paymentId":"PAY_R1"`, `"paymentAmount":{"currency":"USD","value":"100"}`}},
		{"/openapi/v2/payments/pay", `{"paymentRequestId":"R2","paymentAmount":{"currency":"USD","value":100}}`,
			[]string{`"paymentId":"PAY_R2"`, `"value":100`}},
		{"/ams/api/v1/payments/inquiryPayment", `{"paymentRequestId":"R1"}`, []string{`"paymentStatus":"SUCCESS"`, `"paymentId":"PAY_R1"`}},
		{"/ams/api/v1/payments/cancel", `{"paymentId":"PAY_R1"}`, []string{`"paymentId":"PAY_R1"`, `"cancelTime"`}},
		{"/ams/api/v1/payments/refund", `{"refundRequestId":"F1","paymentId":"PAY_R1","refundAmount":{"currency":"USD","value":"10"}}`,
			[]string{`"refundId":"REFUND_F1"`, `"refundAmount":{"currency":"USD","value":"10"}`}},
		{"/ams/api/v1/payments/inquiryRefund", `{"refundRequestId":"F1"}`, []string{`"refundStatus":"SUCCESS"`, `"refundId":"REFUND_F1"`}},
		{"/ams/api/v1/payments/nope", `{}`, []string{`"NO_INTERFACE_DEF"`}},
	} {
		status, h, body := post(t, srv, c.path, c.body, nil)
		if status != 200 || !verified(t, c.path, h, body) {
			t.Errorf("%s: status %d, verified %v", c.path, status, verified(t, c.path, h, body))
		}
		for _, w := range c.want {
			if !strings.Contains(string(body), w) {
				t.Errorf("%s: answer %s does not contain %s", c.path, body, w)
			}
		}
	}
	if n := len(srv.Requests()); n != 7 {
		t.Errorf("%d requests recorded, want 7", n)
	}
}

func TestScriptAndHandle(t *testing.T) {
	srv := antomtest.NewServer()
	defer srv.Close()
	srv.Script("pay", antomtest.Reply{Result: wire.NewResult(wire.CodeUnknownException, "")}, antomtest.Reply{Body: `{"result":{"resultCode":"X","resultStatus":"F","resultMessage":"x"}}`})
	srv.Handle("pay", func(r antomtest.Request) antomtest.Reply {
		return antomtest.Reply{Result: wire.NewResult("RISK_REJECT", "")}
	})
	path := "/ams/api/v1/payments/pay"
	for _, want := range []string{`"UNKNOWN_EXCEPTION"`, `"resultCode":"X"`, `"RISK_REJECT"`, `"RISK_REJECT"`} {
		_, h, body := post(t, srv, path, `{"paymentRequestId":"S1"}`, nil)
		if !strings.Contains(string(body), want) || !verified(t, path, h, body) {
			t.Errorf("answer %s: want %s, signed", body, want)
		}
	}
	srv.Script("pay", antomtest.Reply{Unsigned: true}, antomtest.Reply{Tamper: true}, antomtest.Reply{StatusCode: 503})
	if _, h, _ := post(t, srv, path, `{}`, nil); h.Get("signature") != "" {
		t.Error("Unsigned answer has a signature")
	}
	if _, h, body := post(t, srv, path, `{}`, nil); verified(t, path, h, body) {
		t.Error("Tampered answer verifies")
	}
	if status, _, _ := post(t, srv, path, `{}`, nil); status != 503 {
		t.Errorf("status = %d, want 503", status)
	}
}

func TestRefusesBadSignature(t *testing.T) {
	srv := antomtest.NewServer()
	defer srv.Close()
	path := "/ams/api/v1/payments/pay"
	_, h, body := post(t, srv, path, `{"paymentRequestId":"R"}`, func(r *http.Request) { r.Header.Set("Request-Time", "1") })
	if !strings.Contains(string(body), wire.CodeInvalidSignature) || !verified(t, path, h, body) {
		t.Errorf("answer %s, want a signed INVALID_SIGNATURE", body)
	}
	if r := srv.Requests()[0]; r.Verified || r.API != "pay" {
		t.Errorf("request = %+v, want unverified pay", r)
	}
}

func TestEncrypted(t *testing.T) {
	srv := antomtest.NewServer()
	defer srv.Close()
	path := "/ams/api/v1/payments/inquiryPayment"
	enc, eh, err := wire.EncryptBody(nil, &antomtest.GatewayKey().PublicKey, 1, []byte(`{"paymentRequestId":"E1"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, h, body := post(t, srv, path, string(enc), func(r *http.Request) {
		r.Header.Set("Encrypt", eh.String())
		r.Header.Set("Content-Type", "text/plain")
	})
	rb := body
	if !verified(t, path, h, rb) || h.Get("encrypt") == "" {
		t.Fatalf("answer headers %v: want signed and encrypted", h)
	}
	reh, _ := wire.ParseEncryptHeader(h.Get("encrypt"))
	plain, err := wire.DecryptBody(antomtest.MerchantKey(), reh, rb)
	if err != nil || !strings.Contains(string(plain), `"paymentId":"PAY_E1"`) {
		t.Fatalf("opened answer %s, %v", plain, err)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if !last.Encrypted || string(last.Body) != `{"paymentRequestId":"E1"}` {
		t.Errorf("recorded request = %+v", last)
	}
}

func TestNotification(t *testing.T) {
	body := []byte(`{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`)
	n := antomtest.Notification{URL: "http://127.0.0.1/notify?shop=1", Body: body, RequestTime: "2024-01-01T00:00:00.000+00:00"}
	r := n.Request()
	if r.Method != "POST" || r.URL.Path != "/notify" || r.Header.Get("Client-Id") != antomtest.ClientID {
		t.Fatalf("request = %s %s %v", r.Method, r.URL, r.Header)
	}
	sh, err := wire.ParseSignatureHeader(r.Header.Get("Signature"))
	if err != nil {
		t.Fatal(err)
	}
	content := wire.SigningContent("POST", "/notify?shop=1", antomtest.ClientID, "2024-01-01T00:00:00.000+00:00", body)
	if err := wire.Verify(&antomtest.GatewayKey().PublicKey, content, sh.Signature); err != nil {
		t.Fatalf("notification signature: %v", err)
	}

	var got []byte
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		io.WriteString(w, `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`)
	}))
	defer merchant.Close()
	resp, err := antomtest.Notification{URL: merchant.URL + "/n", Body: body}.Send(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if string(got) != string(body) {
		t.Errorf("merchant got %s", got)
	}
	var v map[string]any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Error(err)
	}
}

func TestKeys(t *testing.T) {
	if antomtest.GatewayKey() != antomtest.GatewayKey() || antomtest.GatewayKey().N.Cmp(antomtest.MerchantKey().N) == 0 {
		t.Error("keys are not stable or not distinct")
	}
	if k := antomtest.GatewayKeys()[antomtest.GatewayKeyVersion]; k == nil || k.N.Cmp(antomtest.GatewayKey().N) != 0 {
		t.Error("GatewayKeys does not hold the gateway key")
	}
	if _, err := wire.ParsePrivateKey(antomtest.MerchantKeyPEM()); err != nil {
		t.Error(err)
	}
}
