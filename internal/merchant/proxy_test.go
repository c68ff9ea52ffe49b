package merchant_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/antomtest"
	"github.com/antomgw/antomgw/internal/merchant"
	"github.com/antomgw/antomgw/wire"
)

const clientID = "PROXY_SHOP"

const payBody = `{"productCode":"IN_STORE_PAYMENT","paymentRequestId":"ORDER_0001","paymentAmount":{"currency":"USD","value":"450"}}`

var (
	reqTime  = time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)
	respTime = time.Date(2026, time.March, 2, 9, 30, 1, 0, time.UTC)
)

// otherKey is a second test key: a gateway key the proxy does not know.
func otherKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	b, err := os.ReadFile("../../wire/testdata/rsa2048-other-test-only.pem")
	if err != nil {
		tb.Fatal(err)
	}
	k, err := wire.ParsePrivateKey(b)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// received is one request the fake upstream got.
type received struct {
	requestURI string
	header     http.Header
	body       []byte // as received (the ciphertext when encrypted)
	plain      []byte // decrypted
	verifyErr  error  // the request's signature check
}

// upstream is a fake Antom-compatible gateway on loopback: it verifies
// each request's signature with the merchant's key over the request line
// it received, opens an encrypted body with its key, and answers S, signed
// (and encrypted for an encrypted request) as the fields say.
type upstream struct {
	srv *httptest.Server

	merchant *rsa.PublicKey
	gwKey    *rsa.PrivateKey // opens requests
	signKey  *rsa.PrivateKey // signs answers; gwKey when nil
	signVer  int             // keyVersion of the answers' Signature header
	status   int             // HTTP status of the answers; 200 when 0
	tamper   bool            // change one byte of the body after signing
	noSign   bool            // answer without signature headers
	echoID   string          // client-id of the answers; the request's when ""
	// encryptTo is the key answers to encrypted requests are encrypted
	// to; merchant when nil.
	encryptTo *rsa.PublicKey

	mu  sync.Mutex
	got []received
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{merchant: &antomtest.MerchantKey().PublicKey, gwKey: antomtest.GatewayKey(), signVer: 1}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := received{requestURI: r.RequestURI, header: r.Header.Clone(), body: body, plain: body}
	_, _, rec.verifyErr = wire.VerifyHeaders(r.Header, wire.Request, r.Method, r.RequestURI, body,
		func(int) (*rsa.PublicKey, error) { return u.merchant, nil })
	encrypted := false
	if eh := r.Header.Get(wire.HeaderEncrypt); eh != "" {
		h, err := wire.ParseEncryptHeader(eh)
		if err == nil {
			rec.plain, err = wire.DecryptBody(u.gwKey, h, body)
		}
		if err != nil {
			rec.verifyErr = err
		}
		encrypted = true
	}
	u.mu.Lock()
	u.got = append(u.got, rec)
	u.mu.Unlock()

	answer := []byte(`{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"paymentId":"PAY_1"}`)
	if rec.verifyErr != nil {
		answer = []byte(`{"result":{"resultCode":"INVALID_SIGNATURE","resultStatus":"F","resultMessage":"upstream refused"}}`)
	}
	if encrypted {
		to := u.encryptTo
		if to == nil {
			to = u.merchant
		}
		enc, eh, err := wire.EncryptBody(nil, to, 1, answer)
		if err != nil {
			panic(err)
		}
		answer = enc
		w.Header()["encrypt"] = []string{eh.String()}
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	}
	if !u.noSign {
		id := u.echoID
		if id == "" {
			id = r.Header.Get(wire.HeaderClientID)
		}
		key := u.signKey
		if key == nil {
			key = u.gwKey
		}
		m := wire.Message{Method: r.Method, URI: r.RequestURI, ClientID: id, Time: wire.FormatTime(respTime), Body: answer}
		if err := m.WriteHeaders(w.Header(), wire.Answer, key, u.signVer); err != nil {
			panic(err)
		}
	}
	w.Header()["x-idempotent-replay"] = []string{"true"}
	if u.tamper {
		answer = bytes.Replace(answer, []byte("PAY_1"), []byte("PAY_2"), 1)
	}
	status := u.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(answer)
}

func (u *upstream) last(t *testing.T) received {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.got) == 0 {
		t.Fatal("the upstream received nothing")
	}
	return u.got[len(u.got)-1]
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.got)
}

