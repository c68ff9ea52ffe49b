package antomtest

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"sync"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// Request is one request the fake server received.
type Request struct {
	// API is the last element of the path: "pay", "inquiryPayment",
	// "cancel", "refund", "inquiryRefund", "capture", …
	API string
	// Path is the request path (AMS v1, sandbox or omnichannel v2).
	Path string
	// Header is the request header as received.
	Header http.Header
	// Body is the JSON body, decrypted when the request was encrypted.
	Body []byte
	// Encrypted reports whether the body came encrypted.
	Encrypted bool
	// Verified reports whether the signature verified with the merchant
	// key. An unverified request is answered F INVALID_SIGNATURE.
	Verified bool
}

// Reply is a scripted answer. The zero Reply is the default answer.
type Reply struct {
	// Body is the answer's JSON body: a []byte, json.RawMessage or string
	// is sent as is, any other value is marshalled. Nil: the default body
	// of the API, with Result as its result when Result is set.
	Body any
	// Result replaces the default body's result (ignored when Body is set).
	Result wire.Result
	// StatusCode is the HTTP status. Defaults to 200. An answer with
	// another status is sent unsigned, like a proxy's error page.
	StatusCode int
	// Hold delays the answer: longer than the client's timeout, the answer
	// is lost.
	Hold time.Duration
	// Unsigned leaves out the Signature header.
	Unsigned bool
	// Tamper changes the body after it was signed.
	Tamper bool
	// SignWith signs with another key (a wrong-key answer). Defaults to
	// GatewayKey.
	SignWith *rsa.PrivateKey
	// KeyVersion is the keyVersion written in the Signature header.
	// Defaults to GatewayKeyVersion.
	KeyVersion int
}

// Server is a scripted fake gateway on an httptest.Server. It verifies
// each request's signature with the merchant key (MerchantKey unless
// SetMerchantKey says otherwise), opens encrypted requests with GatewayKey,
// answers with the next scripted Reply for the API or the default answer,
// signs the answer with GatewayKey, and encrypts it to the merchant key
// when the request was encrypted. It records every request. Its methods
// are safe for concurrent use.
//
// Default answers are S and derived from the request alone, so they are
// deterministic: pay answers SUCCESS with paymentId "PAY_" followed by the
// paymentRequestId; inquiryPayment answers paymentStatus SUCCESS; cancel
// answers S; refund answers SUCCESS with refundId "REFUND_" followed by the
// refundRequestId; inquiryRefund answers refundStatus SUCCESS; capture
// answers SUCCESS with captureId "CAPTURE_" followed by the
// captureRequestId; consult answers two enabled options, ALIPAY_CN and
// CARD, in the request's currency; createPaymentSession answers
// paymentSessionId "SESSION_" followed by the paymentRequestId, some
// paymentSessionData, an expiry an hour away and a normalUrl under
// CheckoutURL; retrievePaymentSession (at any path ending in its name, the
// official SDKs' double slash included) answers that session ACTIVE, for
// paymentRequestId or payment_request_id.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	merchant *rsa.PublicKey
	now      func() time.Time
	scripts  map[string][]Reply
	handlers map[string]func(Request) Reply
	requests []Request
}

