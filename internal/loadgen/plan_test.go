package loadgen

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// testKey is a client key, generated once for the package's tests.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := wire.GenerateKey(nil)
	if err != nil {
		panic(err)
	}
	return k
})

// apis counts reqs by API.
func apis(reqs []*request) map[string]int {
	m := map[string]int{}
	for _, r := range reqs {
		m[r.api]++
	}
	return m
}

func TestBuildPlanPay(t *testing.T) {
	p, toSign := buildPlan(ScenarioPay, 25, 10, "RUN", nil)
	if len(p.reqs) != 25 || p.cyclic || len(toSign) != 25 {
		t.Fatalf("plan of %d (cyclic %v), %d to sign; want 25, not cyclic, all signed", len(p.reqs), p.cyclic, len(toSign))
	}
	seen := map[string]bool{}
	for i, r := range p.reqs {
		if r.api != "pay" || r.path != pathPay {
			t.Fatalf("request %d: %s %s", i, r.api, r.path)
		}
		var body struct {
			PaymentRequestID string `json:"paymentRequestId"`
			Amount           struct {
				Value string `json:"value"`
			} `json:"paymentAmount"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatalf("request %d: %v: %s", i, err, r.body)
		}
		if !strings.HasPrefix(body.PaymentRequestID, "RUN_P") || seen[body.PaymentRequestID] || body.Amount.Value != "100" {
			t.Errorf("request %d: paymentRequestId %q (seen %v), value %q", i, body.PaymentRequestID, seen[body.PaymentRequestID], body.Amount.Value)
		}
		seen[body.PaymentRequestID] = true
	}
	if _, ok := p.next(25); ok {
		t.Error("a pay plan of 25 gave a 26th request")
	}
}

func TestBuildPlanInquiry(t *testing.T) {
	p, toSign := buildPlan(ScenarioInquiry, 1000, 10, "RUN", []string{"A", "B", "C"})
	if len(p.reqs) != 3 || !p.cyclic || len(toSign) != 3 {
		t.Fatalf("plan of %d (cyclic %v), %d to sign; want one inquiry per payment, cyclic", len(p.reqs), p.cyclic, len(toSign))
	}
	for i, want := range []string{"A", "B", "C", "A", "B"} {
		r, ok := p.next(int64(i))
		if !ok || r.api != "inquiryPayment" || r.path != pathInquiry || string(r.body) != `{"paymentId":"`+want+`"}` {
			t.Errorf("next(%d) = %v %+v, want the inquiry of %s", i, ok, r, want)
		}
	}
}

func TestBuildPlanDuplicates(t *testing.T) {
	p, toSign := buildPlan(ScenarioDuplicates, 12, 5, "RUN", nil)
	if len(p.reqs) != 12 || len(toSign) != 3 {
		t.Fatalf("plan of %d, %d to sign; want 12 and 3 bursts", len(p.reqs), len(toSign))
	}
	for i, r := range p.reqs {
		if r != toSign[i/5] {
			t.Errorf("request %d is not the pay of burst %d", i, i/5)
		}
	}
	if !bytes.Contains(toSign[2].body, []byte(`"RUN_D0000002"`)) {
		t.Errorf("third burst: %s", toSign[2].body)
	}
}

func TestBuildPlanMixed(t *testing.T) {
	ids := []string{"A", "B"}
	p, toSign := buildPlan(ScenarioMixed, 30, 10, "RUN", ids)
	if got := apis(p.reqs); got["pay"] != 18 || got["inquiryPayment"] != 9 || got["refund"] != 3 || len(got) != 3 {
		t.Errorf("30 mixed requests: %v, want 18 pays, 9 inquiries, 3 refunds", got)
	}
	for i, r := range p.reqs {
		if r.api != mixPattern[i%10] {
			t.Errorf("request %d is %s, the pattern says %s", i, r.api, mixPattern[i%10])
		}
	}
	// The inquiries are shared, one per payment, and signed once each.
	if got := apis(toSign); got["pay"] != 18 || got["inquiryPayment"] != 2 || got["refund"] != 3 {
		t.Errorf("to sign: %v, want 18 pays, 2 inquiries, 3 refunds", got)
	}
	var refunds []string
	for _, r := range p.reqs {
		if r.api == "refund" {
			refunds = append(refunds, string(r.body))
		}
	}
	for i, want := range []string{`"RUN_R0000000","paymentId":"A"`, `"RUN_R0000001","paymentId":"B"`, `"RUN_R0000002","paymentId":"A"`} {
		if !strings.Contains(refunds[i], want) {
			t.Errorf("refund %d = %s, want %s", i, refunds[i], want)
		}
	}
}

func TestPlanSize(t *testing.T) {
	var log bytes.Buffer
	b := &runner{cfg: Config{Duration: 10 * time.Second, Concurrency: 4, Log: &log}}
	b.cfg.Requests = 7
	if n := b.planSize(1000); n != 7 {
		t.Errorf("with Requests 7: %d", n)
	}
	b.cfg.Requests = 0
	if n := b.planSize(100); n != 1504 { // 1.5 × 100/s × 10s + the workers
		t.Errorf("closed loop at 100 pairs/s for 10s, 4 workers: %d, want 1504", n)
	}
	b.cfg.Rate = 50
	if n := b.planSize(0); n != 501 {
		t.Errorf("open loop at 50/s for 10s: %d, want 501", n)
	}
	if log.Len() != 0 {
		t.Errorf("logged %q under the cap", log.String())
	}
	b.cfg.Rate = 1_000_000
	if n := b.planSize(0); n != autoCap || !strings.Contains(log.String(), "set --requests to go beyond") {
		t.Errorf("open loop at 1000000/s: %d, log %q; want the cap and a note", n, log.String())
	}
}

// TestPresign checks that every pre-signed request carries a Signature
// header over exactly what is sent, under the configured client and key
// version.
func TestPresign(t *testing.T) {
	key := testKey()
	b := &runner{cfg: Config{ClientID: "C1", PrivateKey: key, KeyVersion: 3}}
	p, toSign := buildPlan(ScenarioMixed, 20, 1, "RUN", []string{"A"})
	if err := b.presign(context.Background(), toSign); err != nil {
		t.Fatal(err)
	}
	for i, r := range p.reqs {
		if _, err := wire.ParseTime(r.time); err != nil {
			t.Fatalf("request %d: Request-Time %q: %v", i, r.time, err)
		}
		sh, err := wire.ParseSignatureHeader(r.sig)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if sh.KeyVersion != 3 {
			t.Errorf("request %d: keyVersion %d, want 3", i, sh.KeyVersion)
		}
		m := wire.Message{Method: http.MethodPost, URI: r.path, ClientID: "C1", Time: r.time, Body: r.body}
		if err := m.Verify(&key.PublicKey, sh); err != nil {
			t.Errorf("request %d (%s): %v", i, r.api, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.presign(ctx, toSign); err != context.Canceled {
		t.Errorf("presign with an ended context = %v", err)
	}
}

func TestRunID(t *testing.T) {
	a, b := newRunID(), newRunID()
	if a == b || !strings.HasPrefix(a, "BENCH_") || strings.Trim(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
		t.Errorf("run ids %q, %q: want distinct, BENCH_ and only A-Z, 0-9 and _", a, b)
	}
}
