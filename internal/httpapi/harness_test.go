package httpapi_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/httpapi"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/antomgw/antomgw/internal/sqlite"
	"github.com/antomgw/antomgw/wire"
)

// harness is a real gateway (httpapi + gateway.Service + the simulated
// wallet + a SQLite file store) on an httptest server, with one registered
// client whose key signs every request.
type harness struct {
	tb       testing.TB
	srv      *httptest.Server
	api      *httpapi.Server
	svc      *gateway.Service
	store    *sqlite.Store
	dbPath   string
	clientID string
	merchant *rsa.PrivateKey
	// gatewayKeys are the gateway's public keys by version, as exported.
	gatewayKeys map[int]*rsa.PublicKey
	seq         atomic.Int64
	// wallet is the simulated wallet, also when h.svc.Processor wraps it.
	wallet *sim.Wallet
}

type harnessOption func(*harness)

func withSimDelay(d time.Duration) harnessOption {
	return func(h *harness) { h.wallet.Delay = d }
}

// withSimHold sets how long the wallet holds back the 9902 answer.
func withSimHold(d time.Duration) harnessOption {
	return func(h *harness) { h.wallet.Hold = d }
}

// withService changes the gateway.Service before the server starts (its
// windows, expiry, clock).
func withService(f func(*gateway.Service)) harnessOption {
	return func(h *harness) { f(h.svc) }
}

// withProcessor wraps the service's processor (the simulated wallet), e.g.
// to count its executions.
func withProcessor(wrap func(gateway.Processor) gateway.Processor) harnessOption {
	return func(h *harness) { h.svc.Processor = wrap(h.svc.Processor) }
}

func withMaxBody(n int64) harnessOption { return func(h *harness) { h.api.MaxBody = n } }

func withClockSkew(d time.Duration) harnessOption {
	return func(h *harness) { h.api.MaxClockSkew = d }
}