// NewServer starts a fake gateway. Close it when done.
func NewServer() *Server {
	s := &Server{
		merchant: &MerchantKey().PublicKey,
		now:      time.Now,
		scripts:  map[string][]Reply{},
		handlers: map[string]func(Request) Reply{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// SetMerchantKey sets the public key requests must be signed with (and
// encrypted answers are encrypted to).
func (s *Server) SetMerchantKey(pub *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.merchant = pub
}

// SetNow sets the clock of Response-Time and of the default bodies' times.
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Script queues answers for api ("pay", "inquiryPayment", …): each request
// to api takes the next one; when none is left the handler set with
// Handle, or the default answer, is used.
func (s *Server) Script(api string, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[api] = append(s.scripts[api], replies...)
}

// Handle sets a function that decides the answers for api once its script
// is used up.
func (s *Server) Handle(api string, fn func(Request) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[api] = fn
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{API: path.Base(r.URL.Path), Path: r.URL.Path, Header: r.Header.Clone(), Body: body}

	s.mu.Lock()
	merchant, now := s.merchant, s.now
	s.mu.Unlock()

	clientID := r.Header.Get(wire.HeaderClientID)
	uri := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		uri += "?" + r.URL.RawQuery
	}
	var encVer int
	refusal := ""
	_, sh, err := wire.VerifyHeaders(r.Header, wire.Request, r.Method, uri, body, func(int) (*rsa.PublicKey, error) { return merchant, nil })
	var we *wire.Error
	switch {
	case errors.Is(err, wire.ErrSignature):
		refusal = "signature does not verify with the merchant key"
	case errors.As(err, &we):
		refusal = we.Detail
	case err != nil:
		refusal = err.Error()
	default:
		req.Verified = true
		encVer = sh.KeyVersion
	}
	if eh := r.Header.Get(wire.HeaderEncrypt); eh != "" && refusal == "" {
		req.Encrypted = true
		h, err := wire.ParseEncryptHeader(eh)
		if err == nil {
			req.Body, err = wire.DecryptBody(GatewayKey(), h, body)
		}
		if err != nil {
			refusal = "cannot open the encrypted body"
			req.Body = body
		}
	}

	s.mu.Lock()
	s.requests = append(s.requests, req)
	var rep Reply
	var fn func(Request) Reply
	if q := s.scripts[req.API]; len(q) > 0 {
		rep, s.scripts[req.API] = q[0], q[1:]
	} else {
		fn = s.handlers[req.API]
	}
	s.mu.Unlock()
	if fn != nil {
		rep = fn(req)
	}

	var out []byte
	switch {
	case refusal != "":
		out = mustJSON(map[string]any{"result": wire.NewResult(wire.CodeInvalidSignature, refusal)})
	case rep.Body != nil:
		switch b := rep.Body.(type) {
		case []byte:
			out = b
		case json.RawMessage:
			out = b
		case string:
			out = []byte(b)
		default:
			out = mustJSON(b)
		}
	default:
		out = defaultBody(req, rep.Result, now())
	}

	if rep.Hold > 0 {
		t := time.NewTimer(rep.Hold)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if rep.StatusCode != 0 && rep.StatusCode != http.StatusOK {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(rep.StatusCode)
		w.Write(out)
		return
	}

	h := w.Header()
	if req.Encrypted && refusal == "" && merchant != nil {
		if enc, eh, err := wire.EncryptBody(nil, merchant, encVer, out); err == nil {
			out = enc
			h["encrypt"] = []string{eh.String()}
		}
	}
	respTime := wire.FormatTime(now())
	if !rep.Unsigned {
		key := rep.SignWith
		if key == nil {
			key = GatewayKey()
		}
		ver := rep.KeyVersion
		if ver == 0 {
			ver = GatewayKeyVersion
		}
		m := wire.Message{Method: r.Method, URI: uri, ClientID: clientID, Time: respTime, Body: out}
		if err := m.WriteHeaders(h, wire.Answer, key, ver); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	} else {
		h[wire.HeaderResponseTime] = []string{respTime}
		h[wire.HeaderClientID] = []string{clientID}
	}
	if rep.Tamper {
		out = tamper(out)
	}
	if req.Encrypted {
		h.Set("Content-Type", "text/plain; charset=UTF-8")
	} else {
		h.Set("Content-Type", "application/json; charset=UTF-8")
	}
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// tamper changes one byte of the body, keeping JSON valid where it can: a
// digit becomes another digit, else the last byte before the end changes.
func tamper(b []byte) []byte {
	out := bytes.Clone(b)
	for i := len(out) - 1; i >= 0; i-- {
		if c := out[i]; c >= '0' && c <= '9' {
			out[i] = '0' + (c-'0'+1)%10
			return out
		}
	}
	if len(out) > 0 {
		out[0] ^= 0x20
	}
	return out
}

// defaultBody is the default S answer of an API, from the request alone.
func defaultBody(req Request, res wire.Result, now time.Time) []byte {
	if res.Code == "" {
		res = wire.NewResult(wire.CodeSuccess, "success")
	}
	var in struct {
		PaymentRequestID string          `json:"paymentRequestId"`
		PaymentID        string          `json:"paymentId"`
		PaymentAmount    json.RawMessage `json:"paymentAmount"`
		RefundRequestID  string          `json:"refundRequestId"`
		RefundID         string          `json:"refundId"`
		RefundAmount     json.RawMessage `json:"refundAmount"`
		CaptureRequestID string          `json:"captureRequestId"`
		CaptureAmount    json.RawMessage `json:"captureAmount"`
	}
	_ = json.Unmarshal(req.Body, &in) // a body that does not decode gets ids left empty
	paymentID := in.PaymentID
	if paymentID == "" && in.PaymentRequestID != "" {
		paymentID = "PAY_" + in.PaymentRequestID
	}
	at := now.UTC().Format("2006-01-02T15:04:05-07:00")
	m := map[string]any{"result": res}
	set := func(k string, v any) {
		switch v := v.(type) {
		case string:
			if v == "" {
				return
			}
		case json.RawMessage:
			if len(v) == 0 {
				return
			}
		}
		m[k] = v
	}
	switch req.API {
	case "pay":
		set("paymentRequestId", in.PaymentRequestID)
		set("paymentId", paymentID)
		set("paymentAmount", in.PaymentAmount)
		set("paymentCreateTime", at)
		if res.Status == wire.StatusSuccess {
			set("paymentTime", at)
		}
	case "inquiryPayment":
		set("paymentRequestId", in.PaymentRequestID)
		set("paymentId", paymentID)
		if res.Status == wire.StatusSuccess {
			m["paymentStatus"] = "SUCCESS"
			m["paymentResultCode"] = "SUCCESS"
			m["paymentResultMessage"] = "success"
			set("paymentTime", at)
		}
	case "cancel":
		set("paymentRequestId", in.PaymentRequestID)
		set("paymentId", paymentID)
		if res.Status == wire.StatusSuccess {
			set("cancelTime", at)
		}
	case "refund":
		set("refundRequestId", in.RefundRequestID)
		if in.RefundRequestID != "" {
			set("refundId", "REFUND_"+in.RefundRequestID)
		}
		set("paymentId", in.PaymentID)
		set("refundAmount", in.RefundAmount)
		if res.Status == wire.StatusSuccess {
			set("refundTime", at)
		}
	case "capture":
		set("captureRequestId", in.CaptureRequestID)
		set("paymentId", in.PaymentID)
		if res.Status == wire.StatusSuccess {
			if in.CaptureRequestID != "" {
				set("captureId", "CAPTURE_"+in.CaptureRequestID)
			}
			set("captureAmount", in.CaptureAmount)
			set("captureTime", at)
		}
	case "inquiryRefund":
		refundID := in.RefundID
		if refundID == "" && in.RefundRequestID != "" {
			refundID = "REFUND_" + in.RefundRequestID
		}
		set("refundRequestId", in.RefundRequestID)
		set("refundId", refundID)
		if res.Status == wire.StatusSuccess {
			m["refundStatus"] = "SUCCESS"
			set("refundTime", at)
		}
	case "consult", "createPaymentSession", "retrievePaymentSession":
		checkoutBody(req, res, now, m)
	default:
		if res.Status == wire.StatusSuccess {
			m["result"] = wire.NewResult(wire.CodeNoInterfaceDef, "no API is defined at "+req.Path)
		}
	}
	return mustJSON(m)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("antomtest: " + err.Error())
	}
	return b
}
