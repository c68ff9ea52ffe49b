package antomgw_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/antomtest"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

func uResult(code string) wire.Result { return wire.NewResult(code, "") }

// TestRetrySameBody: a 5xx and a U UNKNOWN_EXCEPTION are retried with the
// same body bytes (the same paymentRequestId), each attempt signed afresh,
// each retry logged with its reason.
func TestRetrySameBody(t *testing.T) {
	for _, enc := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "encrypted"}[enc], func(t *testing.T) {
			srv := antomtest.NewServer()
			defer srv.Close()
			srv.Script("pay", antomtest.Reply{StatusCode: 503}, antomtest.Reply{Result: uResult(wire.CodeUnknownException)}, antomtest.Reply{})
			var logs bytes.Buffer
			rec := &recorder{}
			clock := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
			c := newClient(t, srv.URL, fastRetries(), logTo(&logs), encrypted(enc), recordWith(rec), func(c *antomgw.Config) {
				c.Now = func() time.Time { clock = clock.Add(time.Millisecond); return clock }
			})
			resp, err := c.Pay(context.Background(), inStorePay("RETRY_1", "100"))
			if err != nil {
				t.Fatalf("Pay: %v", err)
			}
			if resp.PaymentID != "PAY_RETRY_1" {
				t.Errorf("PaymentID = %q", resp.PaymentID)
			}
			xs := rec.exchanges()
			if len(xs) != 3 {
				t.Fatalf("%d attempts, want 3", len(xs))
			}
			for i, x := range xs[1:] {
				if !bytes.Equal(x.reqBody, xs[0].reqBody) {
					t.Errorf("attempt %d body differs from attempt 1:\n%s\n%s", i+2, x.reqBody, xs[0].reqBody)
				}
				if x.reqHeader.Get("Request-Time") == xs[0].reqHeader.Get("Request-Time") ||
					x.reqHeader.Get("Signature") == xs[0].reqHeader.Get("Signature") {
					t.Errorf("attempt %d reuses Request-Time/Signature; want each attempt signed afresh", i+2)
				}
			}
			for _, r := range srv.Requests() {
				if !r.Verified || r.Encrypted != enc || !strings.Contains(string(r.Body), `"paymentRequestId":"RETRY_1"`) {
					t.Errorf("request %+v: want verified, encrypted=%v, paymentRequestId RETRY_1", r, enc)
				}
			}
			log := logs.String()
			for _, want := range []string{`reason="HTTP status 503"`, `reason="result U UNKNOWN_EXCEPTION"`, "attempt=2", "attempt=3"} {
				if !strings.Contains(log, want) {
					t.Errorf("log does not contain %s:\n%s", want, log)
				}
			}
		})
	}
}

// TestNoRetry: F results, U PAYMENT_IN_PROCESS and 4xx are sent once.
func TestNoRetry(t *testing.T) {
	for _, c := range []struct {
		name  string
		reply antomtest.Reply
		fail  bool
	}{
		{"Fail", antomtest.Reply{Result: wire.NewResult("RISK_REJECT", "")}, true},
		{"FailSystemError", antomtest.Reply{Result: wire.NewResult(wire.CodeSystemError, "")}, true},
		{"InProcess", antomtest.Reply{Result: uResult(wire.CodePaymentInProcess)}, false},
		{"HTTP400", antomtest.Reply{StatusCode: 400}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := antomtest.NewServer()
			defer srv.Close()
			srv.Script("pay", c.reply, antomtest.Reply{})
			var logs bytes.Buffer
			cl := newClient(t, srv.URL, fastRetries(), logTo(&logs))
			_, err := cl.Pay(context.Background(), inStorePay("NORETRY", "100"))
			if err == nil || antomgw.IsFail(err) != c.fail || antomgw.IsUnknown(err) == c.fail {
				t.Fatalf("err = %v, want IsFail %v", err, c.fail)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			if strings.Contains(logs.String(), "retrying") {
				t.Errorf("logged a retry:\n%s", logs.String())
			}
		})
	}
}