func readKey(tb testing.TB, name string) *rsa.PrivateKey {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	k, err := wire.ParsePrivateKey(data)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func spki(tb testing.TB, pub *rsa.PublicKey) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

func newHarness(tb testing.TB, opts ...harnessOption) *harness {
	tb.Helper()
	ctx := context.Background()
	dbPath := filepath.Join(tb.TempDir(), "antomgw.db")
	st, err := sqlite.Open(ctx, dbPath, sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	gw := readKey(tb, "gateway-test-only.pem")
	der, err := x509.MarshalPKCS8PrivateKey(gw)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.AddGatewayKey(ctx, der, time.Now(), false); err != nil {
		tb.Fatal(err)
	}
	h := &harness{
		tb: tb, store: st, dbPath: dbPath, clientID: "TEST_CLIENT",
		merchant:    readKey(tb, "merchant-test-only.pem"),
		gatewayKeys: map[int]*rsa.PublicKey{1: &gw.PublicKey},
	}
	now := time.Now().UTC()
	if err := st.AddClient(ctx, gateway.Client{ID: h.clientID, CreatedAt: now},
		gateway.ClientKey{ClientID: h.clientID, Version: 1, PublicKey: spki(tb, &h.merchant.PublicKey), CreatedAt: now}); err != nil {
		tb.Fatal(err)
	}
	h.wallet = &sim.Wallet{Delay: time.Hour, Hold: 50 * time.Millisecond, Marks: st}
	h.svc = &gateway.Service{Store: st, Processor: h.wallet}
	h.api = &httpapi.Server{Service: h.svc, Keyring: &gateway.Keyring{Store: st}, Metrics: httpapi.NewMetrics()}
	for _, o := range opts {
		o(h)
	}
	h.srv = httptest.NewServer(h.api)
	tb.Cleanup(h.srv.Close)
	return h
}

// req is one request to send; zero fields get the harness defaults.
type req struct {
	method   string
	path     string
	body     string
	clientID *string
	time     *string
	sign     func(content []byte) string // nil: sign with the merchant key, keyVersion 1
	sigHdr   *string                     // exact Signature header (overrides sign)
	header   map[string]string           // extra or replacing headers; "" deletes
	// addHeader adds values after the defaults (a repeated header).
	addHeader map[string]string
	// ctx, when set, is the request's context (to abandon it).
	ctx context.Context
	// client, when set, sends the request instead of http.DefaultClient.
	client *http.Client
}

// reply is a verified answer.
type reply struct {
	status int
	header http.Header
	body   []byte
	plain  []byte // the opened body of an encrypted answer
	result wire.Result
}

func (h *harness) nextTime() string {
	return wire.FormatTime(time.Now().Add(time.Duration(h.seq.Add(1)) * time.Millisecond))
}

// do sends r and returns the answer after checking that it is signed by
// the gateway over the request's path, client id and response time.
func (h *harness) do(tb testing.TB, r req) *reply {
	tb.Helper()
	rep, err := h.try(r)
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

func (h *harness) try(r req) (*reply, error) {
	if r.method == "" {
		r.method = http.MethodPost
	}
	clientID := h.clientID
	if r.clientID != nil {
		clientID = *r.clientID
	}
	reqTime := h.nextTime()
	if r.time != nil {
		reqTime = *r.time
	}
	body := []byte(r.body)
	ctx := r.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	hr, err := http.NewRequestWithContext(ctx, r.method, h.srv.URL+r.path, strings.NewReader(r.body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if clientID != "" {
		hr.Header.Set("Client-Id", clientID)
	}
	if reqTime != "" {
		hr.Header.Set("Request-Time", reqTime)
	}
	uri := r.path
	content := wire.SigningContent(r.method, uri, clientID, reqTime, body)
	switch {
	case r.sigHdr != nil:
		if *r.sigHdr != "" {
			hr.Header.Set("Signature", *r.sigHdr)
		}
	case r.sign != nil:
		hr.Header.Set("Signature", r.sign(content))
	default:
		sig, err := wire.Sign(h.merchant, content)
		if err != nil {
			return nil, err
		}
		hr.Header.Set("Signature", wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 1, Signature: sig}.String())
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	for k, v := range r.addHeader {
		hr.Header.Add(k, v)
	}
	client := http.DefaultClient
	if r.client != nil {
		client = r.client
	}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	rep := &reply{status: resp.StatusCode, header: resp.Header, body: rb}
	if err := h.verifyReply(r.method, uri, clientID, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

func (h *harness) verifyReply(method, uri, clientID string, rep *reply) error {
	if rep.status != http.StatusOK {
		return fmt.Errorf("HTTP status = %d, want 200; body %s", rep.status, rep.body)
	}
	for _, name := range []string{"signature", "response-time", "client-id"} {
		if rep.header.Get(name) == "" && name != "client-id" {
			return fmt.Errorf("response header %q is missing (headers %v)", name, rep.header)
		}
	}
	if got := rep.header.Get("client-id"); got != clientID {
		return fmt.Errorf("response client-id = %q, want %q", got, clientID)
	}
	sh, err := wire.ParseSignatureHeader(rep.header.Get("signature"))
	if err != nil {
		return fmt.Errorf("response signature header: %v", err)
	}
	pub, ok := h.gatewayKeys[sh.KeyVersion]
	if !ok {
		return fmt.Errorf("response keyVersion %d is not a known gateway key", sh.KeyVersion)
	}
	content := wire.SigningContent(method, uri, clientID, rep.header.Get("response-time"), rep.body)
	if err := wire.Verify(pub, content, sh.Signature); err != nil {
		return fmt.Errorf("response signature does not verify: %v", err)
	}
	if _, err := wire.ParseTime(rep.header.Get("response-time")); err != nil {
		return fmt.Errorf("response-time: %v", err)
	}
	body := rep.body
	if eh := rep.header.Get("encrypt"); eh != "" {
		e, err := wire.ParseEncryptHeader(eh)
		if err != nil {
			return fmt.Errorf("response encrypt header: %v", err)
		}
		if body, err = wire.DecryptBody(h.merchant, e, body); err != nil {
			return fmt.Errorf("open encrypted response: %v", err)
		}
		rep.plain = body
	}
	var res struct {
		Result wire.Result `json:"result"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return fmt.Errorf("response body %q: %v", body, err)
	}
	if !res.Result.Status.Valid() {
		return fmt.Errorf("response result status %q is not S, F or U", res.Result.Status)
	}
	rep.result = res.Result
	return nil
}

// dump returns every row of every table of the store, for "nothing
// changed" assertions.
func (h *harness) dump() string {
	h.tb.Helper()
	db, err := sql.Open("sqlite", "file:"+h.dbPath+"?mode=ro")
	if err != nil {
		h.tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type='table' ORDER BY name`)
	if err != nil {
		h.tb.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, t := range tables {
		rs, err := db.Query(`SELECT * FROM "` + t + `"`)
		if err != nil {
			h.tb.Fatal(err)
		}
		cols, _ := rs.Columns()
		var lines []string
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				h.tb.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals...))
		}
		rs.Close()
		sort.Strings(lines)
		fmt.Fprintf(&b, "%s: %d rows\n%s\n", t, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

// count runs a query returning one integer (SELECT count(*) ...) on a
// read-only connection to the store.
func (h *harness) count(tb testing.TB, query string, args ...any) int64 {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+h.dbPath+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// startWorker runs the job worker (delayed transitions) until the test
// ends.
func (h *harness) startWorker(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.svc.RunWorker(ctx, 20*time.Millisecond, nil)
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
	})
}

// decodeBody unmarshals a reply's (opened) body into a T.
func decodeBody[T any](tb testing.TB, rep *reply) T {
	tb.Helper()
	body := rep.body
	if rep.plain != nil {
		body = rep.plain
	}
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		tb.Fatalf("body %s: %v", body, err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

// payBody is a valid AMS v1 in-store PaymentCode pay body.
func payBody(requestID string, value int64) string {
	return fmt.Sprintf(`{"productCode":"IN_STORE_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":"ORDER_%s","orderDescription":"coffee"},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281012345678"},`+
		`"paymentFactor":{"inStorePaymentScenario":"PaymentCode"}}`, requestID, requestID, value)
}

const (
	pathPay            = "/ams/api/v1/payments/pay"
	pathInquiryPayment = "/ams/api/v1/payments/inquiryPayment"
	pathCancel         = "/ams/api/v1/payments/cancel"
	pathRefund         = "/ams/api/v1/payments/refund"
	pathInquiryRefund  = "/ams/api/v1/payments/inquiryRefund"
)
