package httpapi

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// fakeClock is a clock the test steps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) step(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestTokenBucket(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	b := tokenBucket{rate: 2, burst: 3}
	takes := func(at time.Time, n int) (got int) {
		for range n {
			if b.take(at) {
				got++
			}
		}
		return got
	}
	if got := takes(t0, 5); got != 3 {
		t.Fatalf("a full bucket of burst 3 gave %d tokens at once, want 3", got)
	}
	if got := takes(t0.Add(499*time.Millisecond), 2); got != 0 {
		t.Errorf("499ms at 2/s gave %d tokens, want 0", got)
	}
	if got := takes(t0.Add(500*time.Millisecond), 2); got != 1 {
		t.Errorf("500ms at 2/s gave %d tokens, want 1", got)
	}
	if got := takes(t0.Add(200*time.Millisecond), 2); got != 0 {
		t.Errorf("a clock that went back gave %d tokens, want 0", got)
	}
	if got := takes(t0.Add(time.Hour), 10); got != 3 {
		t.Errorf("an hour later the bucket gave %d tokens, want its burst 3", got)
	}
}

// fakeRegistry is a registry store of one client and one gateway key.
type fakeRegistry struct{ reg *gateway.Registry }

func (f fakeRegistry) RegistryVersion(context.Context) (int64, error) { return f.reg.Version, nil }
func (f fakeRegistry) LoadRegistry(context.Context) (*gateway.Registry, error) {
	return f.reg, nil
}

// refusalServer is a Server on a fake registry, with the refusal budget
// and the gateway's clock on fake clocks.
type refusalServer struct {
	t        *testing.T
	s        *Server
	url      string
	client   *rsa.PrivateKey // SHOP's key
	gw       *rsa.PrivateKey
	gwClock  *fakeClock // the gateway's clock: response-time
	tick     *fakeClock // the refusal budget's clock
	httpDo   *http.Client
	requests int
}

var (
	testKeysOnce       sync.Once
	testClient, testGW *rsa.PrivateKey
)

func testKeys(t *testing.T) (client, gw *rsa.PrivateKey) {
	testKeysOnce.Do(func() {
		var err error
		if testClient, err = wire.GenerateKey(nil); err != nil {
			panic(err)
		}
		if testGW, err = wire.GenerateKey(nil); err != nil {
			panic(err)
		}
	})
	return testClient, testGW
}