// TestRetriesExhausted: the last error carries the HTTP status and the
// number of attempts; MaxRetries -1 sends once.
func TestRetriesExhausted(t *testing.T) {
	srv := antomtest.NewServer()
	defer srv.Close()
	srv.Handle("inquiryPayment", func(antomtest.Request) antomtest.Reply { return antomtest.Reply{StatusCode: 502} })
	c := newClient(t, srv.URL, fastRetries())
	_, err := c.InquiryPayment(context.Background(), &antomgw.InquiryPaymentRequest{PaymentRequestID: "X"})
	var e *antomgw.Error
	if !errors.As(err, &e) || e.StatusCode != 502 || e.Attempts != 3 || !antomgw.IsUnknown(err) || e.API != "inquiryPayment" {
		t.Fatalf("err = %#v, want *Error HTTP 502 after 3 attempts", err)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}

	once := newClient(t, srv.URL, fastRetries(), func(c *antomgw.Config) { c.MaxRetries = -1 })
	before := len(srv.Requests())
	if _, err := once.InquiryPayment(context.Background(), &antomgw.InquiryPaymentRequest{PaymentRequestID: "X"}); err == nil {
		t.Fatal("want an error")
	}
	if n := len(srv.Requests()) - before; n != 1 {
		t.Errorf("MaxRetries -1: %d requests, want 1", n)
	}
}

