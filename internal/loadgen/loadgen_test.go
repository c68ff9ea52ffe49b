package loadgen_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/loadgen"
	"github.com/antomgw/antomgw/wire"
)

// keys are a client and a gateway key, generated once.
var keys = sync.OnceValues(func() (*rsa.PrivateKey, *rsa.PrivateKey) {
	c, err := wire.GenerateKey(nil)
	if err != nil {
		panic(err)
	}
	g, err := wire.GenerateKey(nil)
	if err != nil {
		panic(err)
	}
	return c, g
})

// fakeGateway answers pay, inquiryPayment and refund with S SUCCESS after
// verifying the request's signature, signs every answer, and marks a pay
// whose paymentRequestId it has seen as a replay. onRequest, when set, runs
// before each answer with the number of requests so far.
type fakeGateway struct {
	mu        sync.Mutex
	seen      map[string]bool
	n         int
	bad       []string // requests whose signature did not verify
	onRequest func(n int)
}

// stats returns the number of requests so far and the signature failures.
func (g *fakeGateway) stats() (int, []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n, append([]string(nil), g.bad...)
}

func (g *fakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	client, gw := keys()
	body, _ := io.ReadAll(r.Body)
	_, _, err := wire.VerifyHeaders(r.Header, wire.Request, r.Method, r.URL.RequestURI(), body,
		func(int) (*rsa.PublicKey, error) { return &client.PublicKey, nil })
	var req struct {
		PaymentRequestID string `json:"paymentRequestId"`
	}
	json.Unmarshal(body, &req)
	g.mu.Lock()
	g.n++
	n := g.n
	if err != nil {
		g.bad = append(g.bad, err.Error())
	}
	replay := req.PaymentRequestID != "" && g.seen[req.PaymentRequestID]
	if req.PaymentRequestID != "" {
		g.seen[req.PaymentRequestID] = true
	}
	g.mu.Unlock()
	if g.onRequest != nil {
		g.onRequest(n)
	}
	answer := fmt.Appendf(nil, `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"paymentId":"PAY_%d"}`, n)
	m := wire.Message{Method: r.Method, URI: r.URL.Path, ClientID: r.Header.Get("Client-Id"), Time: wire.FormatTime(time.Now()), Body: answer}
	if err := m.WriteHeaders(w.Header(), wire.Answer, gw, 1); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if replay {
		w.Header().Set("x-idempotent-replay", "true")
	}
	w.Write(answer)
}

// config is a closed-loop run of n pre-signed requests against g: it ends
// when they run out, long before its Duration.
func config(t *testing.T, g *fakeGateway, scenario string, n int) loadgen.Config {
	client, gw := keys()
	g.seen = map[string]bool{}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return loadgen.Config{
		Target: srv.URL, ClientID: "C1", PrivateKey: client, KeyVersion: 1,
		VerifyAnswer: func(m wire.Message, sh wire.SignatureHeader) error {
			if m.ClientID != "C1" {
				return fmt.Errorf("client id %q", m.ClientID)
			}
			return m.Verify(&gw.PublicKey, sh)
		},
		Scenario: scenario, Duration: time.Hour, Concurrency: 3, Burst: 5, Payments: 4,
		Requests: n, VerifyEvery: 1, Timeout: time.Minute,
	}
}

func run(t *testing.T, g *fakeGateway, cfg loadgen.Config) *loadgen.Report {
	t.Helper()
	rep, err := loadgen.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, bad := g.stats(); len(bad) > 0 {
		t.Errorf("the gateway rejected request signatures: %q", bad)
	}
	if rep.Errors.Total != 0 {
		t.Errorf("errors %+v", rep.Errors)
	}
	if !rep.Exhausted || rep.Interrupted {
		t.Errorf("exhausted %v, interrupted %v; want the plan used up", rep.Exhausted, rep.Interrupted)
	}
	return rep
}

func TestRunPay(t *testing.T) {
	g := &fakeGateway{}
	rep := run(t, g, config(t, g, loadgen.ScenarioPay, 20))
	if got := rep.Counts(); rep.Requests != 20 || got["pay S SUCCESS"] != 20 || len(got) != 1 {
		t.Errorf("%d requests, results %v; want 20 pay S SUCCESS", rep.Requests, got)
	}
	if rep.Distinct != 20 || rep.Presigned != 20 || rep.Verified != 20 || rep.Mode != "max" || rep.SetupPayments != 0 {
		t.Errorf("report %+v", rep)
	}
	if rep.LatencyMs.Max < rep.LatencyMs.P99 || rep.LatencyMs.P99 < rep.LatencyMs.P50 || rep.LatencyMs.P50 <= 0 {
		t.Errorf("latency %+v", rep.LatencyMs)
	}
}

func TestRunMixed(t *testing.T) {
	g := &fakeGateway{}
	rep := run(t, g, config(t, g, loadgen.ScenarioMixed, 30))
	// 4 setup pays, then 18 pays, 9 inquiries and 3 refunds.
	got := rep.Counts()
	if rep.SetupPayments != 4 || got["pay S SUCCESS"] != 18 || got["inquiryPayment S SUCCESS"] != 9 || got["refund S SUCCESS"] != 3 {
		t.Errorf("setup %d, results %v; want 4, then 18 pays, 9 inquiries, 3 refunds", rep.SetupPayments, got)
	}
	if n, _ := g.stats(); n != 34 || rep.Presigned != 18+4+3 {
		t.Errorf("gateway saw %d requests, %d pre-signed; want 34 and 25", n, rep.Presigned)
	}
}

