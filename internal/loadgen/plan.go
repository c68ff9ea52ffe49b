package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// The scenarios, the values of Config.Scenario.
const (
	// ScenarioPay sends a new in-store PaymentCode payment of 1.00 USD with
	// every request.
	ScenarioPay = "pay"
	// ScenarioInquiry sends inquiryPayment for the Config.Payments payments
	// created before the timed part, round robin.
	ScenarioInquiry = "inquiry"
	// ScenarioMixed sends, per 10 requests, 6 new pays, 3 inquiryPayment and
	// 1 refund of 0.01 USD of the payments created before the timed part.
	ScenarioMixed = "mixed"
	// ScenarioDuplicates sends pays in bursts of Config.Burst requests with
	// the same paymentRequestId.
	ScenarioDuplicates = "duplicates"
)

const (
	pathPay     = "/ams/api/v1/payments/pay"
	pathInquiry = "/ams/api/v1/payments/inquiryPayment"
	pathRefund  = "/ams/api/v1/payments/refund"

	// autoCap caps the automatic number of pre-signed requests.
	autoCap = 200_000
)

// request is one pre-signed request. Inquiries are shared: the same request
// is sent again and again.
type request struct {
	api  string // "pay", "inquiryPayment", "refund"
	path string
	body []byte
	time string // Request-Time, as signed
	sig  string // Signature header value
	sent atomic.Bool
}

func payBody(requestID string, value int64) []byte {
	return fmt.Appendf(nil, `{"productCode":"IN_STORE_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":"ORDER_%s","orderDescription":"bench"},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281012345678"},`+
		`"paymentFactor":{"inStorePaymentScenario":"PaymentCode"}}`, requestID, requestID, value)
}

func inquiryBody(paymentID string) []byte {
	return fmt.Appendf(nil, `{"paymentId":%q}`, paymentID)
}

func refundBody(requestID, paymentID string) []byte {
	return fmt.Appendf(nil, `{"refundRequestId":%q,"paymentId":%q,"refundAmount":{"currency":"USD","value":"1"},"refundReason":"bench"}`,
		requestID, paymentID)
}

func newPay(id string, value int64) *request {
	return &request{api: "pay", path: pathPay, body: payBody(id, value)}
}

// mixPattern is the mixed scenario, 10 requests at a time: 6 pays,
// 3 inquiries, 1 refund.
var mixPattern = [10]string{"pay", "inquiryPayment", "pay", "pay", "inquiryPayment", "pay", "refund", "pay", "inquiryPayment", "pay"}

// newRunID is a fresh prefix for request ids: letters, digits and _ only,
// valid on every API family.
func newRunID() string {
	var b [4]byte
	rand.Read(b[:])
	return "BENCH_" + time.Now().UTC().Format("20060102T150405") + "_" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// plan is the sequence of requests of a run; a cyclic plan starts over.
type plan struct {
	reqs   []*request
	cyclic bool
}

// next returns the request with sequence number i, false when the plan has
// run out.
func (p *plan) next(i int64) (*request, bool) {
	if p.cyclic {
		return p.reqs[i%int64(len(p.reqs))], true
	}
	if i >= int64(len(p.reqs)) {
		return nil, false
	}
	return p.reqs[i], true
}

// planSize is the number of requests to lay out: Config.Requests, or what
// the run can use (at most autoCap). cryptoRate is the sign+verify pairs per
// second a --max run is sized from.
func (b *runner) planSize(cryptoRate float64) int {
	n := b.cfg.Requests
	if n != 0 {
		return n
	}
	if b.max() {
		n = int(math.Ceil(1.5*cryptoRate*b.cfg.Duration.Seconds())) + b.cfg.Concurrency
	} else {
		n = int(math.Ceil(float64(b.cfg.Rate)*b.cfg.Duration.Seconds())) + 1
	}
	if n > autoCap {
		b.logf("pre-signing %d requests, not the %d the run could use (the automatic cap; set --requests to go beyond)", autoCap, n)
		n = autoCap
	}
	return n
}

// buildPlan lays out n requests of scenario (an inquiry plan is one
// inquiry per payment, cyclic), their ids starting with runID, and returns
// the plan and the distinct requests to sign.
func buildPlan(scenario string, n, burst int, runID string, paymentIDs []string) (plan, []*request) {
	id := func(kind string, i int) string { return fmt.Sprintf("%s_%s%07d", runID, kind, i) }
	var inquiries []*request
	for _, p := range paymentIDs {
		inquiries = append(inquiries, &request{api: "inquiryPayment", path: pathInquiry, body: inquiryBody(p)})
	}
	switch scenario {
	case ScenarioPay:
		reqs := make([]*request, n)
		for i := range reqs {
			reqs[i] = newPay(id("P", i), 100)
		}
		return plan{reqs: reqs}, reqs
	case ScenarioInquiry:
		return plan{reqs: inquiries, cyclic: true}, inquiries
	case ScenarioDuplicates:
		reqs := make([]*request, n)
		var unique []*request
		for i := range reqs {
			if i%burst == 0 {
				unique = append(unique, newPay(id("D", i/burst), 100))
			}
			reqs[i] = unique[len(unique)-1]
		}
		return plan{reqs: reqs}, unique
	default: // mixed
		reqs := make([]*request, n)
		toSign := append([]*request(nil), inquiries...)
		var pays, inqs, refunds int
		for i := range reqs {
			var r *request
			switch mixPattern[i%len(mixPattern)] {
			case "pay":
				r = newPay(id("P", pays), 100)
				pays++
			case "inquiryPayment":
				r = inquiries[inqs%len(inquiries)]
				inqs++
			default:
				r = &request{api: "refund", path: pathRefund,
					body: refundBody(id("R", refunds), paymentIDs[refunds%len(paymentIDs)])}
				refunds++
			}
			reqs[i] = r
			if r.api != "inquiryPayment" {
				toSign = append(toSign, r)
			}
		}
		return plan{reqs: reqs}, toSign
	}
}

// presign signs reqs on every core.
func (b *runner) presign(ctx context.Context, reqs []*request) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) {
					return
				}
				if err := b.sign(reqs[i]); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// sign sets r's Request-Time to now and signs r with the client's key.
func (b *runner) sign(r *request) error {
	r.time = wire.FormatTime(time.Now())
	sh, err := wire.Message{Method: http.MethodPost, URI: r.path, ClientID: b.cfg.ClientID, Time: r.time, Body: r.body}.Sign(b.cfg.PrivateKey, b.cfg.KeyVersion)
	if err != nil {
		return err
	}
	r.sig = sh.String()
	return nil
}