// logBuf collects the proxy's log.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newProxy(t *testing.T, upstreamURL string) (*merchant.Proxy, *logBuf) {
	t.Helper()
	u, err := url.Parse(upstreamURL)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuf{}
	p := &merchant.Proxy{
		Upstream:    u,
		ClientID:    clientID,
		PrivateKey:  antomtest.MerchantKey(),
		GatewayKeys: map[int]*rsa.PublicKey{1: &antomtest.GatewayKey().PublicKey},
		Now:         func() time.Time { return reqTime },
		Log:         slog.New(slog.NewTextHandler(logs, nil)),
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	return p, logs
}

// post sends body to the proxy in-process, as curl -d would (its default
// form Content-Type included), and returns the recorded answer. The
// header map is kept as the proxy wrote it (names in their written case).
func post(p http.Handler, path, body string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8090"+path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	return w
}

// hdr returns the first value of name in h, looked up in any case.
func hdr(h http.Header, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func wantVerified(t *testing.T, w *httptest.ResponseRecorder, want string) {
	t.Helper()
	if got := w.Header()[merchant.HeaderVerified]; len(got) != 1 || got[0] != want {
		t.Fatalf("header %s = %q, want [%q] (verify error %q); all headers %v", merchant.HeaderVerified, got, want,
			hdr(w.Header(), merchant.HeaderVerifyError), w.Header())
	}
}

func TestProxyOK(t *testing.T) {
	up := newUpstream(t)
	p, logs := newProxy(t, up.srv.URL)
	w := post(p, "/ams/api/v1/payments/pay", payBody, "User-Agent", "curl/8.5.0")

	got := up.last(t)
	if got.verifyErr != nil {
		t.Fatalf("the upstream could not verify the proxy's signature: %v", got.verifyErr)
	}
	if got.requestURI != "/ams/api/v1/payments/pay" {
		t.Errorf("upstream request URI = %q, want /ams/api/v1/payments/pay", got.requestURI)
	}
	if string(got.body) != payBody {
		t.Errorf("upstream body = %q, want the body as posted %q", got.body, payBody)
	}
	for name, want := range map[string]string{
		"Client-Id":    clientID,
		"Request-Time": wire.FormatTime(reqTime),
		"Content-Type": "application/json; charset=UTF-8",
		"User-Agent":   "curl/8.5.0",
	} {
		if v := got.header.Get(name); v != want {
			t.Errorf("upstream %s = %q, want %q", name, v, want)
		}
	}
	sh, err := wire.ParseSignatureHeader(got.header.Get("Signature"))
	if err != nil || sh.KeyVersion != 1 {
		t.Errorf("upstream Signature header = %q (%v), want keyVersion=1", got.header.Get("Signature"), err)
	}

	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", w.Code, w.Body)
	}
	wantVerified(t, w, "true")
	if e := hdr(w.Header(), merchant.HeaderVerifyError); e != "" {
		t.Errorf("%s = %q on a verified answer, want none", merchant.HeaderVerifyError, e)
	}
	if !strings.Contains(w.Body.String(), `"resultStatus":"S"`) || !strings.Contains(w.Body.String(), "PAY_1") {
		t.Errorf("body = %s, want the upstream's S answer", w.Body)
	}
	// The protocol headers come back, in lower case as the gateway writes them.
	for _, name := range []string{"response-time", "signature", "client-id", "x-idempotent-replay"} {
		if v := w.Header()[name]; len(v) != 1 || v[0] == "" {
			t.Errorf("answer header %s = %q, want the upstream's value", name, v)
		}
	}
	if v := w.Header()["response-time"]; len(v) == 1 && v[0] != wire.FormatTime(respTime) {
		t.Errorf("response-time = %q, want %q", v[0], wire.FormatTime(respTime))
	}

	line := logs.String()
	for _, want := range []string{"method=POST", "path=/ams/api/v1/payments/pay", "status=200", "result_status=S",
		"result_code=SUCCESS", "verified=true", "duration="} {
		if !strings.Contains(line, want) {
			t.Errorf("log = %q, want it to contain %q", line, want)
		}
	}
	if n := strings.Count(strings.TrimSpace(line), "\n") + 1; n != 1 {
		t.Errorf("log has %d lines, want 1 per exchange:\n%s", n, line)
	}
	if strings.Contains(line, "PRIVATE") {
		t.Errorf("log mentions a private key: %s", line)
	}
}