// TestNoRetryAfterContextEnds: once the caller's context ends nothing more
// is sent, and no backoff is started that the context cannot cover.
func TestNoRetryAfterContextEnds(t *testing.T) {
	t.Run("Cancelled", func(t *testing.T) {
		srv := antomtest.NewServer()
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		srv.Handle("pay", func(antomtest.Request) antomtest.Reply {
			cancel()
			return antomtest.Reply{StatusCode: 503}
		})
		c := newClient(t, srv.URL, fastRetries())
		_, err := c.Pay(ctx, inStorePay("CTX", "100"))
		if !antomgw.IsUnknown(err) {
			t.Fatalf("err = %v, want an unknown outcome", err)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
		if _, err := c.Pay(ctx, inStorePay("CTX2", "100")); !errors.Is(err, context.Canceled) || antomgw.IsUnknown(err) {
			t.Errorf("Pay with a cancelled context: err = %v, want context.Canceled and not unknown (nothing sent)", err)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("%d requests after a call with a cancelled context, want 1", n)
		}
	})
	t.Run("DeadlineBeforeBackoff", func(t *testing.T) {
		srv := antomtest.NewServer()
		defer srv.Close()
		srv.Handle("pay", func(antomtest.Request) antomtest.Reply { return antomtest.Reply{StatusCode: 503} })
		var logs bytes.Buffer
		c := newClient(t, srv.URL, logTo(&logs), func(c *antomgw.Config) {
			c.RetryBaseDelay, c.RetryMaxDelay = time.Hour, time.Hour
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := c.Pay(ctx, inStorePay("DL", "100")); !antomgw.IsUnknown(err) {
			t.Fatalf("err = %v, want an unknown outcome", err)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
		if !strings.Contains(logs.String(), "not retrying") {
			t.Errorf("log does not say why it did not retry:\n%s", logs.String())
		}
	})
}

// TestPOSTimeout is the lost-answer flow of a POS terminal: pay with 9902
// (the gateway records SUCCESS, then holds its answer back for 2s) and a
// 500ms attempt timeout; the SDK retries with the same paymentRequestId and
// gets SUCCESS, and the gateway holds exactly one payment. (The issue's
// 3s client timeout, scaled down; the gateway only needs to record the
// payment within the timeout.)
func TestPOSTimeout(t *testing.T) {
	g := gatewaytest.New(t, gatewaytest.WithSimHold(2*time.Second))
	var logs bytes.Buffer
	c := g.Client(t, logTo(&logs), fastRetries(), func(c *antomgw.Config) { c.AttemptTimeout = 500 * time.Millisecond })
	id := newID("POS")
	resp, err := c.Pay(context.Background(), inStorePay(id, "9902"))
	if err != nil {
		t.Fatalf("Pay 9902: %v\nlog:\n%s", err, logs.String())
	}
	if resp.Result.Code != wire.CodeSuccess || resp.PaymentID == "" {
		t.Fatalf("Pay 9902 = %+v, want SUCCESS", resp)
	}
	if !strings.Contains(logs.String(), `reason="timeout: no answer within 500ms"`) {
		t.Errorf("log does not show the retry after the timeout:\n%s", logs.String())
	}
	if ps, err := g.Store().Payments(context.Background(), gateway.PaymentFilter{ClientID: g.ClientID(), RequestID: id}); err != nil || len(ps) != 1 {
		t.Errorf("%d payments for %s (%v), want exactly 1", len(ps), id, err)
	}
}

// TestAttemptTimeout: an answer held back past AttemptTimeout is a timeout,
// retried with the same request. (The client's timeout runs on the real
// clock: it is kept short.)
func TestAttemptTimeout(t *testing.T) {
	srv := antomtest.NewServer()
	defer srv.Close()
	srv.Script("pay", antomtest.Reply{Hold: time.Minute})
	var logs bytes.Buffer
	c := newClient(t, srv.URL, fastRetries(), logTo(&logs), func(c *antomgw.Config) { c.AttemptTimeout = 100 * time.Millisecond })
	if _, err := c.Pay(context.Background(), inStorePay("SLOW", "100")); err != nil {
		t.Fatalf("Pay: %v", err)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if !strings.Contains(logs.String(), `reason="timeout: no answer within 100ms"`) {
		t.Errorf("log does not give the timeout as the reason:\n%s", logs.String())
	}
}

// TestFailClosed: an answer that is not provably the gateway's is an
// error wrapping ErrUnverified, never a result, and is not retried.
func TestFailClosed(t *testing.T) {
	for _, c := range []struct {
		name  string
		reply antomtest.Reply
		want  string
	}{
		{"Tampered", antomtest.Reply{Tamper: true}, "does not match"},
		{"Unsigned", antomtest.Reply{Unsigned: true}, "no Signature header"},
		{"WrongKey", antomtest.Reply{SignWith: antomtest.MerchantKey()}, "does not match"},
		{"UnknownKeyVersion", antomtest.Reply{KeyVersion: 7}, "gateway key version 7, and no gateway key of that version is given (versions given: 1); install it: antomgw keys export --key-version 7"},
		{"SignatureHeaderBroken", antomtest.Reply{Body: `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`, Tamper: true}, "does not match"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := antomtest.NewServer()
			defer srv.Close()
			srv.Script("pay", c.reply)
			cl := newClient(t, srv.URL, fastRetries())
			resp, err := cl.Pay(context.Background(), inStorePay("FC", "100"))
			if resp != nil {
				t.Errorf("response = %+v, want nil", resp)
			}
			if !errors.Is(err, antomgw.ErrUnverified) || !antomgw.IsUnknown(err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrUnverified (unknown outcome) saying %q", err, c.want)
			}
			if _, ok := antomgw.ResultOf(err); ok {
				t.Errorf("ResultOf(%v) found a result in an unverified answer", err)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1 (an unverified answer is not retried)", n)
			}
		})
	}
}

// TestFailClosedRealGateway changes the real gateway's answers on the wire:
// one byte of the body, or the Signature header removed.
func TestFailClosedRealGateway(t *testing.T) {
	g := gatewaytest.New(t)
	for _, c := range []struct {
		name    string
		rewrite func(*http.Response, []byte) []byte
	}{
		{"TamperedBody", func(_ *http.Response, b []byte) []byte {
			// ORDER_NOT_EXIST (F) becomes an S.
			return bytes.Replace(b, []byte(`"resultStatus":"F"`), []byte(`"resultStatus":"S"`), 1)
		}},
		{"NoSignature", func(r *http.Response, b []byte) []byte { delete(r.Header, "Signature"); return b }},
		{"OtherResponseTime", func(r *http.Response, b []byte) []byte {
			r.Header["Response-Time"] = []string{"2024-01-01T00:00:00.000+00:00"}
			return b
		}},
	} {
		for _, enc := range []bool{false, true} {
			t.Run(c.name+map[bool]string{false: "", true: "/encrypted"}[enc], func(t *testing.T) {
				rec := &recorder{rewrite: c.rewrite}
				cl := g.Client(t, recordWith(rec), encrypted(enc))
				if c.name == "TamperedBody" && enc {
					rec.rewrite = func(_ *http.Response, b []byte) []byte { b = bytes.Clone(b); b[len(b)/2] ^= 1; return b }
				}
				resp, err := cl.InquiryPayment(context.Background(), &antomgw.InquiryPaymentRequest{PaymentRequestID: "ANY"})
				if rec.rewrites.Load() != 1 {
					t.Errorf("%d answers rewritten, want 1", rec.rewrites.Load())
				}
				if resp != nil || !errors.Is(err, antomgw.ErrUnverified) {
					t.Fatalf("InquiryPayment = %+v, %v; want nil and ErrUnverified", resp, err)
				}
			})
		}
	}
	// And with the wrong gateway key configured.
	cl := g.Client(t, func(c *antomgw.Config) {
		c.GatewayKeys = map[int]*rsa.PublicKey{1: &g.MerchantKey().PublicKey}
	})
	if _, err := cl.Pay(context.Background(), inStorePay(newID("WK"), "100")); !errors.Is(err, antomgw.ErrUnverified) {
		t.Fatalf("wrong gateway key: err = %v, want ErrUnverified", err)
	}
}

// TestRequestTime: ISO 8601 with milliseconds by default, epoch
// milliseconds on request.
func TestRequestTime(t *testing.T) {
	srv := antomtest.NewServer()
	defer srv.Close()
	at := time.Date(2024, 1, 1, 8, 0, 0, 253e6, time.FixedZone("", 8*3600))
	now := func() time.Time { return at }
	iso := newClient(t, srv.URL, func(c *antomgw.Config) { c.Now = now })
	ms := newClient(t, srv.URL, func(c *antomgw.Config) { c.Now = now; c.TimeFormat = antomgw.TimeEpochMillis })
	for _, c := range []*antomgw.Client{iso, ms} {
		if _, err := c.CancelPayment(context.Background(), &antomgw.CancelRequest{PaymentRequestID: "T"}); err != nil {
			t.Fatal(err)
		}
	}
	reqs := srv.Requests()
	if got := reqs[0].Header.Get("Request-Time"); got != "2024-01-01T08:00:00.253+08:00" {
		t.Errorf("ISO Request-Time = %q", got)
	}
	if got := reqs[1].Header.Get("Request-Time"); got != "1704067200253" {
		t.Errorf("epoch Request-Time = %q", got)
	}
	if got := reqs[0].Header.Get("Signature"); !strings.HasPrefix(got, "algorithm=RSA256,keyVersion=1,signature=") {
		t.Errorf("Signature = %q", got)
	}
}

// TestNewClientErrors: missing or unusable configuration is refused.
func TestNewClientErrors(t *testing.T) {
	ok := antomgw.Config{ClientID: "C", PrivateKey: antomtest.MerchantKey(), GatewayKeys: antomtest.GatewayKeys(), BaseURL: "http://127.0.0.1:1"}
	for _, c := range []struct {
		name   string
		change func(*antomgw.Config)
		want   string
	}{
		{"ClientID", func(c *antomgw.Config) { c.ClientID = "" }, "ClientID"},
		{"PrivateKey", func(c *antomgw.Config) { c.PrivateKey = nil }, "PrivateKey"},
		{"GatewayKeys", func(c *antomgw.Config) { c.GatewayKeys = nil }, "GatewayKeys"},
		{"GatewayKeyVersion", func(c *antomgw.Config) { c.GatewayKeys = map[int]*rsa.PublicKey{-1: &antomtest.GatewayKey().PublicKey} }, "GatewayKeys[-1]"},
		{"GatewayKeyNil", func(c *antomgw.Config) { c.GatewayKeys = map[int]*rsa.PublicKey{2: nil} }, "GatewayKeys[2]"},
		{"BaseURL", func(c *antomgw.Config) { c.BaseURL = "127.0.0.1:8080" }, "BaseURL"},
		{"Family", func(c *antomgw.Config) { c.Family = "v3" }, "Family"},
		{"EncryptKeyVersion", func(c *antomgw.Config) { c.Encrypt, c.EncryptKeyVersion = true, 2 }, "EncryptKeyVersion 2"},
		{"KeyVersion", func(c *antomgw.Config) { c.KeyVersion = -1 }, "KeyVersion"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.change(&cfg)
			if _, err := antomgw.NewClient(cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("NewClient: err = %v, want one naming %s", err, c.want)
			}
		})
	}
	if _, err := antomgw.NewClient(ok); err != nil {
		t.Errorf("NewClient(valid) = %v", err)
	}
}