func TestRunDuplicates(t *testing.T) {
	g := &fakeGateway{}
	rep := run(t, g, config(t, g, loadgen.ScenarioDuplicates, 20))
	if got := rep.Counts(); got["pay S SUCCESS"] != 4 || got["pay S SUCCESS replay"] != 16 || rep.Distinct != 4 {
		t.Errorf("results %v, distinct %d; want 4 new, 16 replays of 4 ids", got, rep.Distinct)
	}
}

func TestRunRate(t *testing.T) {
	g := &fakeGateway{}
	cfg := config(t, g, loadgen.ScenarioPay, 10)
	cfg.Rate = 1000
	rep := run(t, g, cfg)
	if rep.Mode != "rate" || rep.Rate != 1000 || rep.Requests != 10 {
		t.Errorf("mode %q rate %d requests %d; want rate 1000, 10 requests", rep.Mode, rep.Rate, rep.Requests)
	}
}

func TestRunSignatureErrors(t *testing.T) {
	g := &fakeGateway{}
	cfg := config(t, g, loadgen.ScenarioPay, 10)
	cfg.VerifyEvery = 3
	cfg.VerifyAnswer = func(wire.Message, wire.SignatureHeader) error { return errors.New("does not verify") }
	rep, err := loadgen.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The first answer and every third: 1, 3, 6, 9.
	if rep.Verified != 4 || rep.Errors.Signature != 4 || rep.Errors.Total != 4 || rep.Counts()["pay S SUCCESS"] != 6 {
		t.Errorf("verified %d, errors %+v, results %v; want 4 failed of 4 verified, 6 counted", rep.Verified, rep.Errors, rep.Counts())
	}
	if len(rep.Errors.Samples) != 1 || rep.Errors.Samples[0] != "response does not verify" {
		t.Errorf("samples %q", rep.Errors.Samples)
	}

	// Before the timed part a failure ends the run.
	cfg.Scenario = loadgen.ScenarioInquiry
	if _, err := loadgen.Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "setup: pay") {
		t.Errorf("inquiry run with a failing verifier: %v, want a setup error", err)
	}
}

func TestRunTransportErrors(t *testing.T) {
	g := &fakeGateway{}
	cfg := config(t, g, loadgen.ScenarioPay, 5)
	cfg.Target = "http://127.0.0.1:1" // nothing listens on port 1
	rep, err := loadgen.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors.Transport != 5 || rep.Errors.Total != 5 || len(rep.Results) != 0 || rep.Results == nil {
		t.Errorf("errors %+v, results %#v; want 5 transport errors and an empty list", rep.Errors, rep.Results)
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := &fakeGateway{onRequest: func(n int) {
		if n == 5 {
			cancel()
		}
	}}
	cfg := config(t, g, loadgen.ScenarioPay, 50)
	cfg.Concurrency = 1
	rep, err := loadgen.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || rep.Exhausted || rep.Requests != 5 {
		t.Errorf("interrupted %v, exhausted %v, requests %d; want interrupted after 5", rep.Interrupted, rep.Exhausted, rep.Requests)
	}
	// An ended context before the timed part is an error.
	if _, err := loadgen.Run(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with an ended context = %v", err)
	}
}

func TestRunBadConfig(t *testing.T) {
	if _, err := loadgen.Run(context.Background(), loadgen.Config{}); err == nil {
		t.Error("Run accepted an empty Config")
	}
}

// TestRunSeveralTargets spreads the workers over the nodes named in
// Target: with 3 workers and 2 nodes, both get requests.
func TestRunSeveralTargets(t *testing.T) {
	g, g2 := &fakeGateway{}, &fakeGateway{seen: map[string]bool{}}
	cfg := config(t, g, loadgen.ScenarioPay, 30)
	srv2 := httptest.NewServer(g2)
	t.Cleanup(srv2.Close)
	cfg.Target += ", " + srv2.URL + "/"
	rep := run(t, g, cfg)
	n1, _ := g.stats()
	n2, bad := g2.stats()
	if n1 == 0 || n2 == 0 || n1+n2 != 30 || rep.Requests != 30 || len(bad) > 0 {
		t.Errorf("nodes saw %d and %d requests (bad signatures %q), report %d; want both some, 30 in all", n1, n2, bad, rep.Requests)
	}
}

// TestRunConnectionClose: a server that closes the connection after each
// answer (Connection: close) costs the run no errors; each worker dials
// again.
func TestRunConnectionClose(t *testing.T) {
	g := &fakeGateway{}
	cfg := config(t, g, loadgen.ScenarioPay, 12)
	g.onRequest = func(int) {}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		g.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg.Target = srv.URL
	if rep := run(t, g, cfg); rep.Requests != 12 {
		t.Errorf("requests %d, want 12", rep.Requests)
	}
}

// TestConfigTarget refuses a target the generator cannot talk to, naming it.
func TestConfigTarget(t *testing.T) {
	g := &fakeGateway{}
	for _, target := range []string{"ftp://127.0.0.1:1", "http://127.0.0.1:1/?q=1", "http://", " , "} {
		cfg := config(t, g, loadgen.ScenarioPay, 1)
		cfg.Target = target
		if _, err := loadgen.Run(context.Background(), cfg); err == nil {
			t.Errorf("Target %q: no error", target)
		}
	}
}