func TestProxyTamperedAnswer(t *testing.T) {
	up := newUpstream(t)
	up.tamper = true
	p, logs := newProxy(t, up.srv.URL)
	w := post(p, "/ams/api/v1/payments/pay", payBody)
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want the upstream's 200", w.Code)
	}
	wantVerified(t, w, "false")
	e := w.Header()[merchant.HeaderVerifyError]
	if len(e) != 1 || !strings.Contains(e[0], "signature does not match") {
		t.Errorf("%s = %q, want it to say the signature does not match", merchant.HeaderVerifyError, e)
	}
	if !strings.Contains(w.Body.String(), "PAY_2") {
		t.Errorf("body = %s, want the (tampered) body as received", w.Body)
	}
	if !strings.Contains(logs.String(), "verified=false") {
		t.Errorf("log = %q, want verified=false", logs.String())
	}
}

func TestProxyKeyVersions(t *testing.T) {
	gw1 := &antomtest.GatewayKey().PublicKey
	other := otherKey(t)
	for _, tc := range []struct {
		name      string
		keys      map[int]*rsa.PublicKey
		signKey   *rsa.PrivateKey
		signVer   int
		verified  string
		errSubstr string
	}{
		{"ErrVersionMissing", map[int]*rsa.PublicKey{1: gw1}, other, 2, "false", "gateway key version 2"},
		{"OKVersion2", map[int]*rsa.PublicKey{1: gw1, 2: &other.PublicKey}, other, 2, "true", ""},
		{"ErrWrongKeyForVersion", map[int]*rsa.PublicKey{1: gw1, 2: &other.PublicKey}, antomtest.GatewayKey(), 2, "false", "signature does not match"},
		{"OKUnversionedKey", map[int]*rsa.PublicKey{0: gw1}, antomtest.GatewayKey(), 3, "true", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t)
			up.signKey, up.signVer = tc.signKey, tc.signVer
			p, _ := newProxy(t, up.srv.URL)
			p.GatewayKeys = tc.keys
			w := post(p, "/ams/api/v1/payments/pay", payBody)
			wantVerified(t, w, tc.verified)
			if e := hdr(w.Header(), merchant.HeaderVerifyError); !strings.Contains(e, tc.errSubstr) || (tc.errSubstr == "") != (e == "") {
				t.Errorf("%s = %q, want %q", merchant.HeaderVerifyError, e, tc.errSubstr)
			}
		})
	}
}

func TestProxyEncrypt(t *testing.T) {
	up := newUpstream(t)
	p, logs := newProxy(t, up.srv.URL)
	p.Encrypt = true
	w := post(p, "/ams/api/v1/payments/pay", payBody)

	got := up.last(t)
	if got.verifyErr != nil {
		t.Fatalf("upstream: %v", got.verifyErr)
	}
	if bytes.Contains(got.body, []byte("ORDER_0001")) {
		t.Errorf("the upstream received the body in clear: %s", got.body)
	}
	if string(got.plain) != payBody {
		t.Errorf("upstream decrypted body = %q, want %q", got.plain, payBody)
	}
	eh, err := wire.ParseEncryptHeader(got.header.Get("Encrypt"))
	if err != nil || eh.Algorithm != wire.AlgorithmRSAAES || eh.KeyVersion != 1 {
		t.Errorf("upstream Encrypt header = %q (%v), want RSA_AES to gateway key version 1", got.header.Get("Encrypt"), err)
	}
	if ct := got.header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Errorf("upstream Content-Type = %q, want text/plain; charset=UTF-8", ct)
	}

	wantVerified(t, w, "true")
	if !strings.Contains(w.Body.String(), `"resultStatus":"S"`) {
		t.Errorf("body = %s, want the decrypted S answer", w.Body)
	}
	if v := w.Header()[merchant.HeaderEncrypted]; len(v) != 1 || v[0] != "true" {
		t.Errorf("%s = %q, want true", merchant.HeaderEncrypted, v)
	}
	if v := hdr(w.Header(), "encrypt"); v != "" {
		t.Errorf("encrypt header = %q on the decrypted answer, want none", v)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=UTF-8" {
		t.Errorf("Content-Type = %q, want application/json; charset=UTF-8", ct)
	}
	if !strings.Contains(logs.String(), "encrypted=true") || !strings.Contains(logs.String(), "result_status=S") {
		t.Errorf("log = %q, want encrypted=true and the decrypted result", logs.String())
	}
}