// newRefusalServer starts the server with refusal rate, after set changes
// it.
func newRefusalServer(t *testing.T, rate int, set ...func(*Server)) *refusalServer {
	t.Helper()
	client, gw := testKeys(t)
	pub, err := x509.MarshalPKIXPublicKey(&client.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := x509.MarshalPKCS8PrivateKey(gw)
	if err != nil {
		t.Fatal(err)
	}
	reg := &gateway.Registry{Version: 1,
		Clients:     []gateway.Client{{ID: "SHOP", Keys: []gateway.ClientKey{{ClientID: "SHOP", Version: 1, PublicKey: pub}}}},
		GatewayKeys: []gateway.GatewayKey{{Version: 1, PrivateKey: priv, State: gateway.GatewayKeyActive}},
	}
	rs := &refusalServer{t: t, client: client, gw: gw,
		gwClock: &fakeClock{t: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)},
		tick:    &fakeClock{t: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	rs.s = &Server{Keyring: &gateway.Keyring{Store: fakeRegistry{reg}}, Metrics: NewMetrics(),
		Now: rs.gwClock.now, RefusalRate: rate, refusalClock: rs.tick.now, overLimitWait: new(time.Duration)}
	for _, f := range set {
		f(rs.s)
	}
	srv := httptest.NewServer(rs.s)
	t.Cleanup(srv.Close)
	rs.url = srv.URL
	rs.httpDo = srv.Client()
	return rs
}

// answer is a verified answer.
type answer struct {
	result       wire.Result
	responseTime string
	signature    string
	body         string
}

// send posts a pay body (extra["body"] when set) as clientID to path,
// signed with SHOP's key when sign is set (and with garbage otherwise),
// with the other extra entries as headers. It
// returns the answer, verified with the gateway key over the request's
// path and client id, or the transport error of a closed connection.
func (rs *refusalServer) send(clientID, path string, sign bool, extra map[string]string) (*answer, error) {
	rs.t.Helper()
	rs.requests++
	body := fmt.Sprintf(`{"paymentRequestId":"R%d"}`, rs.requests)
	if b, ok := extra["body"]; ok {
		body = b
		delete(extra, "body")
	}
	reqTime := wire.FormatTime(rs.gwClock.now())
	req, err := http.NewRequest(http.MethodPost, rs.url+path, strings.NewReader(body))
	if err != nil {
		rs.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Client-Id", clientID)
	req.Header.Set("Request-Time", reqTime)
	sig := "algorithm=RSA256,keyVersion=1,signature=AAAA"
	if sign {
		m := wire.Message{Method: http.MethodPost, URI: path, ClientID: clientID, Time: reqTime, Body: []byte(body)}
		sh, err := m.Sign(rs.client, 1)
		if err != nil {
			rs.t.Fatal(err)
		}
		sig = sh.String()
	}
	req.Header.Set("Signature", sig)
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	resp, err := rs.httpDo.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		rs.t.Fatalf("HTTP %d: %s", resp.StatusCode, raw)
	}
	m, sh, err := wire.VerifyHeaders(resp.Header, wire.Answer, http.MethodPost, path, raw, func(v int) (*rsa.PublicKey, error) {
		if v != 1 {
			return nil, fmt.Errorf("keyVersion %d", v)
		}
		return &rs.gw.PublicKey, nil
	})
	if err != nil {
		rs.t.Fatalf("answer to %s %s does not verify: %v\n%s", clientID, path, err, raw)
	}
	if m.ClientID != clientID {
		rs.t.Fatalf("answer's client-id %q, want %q", m.ClientID, clientID)
	}
	var b struct {
		Result wire.Result `json:"result"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		rs.t.Fatalf("answer %s: %v", raw, err)
	}
	return &answer{result: b.Result, responseTime: m.Time, signature: sh.Signature, body: string(raw)}, nil
}

// want sends and fails unless the answer's code is code.
func (rs *refusalServer) want(what, clientID, path string, sign bool, extra map[string]string, code string) *answer {
	rs.t.Helper()
	a, err := rs.send(clientID, path, sign, extra)
	if err != nil {
		rs.t.Fatalf("%s: %v", what, err)
	}
	if a.result.Code != code {
		rs.t.Fatalf("%s: answered %v, want %s", what, a.result, code)
	}
	return a
}

// wantClosed sends and fails unless the connection is closed unanswered.
func (rs *refusalServer) wantClosed(what, clientID, path string) {
	rs.t.Helper()
	if a, err := rs.send(clientID, path, false, nil); err == nil {
		rs.t.Fatalf("%s: answered %v, want the connection closed", what, a.result)
	}
}

// overLimit reads antomgw_refusals_over_limit_total{outcome} as served.
func (rs *refusalServer) overLimit(outcome string) int {
	rs.t.Helper()
	mfs, err := rs.s.Metrics.Registry.Gather()
	if err != nil {
		rs.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "antomgw_refusals_over_limit_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "outcome" && lp.GetValue() == outcome {
					return int(m.GetCounter().GetValue())
				}
			}
		}
	}
	rs.t.Fatalf("no antomgw_refusals_over_limit_total{outcome=%q}", outcome)
	return 0
}

const payPath = "/ams/api/v1/payments/pay"

// TestRefusalsOverBudget: refusals before authentication within the budget
// are answered in full; beyond it from the cache of signed
// REQUEST_TRAFFIC_EXCEED_LIMIT answers (one signature per method, path,
// client id and key version a second, within the cache's own budget), or
// with a closed connection; authenticated requests never draw on it.
func TestRefusalsOverBudget(t *testing.T) {
	rs := newRefusalServer(t, 2) // burst 2; the cache signs 1 a second, burst 1

	rs.want("first unknown client", "NOBODY", payPath, false, nil, wire.CodeInvalidClient)
	rs.want("bad signature of a known client", "SHOP", payPath, false, nil, wire.CodeInvalidSignature)

	// The budget is spent: the cache's one signature goes to NOBODY's
	// over-limit answer.
	a := rs.want("third refusal", "NOBODY", payPath, false, nil, wire.CodeRequestTrafficExceed)
	if a.result.Status != wire.StatusUnknown || a.result.Message != overLimitMessage {
		t.Errorf("over-limit answer %v, want U with %q", a.result, overLimitMessage)
	}
	if want := wire.FormatTime(rs.gwClock.now()); a.responseTime != want {
		t.Errorf("response-time %s, want the gateway clock %s", a.responseTime, want)
	}
	// Within the second the same answer is served again: it must come from
	// the cache, as the cache's signing budget is spent.
	rs.gwClock.step(999 * time.Millisecond)
	again := rs.want("fourth refusal", "NOBODY", payPath, false, nil, wire.CodeRequestTrafficExceed)
	if *again != *a {
		t.Errorf("the cached answer changed:\n%+v\n%+v", again, a)
	}
	// Another client id or path has no cached answer, and the cache may
	// sign none now: the connection is closed.
	rs.wantClosed("another unknown client", "SOMEONE", payPath)
	rs.wantClosed("another path", "NOBODY", "/ams/api/v1/payments/inquiryPayment")
	// A second on the gateway's clock makes the cached answer stale.
	rs.gwClock.step(time.Millisecond)
	rs.wantClosed("a stale cached answer", "NOBODY", payPath)
	// Over the budget, an authenticated request is served as usual,
	// refused after its signature verified included.
	rs.want("an authenticated refusal", "SHOP", payPath, true, map[string]string{"body": "{\"x\":\"\xff\"}"}, wire.CodeParamIllegal)

	if got := rs.overLimit("cached"); got != 2 {
		t.Errorf("over-limit answers from the cache counted %d, want 2", got)
	}
	if got := rs.overLimit("closed"); got != 3 {
		t.Errorf("over-limit connections closed counted %d, want 3", got)
	}

	// A second of real time: 2 refusals in full, 1 signature for the cache.
	rs.tick.step(time.Second)
	rs.want("refilled 1", "SOMEONE", payPath, false, nil, wire.CodeInvalidClient)
	rs.want("refilled 2", "SHOP", payPath, false, nil, wire.CodeInvalidSignature)
	fresh := rs.want("stale answer re-signed", "NOBODY", payPath, false, nil, wire.CodeRequestTrafficExceed)
	if fresh.responseTime == a.responseTime || fresh.responseTime != wire.FormatTime(rs.gwClock.now()) {
		t.Errorf("re-signed answer's response-time %s, want the gateway clock %s (the stale one said %s)", fresh.responseTime, wire.FormatTime(rs.gwClock.now()), a.responseTime)
	}
	// A missing Client-Id is a refusal before authentication too; a path
	// too long to cache gets no answer.
	rs.tick.step(time.Second)
	rs.want("refilled 3", "", payPath, false, nil, wire.CodeInvalidClient)
	rs.want("refilled 4", "", payPath, false, nil, wire.CodeInvalidClient)
	rs.want("no Client-Id over the budget", "", payPath, false, nil, wire.CodeRequestTrafficExceed)
	rs.tick.step(time.Second)
	rs.want("refilled 5", "", payPath, false, nil, wire.CodeInvalidClient)
	rs.want("refilled 6", "", payPath, false, nil, wire.CodeInvalidClient)
	rs.wantClosed("a long path", "", "/ams/api/v1/payments/"+strings.Repeat("x", refusalCacheMaxKey))
}

// TestRefusalsUnlimited: RefusalRate 0 answers every refusal in full.
func TestRefusalsUnlimited(t *testing.T) {
	rs := newRefusalServer(t, 0)
	for i := range 20 {
		rs.want(fmt.Sprintf("refusal %d", i), "NOBODY", payPath, false, nil, wire.CodeInvalidClient)
	}
	if got := rs.overLimit("cached") + rs.overLimit("closed"); got != 0 {
		t.Errorf("%d refusals counted over the limit, want 0", got)
	}
}

// TestRefusalCacheBounded: the cache keeps refusalCacheSize answers,
// dropping a stale one, else the oldest, for a new one.
func TestRefusalCacheBounded(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	l := newRefusalLimiter(100, 0, func() time.Time { return t0 })
	key := func(i int) refusalKey {
		return refusalKey{method: "POST", uri: payPath, clientID: fmt.Sprint("C", i), keyVersion: 1}
	}
	for i := range refusalCacheSize {
		l.store(key(i), &cachedRefusal{at: t0.Add(time.Duration(i) * time.Millisecond)})
	}
	at := t0.Add(500 * time.Millisecond)
	l.store(key(1000), &cachedRefusal{at: at})
	if len(l.cache) != refusalCacheSize {
		t.Fatalf("cache holds %d answers, want %d", len(l.cache), refusalCacheSize)
	}
	if l.lookup(key(0), at) != nil {
		t.Errorf("the oldest answer was kept")
	}
	if l.lookup(key(1), at) == nil || l.lookup(key(1000), at) == nil {
		t.Errorf("a newer answer was dropped")
	}
	// 1.0005s after t0 the answers of C1..C63 older than a second are
	// stale; one of them makes room.
	late := t0.Add(time.Second + 5*time.Millisecond)
	l.store(key(2000), &cachedRefusal{at: late})
	if len(l.cache) != refusalCacheSize || l.lookup(key(1000), late) == nil || l.lookup(key(2000), late) == nil {
		t.Errorf("storing over stale answers dropped a fresh one (%d kept)", len(l.cache))
	}
	if l.lookup(key(1), late) != nil {
		t.Errorf("a stale answer is served")
	}
}

// logWatch is a log destination that signals each line containing want.
type logWatch struct {
	want string
	seen chan struct{}
}

func (w *logWatch) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.want) {
		select {
		case w.seen <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// TestRefusalBrokenBodyNotSigned: a request whose connection breaks while
// its body is read gets no answer, so no signature and nothing from the
// refusal budget.
func TestRefusalBrokenBodyNotSigned(t *testing.T) {
	w := &logWatch{want: "connection broke while the request body was read", seen: make(chan struct{}, 1)}
	rs := newRefusalServer(t, 1, func(s *Server) {
		s.Log = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	c, err := net.Dial("tcp", strings.TrimPrefix(rs.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "POST "+payPath+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nClient-Id: NOBODY\r\nContent-Length: 100\r\n\r\n{")
	c.Close()
	select {
	case <-w.seen:
	case <-time.After(10 * time.Second):
		t.Fatal("the broken request was not logged as such")
	}
	// The budget of 1 is whole.
	rs.want("a refusal after the broken request", "NOBODY", payPath, false, nil, wire.CodeInvalidClient)
	rs.want("the next", "NOBODY", payPath, false, nil, wire.CodeRequestTrafficExceed)
}

// TestRefusalOverLimitDelay: an over-limit answer waits overLimitDelay
// (a lower bound: the server waits a real timer).
func TestRefusalOverLimitDelay(t *testing.T) {
	delay := 50 * time.Millisecond
	rs := newRefusalServer(t, 1, func(s *Server) { s.overLimitWait = &delay })
	rs.want("within the budget", "NOBODY", payPath, false, nil, wire.CodeInvalidClient)
	start := time.Now()
	rs.want("over the budget", "NOBODY", payPath, false, nil, wire.CodeRequestTrafficExceed)
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Errorf("the over-limit answer came after %v, before the 50ms delay", took)
	}
}