func TestProxyEncryptedAnswerDoesNotOpen(t *testing.T) {
	up := newUpstream(t)
	up.encryptTo = &otherKey(t).PublicKey // not the proxy's key
	p, _ := newProxy(t, up.srv.URL)
	p.Encrypt = true
	w := post(p, "/ams/api/v1/payments/pay", payBody)
	wantVerified(t, w, "false")
	if e := hdr(w.Header(), merchant.HeaderVerifyError); !strings.Contains(e, "does not open") {
		t.Errorf("%s = %q, want it to say the answer does not open", merchant.HeaderVerifyError, e)
	}
	if strings.Contains(w.Body.String(), "resultStatus") {
		t.Errorf("body = %s, want the ciphertext as received", w.Body)
	}
}

func TestProxyPaths(t *testing.T) {
	up := newUpstream(t)
	p, _ := newProxy(t, up.srv.URL+"/prefix/")
	// The official SDKs' double slash is kept, not cleaned; the query too.
	const path = "/ams/api//v1/payments/retrievePaymentSession?lang=en%2Dus"
	w := post(p, path, `{"paymentSessionId":"S1"}`)
	got := up.last(t)
	if got.requestURI != "/prefix"+path {
		t.Errorf("upstream request URI = %q, want %q", got.requestURI, "/prefix"+path)
	}
	if got.verifyErr != nil {
		t.Errorf("upstream: the signature does not verify over the path sent: %v", got.verifyErr)
	}
	wantVerified(t, w, "true")
}

func TestProxyIgnoresCallerSignature(t *testing.T) {
	up := newUpstream(t)
	p, _ := newProxy(t, up.srv.URL)
	w := post(p, "/ams/api/v1/payments/pay", payBody,
		"Client-Id", "SOMEONE_ELSE", "Request-Time", "1", "Signature", "algorithm=RSA256,keyVersion=9,signature=AAAA",
		"Encrypt", "algorithm=RSA_AES,symmetricKey=AAAA", "Accept-Encoding", "br")
	got := up.last(t)
	if got.verifyErr != nil {
		t.Fatalf("upstream: %v", got.verifyErr)
	}
	if id := got.header.Values("Client-Id"); len(id) != 1 || id[0] != clientID {
		t.Errorf("upstream Client-Id = %q, want only the proxy's %q", id, clientID)
	}
	if v := got.header.Get("Encrypt"); v != "" {
		t.Errorf("upstream Encrypt = %q, want none", v)
	}
	if v := got.header.Get("Accept-Encoding"); v == "br" {
		t.Errorf("upstream Accept-Encoding = %q: the caller's encoding was forwarded", v)
	}
	wantVerified(t, w, "true")
}

func TestProxyAnswerProblems(t *testing.T) {
	t.Run("ErrNotSigned", func(t *testing.T) {
		up := newUpstream(t)
		up.noSign, up.status = true, http.StatusNotFound
		p, _ := newProxy(t, up.srv.URL)
		w := post(p, "/no/such/api", payBody)
		if w.Code != http.StatusNotFound {
			t.Errorf("status = %d, want the upstream's 404", w.Code)
		}
		wantVerified(t, w, "false")
		if e := hdr(w.Header(), merchant.HeaderVerifyError); !strings.Contains(e, "no signature header") {
			t.Errorf("%s = %q, want it to say the answer is not signed", merchant.HeaderVerifyError, e)
		}
	})
	t.Run("ErrOtherClient", func(t *testing.T) {
		up := newUpstream(t)
		up.echoID = "OTHER_SHOP"
		p, _ := newProxy(t, up.srv.URL)
		w := post(p, "/ams/api/v1/payments/pay", payBody)
		wantVerified(t, w, "false")
		if e := hdr(w.Header(), merchant.HeaderVerifyError); !strings.Contains(e, "OTHER_SHOP") {
			t.Errorf("%s = %q, want it to name the other client", merchant.HeaderVerifyError, e)
		}
	})
}

func TestProxyUpstreamDown(t *testing.T) {
	up := newUpstream(t)
	url := up.srv.URL
	up.srv.Close()
	p, logs := newProxy(t, url)
	w := post(p, "/ams/api/v1/payments/pay", payBody)
	if w.Code != http.StatusBadGateway {
		t.Fatalf("status = %d, want 502; body %s", w.Code, w.Body)
	}
	if v := hdr(w.Header(), merchant.HeaderVerified); v != "" {
		t.Errorf("%s = %q on the proxy's own error, want none", merchant.HeaderVerified, v)
	}
	var body struct {
		ProxyError string          `json:"proxyError"`
		Upstream   string          `json:"upstream"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.ProxyError == "" || body.Upstream != url || body.Result != nil {
		t.Errorf("body = %s (%v), want JSON with proxyError and upstream %s, and no result", w.Body, err, url)
	}
	if !strings.Contains(logs.String(), "status=502") {
		t.Errorf("log = %q, want status=502", logs.String())
	}
}

func TestProxyUpstreamTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	p, _ := newProxy(t, slow.URL)
	p.Timeout = time.Nanosecond // already over when the request is sent
	w := post(p, "/ams/api/v1/payments/pay", payBody)
	if w.Code != http.StatusGatewayTimeout {
		t.Fatalf("status = %d, want 504; body %s", w.Code, w.Body)
	}
	if !strings.Contains(w.Body.String(), "may have reached") {
		t.Errorf("body = %s, want it to say the request may have reached the upstream", w.Body)
	}
}

func TestProxyRefusals(t *testing.T) {
	up := newUpstream(t)
	p, _ := newProxy(t, up.srv.URL)
	for _, tc := range []struct {
		name, method, target, body string
		header                     map[string]string
		status                     int
		say                        string
	}{
		{"ErrGet", http.MethodGet, "/ams/api/v1/payments/pay", "", nil, http.StatusMethodNotAllowed, "POST"},
		{"ErrPut", http.MethodPut, "/ams/api/v1/payments/pay", payBody, nil, http.StatusMethodNotAllowed, "method PUT"},
		{"ErrEmpty", http.MethodPost, "/ams/api/v1/payments/pay", " \n", nil, http.StatusBadRequest, "empty"},
		{"ErrNotJSON", http.MethodPost, "/ams/api/v1/payments/pay", "paymentRequestId=1", nil, http.StatusBadRequest, "not JSON"},
		{"ErrRemoteHost", http.MethodPost, "/ams/api/v1/payments/pay", payBody, map[string]string{"Host": "evil.example:8090"}, http.StatusForbidden, "loopback"},
		{"ErrCrossOrigin", http.MethodPost, "/ams/api/v1/payments/pay", payBody, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden, "cross-origin"},
		{"OKHelp", http.MethodGet, "/", "", nil, http.StatusOK, "curl -d @pay.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://127.0.0.1:8090"+tc.target, strings.NewReader(tc.body))
			for k, v := range tc.header {
				if k == "Host" {
					r.Host = v
				} else {
					r.Header.Set(k, v)
				}
			}
			w := httptest.NewRecorder()
			before := up.count()
			p.ServeHTTP(w, r)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.say) {
				t.Errorf("%s %s: %d %q, want %d and a message containing %q", tc.method, tc.target, w.Code, w.Body, tc.status, tc.say)
			}
			if tc.status == http.StatusMethodNotAllowed && w.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", w.Header().Get("Allow"))
			}
			if up.count() != before {
				t.Errorf("the request was forwarded upstream")
			}
			if v := hdr(w.Header(), merchant.HeaderVerified); v != "" {
				t.Errorf("%s = %q on the proxy's own answer, want none", merchant.HeaderVerified, v)
			}
		})
	}
	t.Run("OKAllowRemote", func(t *testing.T) {
		p.AllowRemote = true
		defer func() { p.AllowRemote = false }()
		r := httptest.NewRequest(http.MethodPost, "http://proxy.lan:8090/ams/api/v1/payments/pay", strings.NewReader(payBody))
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		wantVerified(t, w, "true")
	})
}

// TestProxyOverHTTP runs the proxy on a real loopback listener, as a
// client such as curl reaches it.
func TestProxyOverHTTP(t *testing.T) {
	up := newUpstream(t)
	p, _ := newProxy(t, up.srv.URL)
	srv := httptest.NewServer(p)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/ams/api/v1/payments/pay", "application/x-www-form-urlencoded", strings.NewReader(payBody))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get(merchant.HeaderVerified) != "true" || !strings.Contains(string(b), `"resultStatus":"S"`) {
		t.Errorf("answer %d %s, %s: %q, want 200 true and an S body", resp.StatusCode, b, merchant.HeaderVerified, resp.Header.Get(merchant.HeaderVerified))
	}
}

func TestProxyCheck(t *testing.T) {
	base := func() *merchant.Proxy {
		u, _ := url.Parse("http://127.0.0.1:8080")
		return &merchant.Proxy{Upstream: u, ClientID: clientID, PrivateKey: antomtest.MerchantKey(), GatewayKeys: antomtest.GatewayKeys()}
	}
	if err := base().Check(); err != nil {
		t.Fatalf("Check() = %v, want nil", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*merchant.Proxy)
		field string
	}{
		{"Upstream", func(p *merchant.Proxy) { p.Upstream = nil }, "Upstream"},
		{"UpstreamScheme", func(p *merchant.Proxy) { p.Upstream, _ = url.Parse("ftp://x/") }, "Upstream"},
		{"ClientID", func(p *merchant.Proxy) { p.ClientID = "" }, "ClientID"},
		{"PrivateKey", func(p *merchant.Proxy) { p.PrivateKey = nil }, "PrivateKey"},
		{"GatewayKeys", func(p *merchant.Proxy) { p.GatewayKeys = nil }, "GatewayKeys"},
		{"EncryptKeyVersion", func(p *merchant.Proxy) { p.Encrypt, p.EncryptKeyVersion = true, 7 }, "EncryptKeyVersion"},
	} {
		p := base()
		tc.edit(p)
		if err := p.Check(); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: Check() = %v, want an error naming %s", tc.name, err, tc.field)
		}
	}
}

func TestCheckListen(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:8090", false, true},
		{"127.0.0.2:8090", false, true},
		{"[::1]:8090", false, true},
		{"localhost:8090", false, true},
		{":8090", false, false},
		{"0.0.0.0:8090", false, false},
		{"192.168.1.10:8090", false, false},
		{"myhost:8090", false, false},
		{"0.0.0.0:8090", true, true},
		{"8090", false, false},
	} {
		err := merchant.CheckListen(tc.addr, tc.remote)
		if (err == nil) != tc.ok {
			t.Errorf("CheckListen(%q, %v) = %v, want ok %v", tc.addr, tc.remote, err, tc.ok)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := merchant.CheckListener(ln, false); err != nil {
		t.Errorf("CheckListener(loopback) = %v, want nil", err)
	}
}

// TestProxyTamperedUnversionedKey: with the gateway key given without a
// version (a plain --gateway-public-key FILE), an altered answer is
// reported as a signature mismatch, not only as a missing key version.
func TestProxyTamperedUnversionedKey(t *testing.T) {
	up := newUpstream(t)
	up.tamper = true
	p, _ := newProxy(t, up.srv.URL)
	p.GatewayKeys = map[int]*rsa.PublicKey{0: &antomtest.GatewayKey().PublicKey}
	w := post(p, "/ams/api/v1/payments/pay", payBody)
	wantVerified(t, w, "false")
	if e := hdr(w.Header(), merchant.HeaderVerifyError); !strings.Contains(e, "signature does not match") || !strings.Contains(e, "altered") {
		t.Errorf("%s = %q, want a signature mismatch that mentions an altered answer", merchant.HeaderVerifyError, e)
	}
}

// TestProxyRefusesNonPathTarget: "POST * HTTP/1.1" (the asterisk form)
// names no API path; it is refused, not joined onto the upstream's host.
func TestProxyRefusesNonPathTarget(t *testing.T) {
	up := newUpstream(t)
	p, _ := newProxy(t, up.srv.URL)
	r := httptest.NewRequest(http.MethodPost, "*", strings.NewReader(payBody))
	r.Host = "127.0.0.1:8090"
	w := httptest.NewRecorder()
	before := up.count()
	p.ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "is not a path") || up.count() != before {
		t.Errorf("POST *: %d %q (forwarded: %v), want 400 naming the target, nothing forwarded", w.Code, w.Body, up.count() != before)
	}
}
