package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/antomgw/antomgw/wire"
)

const benchSynopsis = `antomgw bench --target URL --client-id ID --private-key FILE --gateway-public-key FILE
                     [--max | --rate N] [--duration D] [--concurrency C]
                     [--scenario pay|inquiry|mixed|duplicates] [--json FILE] [--limit]
       antomgw bench --limit [--json FILE]`

const benchDoc = `Load a running gateway with signed requests and report its throughput,
its latency and the result codes it answered.

Every request is signed before the timed part starts, so the load
generator's own RSA signatures do not take CPU from the server during the
run. The signed Request-Time is therefore the time of pre-signing; the
server accepts it unless it runs with --max-clock-skew. The pre-signed set
is sized from the run: --rate N for --duration D needs N×D requests; --max
needs at most what a server on these cores could answer, estimated from a
short measurement of this machine's sign+verify rate (×1.5). The automatic
size is capped at 200000 requests (about 1 KB each, so about 200 MB);
--requests sets it explicitly. A --max run that uses up its requests ends
early and says so.

Scenarios (the AMS v1 paths, /ams/api/v1/payments/...):
  pay         every request a new in-store PaymentCode payment of 1.00 USD
              (value 100: the simulated wallet answers S SUCCESS at once);
              paymentRequestIds start with a fresh run id, so runs never
              collide.
  inquiry     first (untimed) creates --payments payments, then sends
              inquiryPayment by paymentId for them, round robin.
  mixed       first creates --payments payments of 10000.00 USD, then per
              10 requests: 6 new pays, 3 inquiryPayment, 1 refund of 0.01 USD
              of a created payment (each refund has its own refundRequestId).
  duplicates  pays in bursts of --burst requests with the same
              paymentRequestId, sent back to back by the workers (so
              concurrently when --concurrency > 1): the first creates the
              payment, the others answer a replay or PAYMENT_IN_PROCESS.

Load:
  --max       closed loop: --concurrency workers each send the next request
              as soon as the previous answer arrives. Latency is from send
              to the end of the answer. The default.
  --rate N    open loop: request i is due at start + i/N whatever the
              server does; --concurrency workers send them on schedule
              (and late when all are busy). Latency is measured from the
              scheduled time, not the actual send, so a stalled server
              shows in the percentiles instead of slowing the generator
              down (no coordinated omission). Requests sent more than 1 ms
              late are counted: many of them mean --concurrency is too
              small for the rate.

A progress line (req/s in the last second, p99 so far, errors) goes to
stderr every second. One response in --verify-every (and always the first)
has its signature verified with --gateway-public-key; a failure counts as
an error. The table on stdout ends the run; --json FILE writes the same
figures.

--limit measures this machine's crypto ceiling: GOMAXPROCS goroutines do
RSA-2048 sign+verify pairs with package wire for --limit-duration. Every
gateway request costs one verification and one signature, so a server on
these cores cannot answer more requests per second than that; with
--target the run's requests/s is also shown as a fraction of it (measured
before the run, while the server is idle). --limit alone prints only the
ceiling.`

// Scenario names.
const (
	benchPay        = "pay"
	benchInquiry    = "inquiry"
	benchMixed      = "mixed"
	benchDuplicates = "duplicates"
)

const (
	benchPathPay     = "/ams/api/v1/payments/pay"
	benchPathInquiry = "/ams/api/v1/payments/inquiryPayment"
	benchPathRefund  = "/ams/api/v1/payments/refund"

	// benchAutoCap caps the automatic number of pre-signed requests.
	benchAutoCap = 200_000
	// benchLateAfter: an open-loop request sent later than this after its
	// scheduled time counts as late.
	benchLateAfter = time.Millisecond
)

// benchConfig is everything bench reads from its flags.
type benchConfig struct {
	target, clientID, privateKey string
	gatewayKeys                  gatewayKeysFlag
	keyVersion                   int
	max                          bool
	rate                         int
	duration                     time.Duration
	concurrency                  int
	scenario                     string
	burst                        int
	payments                     int
	requests                     int
	verifyEvery                  int
	timeout                      time.Duration
	jsonFile                     string
	limit                        bool
	limitDuration                time.Duration
}

func runBench(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, benchSynopsis, benchDoc)
	var c benchConfig
	f.StringVar(&c.target, "target", "", "base URL of the gateway, e.g. http://127.0.0.1:8080")
	f.note("target", "URL")
	f.StringVar(&c.clientID, "client-id", "", "registered client id the requests are signed for")
	f.note("client-id", "ID")
	f.StringVar(&c.privateKey, "private-key", "", "the client's RSA private key (PEM or bare base64 DER)")
	f.note("private-key", "FILE")
	c.gatewayKeys.define(f)
	f.IntVar(&c.keyVersion, "key-version", 1, "keyVersion of the client key written into the Signature header")
	f.note("key-version", "N")
	f.BoolVar(&c.max, "max", false, "closed loop at the highest rate the server answers (the default)")
	f.note("max", "")
	f.IntVar(&c.rate, "rate", 0, "open loop at N requests per second")
	f.note("rate", "N")
	f.DurationVar(&c.duration, "duration", 10*time.Second, "length of the timed run")
	f.note("duration", "D")
	f.IntVar(&c.concurrency, "concurrency", 16, "workers, each with at most one request in flight")
	f.note("concurrency", "C")
	f.StringVar(&c.scenario, "scenario", benchPay, "pay, inquiry, mixed or duplicates")
	f.note("scenario", "NAME")
	f.IntVar(&c.burst, "burst", 10, "duplicates: requests per paymentRequestId")
	f.note("burst", "N")
	f.IntVar(&c.payments, "payments", 100, "inquiry, mixed: payments created before the timed part")
	f.note("payments", "N")
	f.IntVar(&c.requests, "requests", 0, "requests to pre-sign (0: from --rate×--duration or this machine's crypto rate, at most 200000)")
	f.note("requests", "N")
	f.IntVar(&c.verifyEvery, "verify-every", 20, "verify the signature of one response in N (and always the first)")
	f.note("verify-every", "N")
	f.DurationVar(&c.timeout, "timeout", 30*time.Second, "timeout of one request")
	f.note("timeout", "D")
	f.StringVar(&c.jsonFile, "json", "", "also write the figures as JSON to FILE")
	f.note("json", "FILE")
	f.BoolVar(&c.limit, "limit", false, "measure the crypto ceiling (sign+verify pairs per second on these cores)")
	f.note("limit", "")
	f.DurationVar(&c.limitDuration, "limit-duration", 3*time.Second, "how long --limit measures")
	f.note("limit-duration", "D")
	if err := f.parse(args); err != nil {
		return err
	}
	if !c.limit || c.target != "" {
		for _, name := range []string{"target", "client-id", "private-key", "gateway-public-key"} {
			if f.Lookup(name).Value.String() == "" {
				return f.usagef("missing required flag --%s", name)
			}
		}
	}
	switch {
	case c.max && c.rate != 0:
		return f.usagef("--max and --rate exclude each other")
	case c.rate < 0:
		return f.usagef("--rate must be positive, got %d", c.rate)
	case c.duration <= 0:
		return f.usagef("--duration must be positive, got %s", c.duration)
	case c.concurrency < 1:
		return f.usagef("--concurrency must be at least 1, got %d", c.concurrency)
	case c.burst < 1:
		return f.usagef("--burst must be at least 1, got %d", c.burst)
	case c.payments < 1:
		return f.usagef("--payments must be at least 1, got %d", c.payments)
	case c.requests < 0:
		return f.usagef("--requests must not be negative, got %d", c.requests)
	case c.verifyEvery < 1:
		return f.usagef("--verify-every must be at least 1, got %d", c.verifyEvery)
	case c.limitDuration <= 0:
		return f.usagef("--limit-duration must be positive, got %s", c.limitDuration)
	case c.keyVersion < 1:
		return f.usagef("--key-version must be a positive integer, got %d", c.keyVersion)
	}
	switch c.scenario {
	case benchPay, benchInquiry, benchMixed, benchDuplicates:
	default:
		return f.usagef("--scenario %q: want pay, inquiry, mixed or duplicates", c.scenario)
	}
	c.max = c.rate == 0
	c.target = strings.TrimRight(c.target, "/")

	if c.target == "" { // --limit alone
		fmt.Fprintf(e.stderr, "measuring the crypto ceiling for %s…\n", c.limitDuration)
		ceil, err := benchMeasureCeiling(ctx, c.limitDuration)
		if err != nil {
			return err
		}
		rep := &benchReport{Ceiling: &ceil, GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), Results: []benchCount{}}
		fmt.Fprintf(e.stdout, "crypto ceiling  %.1f sign+verify pairs/s (RSA-2048, %d goroutines, %.1fs; sign %.0f µs, verify %.0f µs per core)%s\n",
			ceil.PairsPerSecond, ceil.Goroutines, ceil.Seconds, ceil.SignMicros, ceil.VerifyMicros, benchFreeNote(&ceil))
		return benchWriteJSON(c.jsonFile, rep)
	}

	key, err := loadPrivateKey(c.privateKey)
	if err != nil {
		return err
	}
	gw, err := c.gatewayKeys.load()
	if err != nil {
		return err
	}
	b := newBencher(e, c, key, gw)
	rep, err := b.run(ctx)
	if err != nil {
		return err
	}
	rep.writeTable(e.stdout)
	if err := benchWriteJSON(c.jsonFile, rep); err != nil {
		return err
	}
	return nil
}

// --- report -------------------------------------------------------------------

// benchReport is what a run measured; --json writes it as it is. The field
// names are stable.
type benchReport struct {
	Target      string `json:"target,omitempty"`
	Scenario    string `json:"scenario,omitempty"`
	Mode        string `json:"mode,omitempty"` // "max" or "rate"
	Rate        int    `json:"rate,omitempty"` // the --rate asked for
	Concurrency int    `json:"concurrency,omitempty"`
	GOMAXPROCS  int    `json:"gomaxprocs"`
	NumCPU      int    `json:"numCPU"`
	StartedAt   string `json:"startedAt,omitempty"`
	// Presigned is the number of requests signed before the run (shared
	// inquiries counted once), PresignSeconds how long that took.
	Presigned      int     `json:"presigned,omitempty"`
	PresignSeconds float64 `json:"presignSeconds,omitempty"`
	// SetupPayments were created before the timed part (inquiry, mixed).
	SetupPayments int `json:"setupPayments,omitempty"`

	Requests          int64        `json:"requests"`
	DurationSeconds   float64      `json:"durationSeconds"`
	RequestsPerSecond float64      `json:"requestsPerSecond"`
	LatencyMs         benchLatency `json:"latencyMs"`
	Results           []benchCount `json:"results"`
	// Distinct is the number of distinct request bodies sent (for
	// duplicates: distinct paymentRequestIds).
	Distinct int64       `json:"distinct"`
	Errors   benchErrors `json:"errors"`
	// Verified is the number of response signatures verified.
	Verified int64 `json:"signaturesVerified"`
	// GeneratorCPUMsPerRequest is the CPU time this process (the load
	// generator) used per request during the timed part (Linux only).
	GeneratorCPUMsPerRequest float64 `json:"generatorCpuMsPerRequest,omitempty"`
	// Late counts open-loop requests sent more than 1 ms after their
	// scheduled time.
	Late int64 `json:"late"`
	// Exhausted: a --max run used up its pre-signed requests before
	// --duration.
	Exhausted bool `json:"exhausted,omitempty"`
	// Interrupted: the run was stopped (SIGINT) before --duration.
	Interrupted bool `json:"interrupted,omitempty"`

	Ceiling *benchCeiling `json:"cryptoCeiling,omitempty"`
	// CeilingFraction is RequestsPerSecond / Ceiling.PairsPerSecond.
	CeilingFraction float64 `json:"ceilingFraction,omitempty"`
}

type benchLatency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// benchCount is how many answers had one API, result status and code;
// Replay when the gateway marked them x-idempotent-replay.
type benchCount struct {
	API    string `json:"api"`
	Status string `json:"status"`
	Code   string `json:"code"`
	Replay bool   `json:"replay,omitempty"`
	Count  int64  `json:"count"`
}

type benchErrors struct {
	Total int64 `json:"total"`
	// Transport: no HTTP answer (connection refused or reset, timeout).
	Transport int64 `json:"transport"`
	// HTTPStatus: an answer other than 200.
	HTTPStatus int64 `json:"httpStatus"`
	// Signature: a sampled answer whose signature did not verify.
	Signature int64 `json:"signature"`
	// Body: a 200 answer without a readable result.
	Body int64 `json:"body"`
	// Samples are the first few distinct error messages.
	Samples []string `json:"samples,omitempty"`
}

type benchCeiling struct {
	PairsPerSecond float64 `json:"pairsPerSecond"`
	Goroutines     int     `json:"goroutines"`
	Seconds        float64 `json:"seconds"`
	// SignMicros and VerifyMicros are the time of one operation on one
	// core, from a short single-goroutine measurement (wall clock).
	SignMicros   float64 `json:"signMicros"`
	VerifyMicros float64 `json:"verifyMicros"`
	// CPUSeconds is the CPU time the measurement used (Linux, from
	// /proc/self/stat; 0 elsewhere). FreePairsPerSecond is the ceiling
	// with every core free of other processes: pairs per CPU second times
	// Goroutines. On a shared machine PairsPerSecond is lower.
	CPUSeconds         float64 `json:"cpuSeconds,omitempty"`
	FreePairsPerSecond float64 `json:"freePairsPerSecond,omitempty"`
}

func benchWriteJSON(file string, rep *benchReport) error {
	if file == "" {
		return nil
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("--json: %w", err)
	}
	return nil
}

func benchMs(ns int64) float64 { return float64(ns) / 1e6 }

func (r *benchReport) writeTable(w io.Writer) {
	mode := "--max"
	if r.Mode == "rate" {
		mode = fmt.Sprintf("--rate %d", r.Rate)
	}
	fmt.Fprintf(w, "scenario %s, %s, concurrency %d, target %s, GOMAXPROCS %d\n", r.Scenario, mode, r.Concurrency, r.Target, r.GOMAXPROCS)
	fmt.Fprintf(w, "%-16s %d in %.1fs, before the timed part\n", "pre-signed", r.Presigned, r.PresignSeconds)
	if r.SetupPayments > 0 {
		fmt.Fprintf(w, "%-16s %d payments created before the timed part\n", "setup", r.SetupPayments)
	}
	fmt.Fprintf(w, "%-16s %d\n", "requests", r.Requests)
	fmt.Fprintf(w, "%-16s %.2fs\n", "duration", r.DurationSeconds)
	fmt.Fprintf(w, "%-16s %.1f\n", "requests/s", r.RequestsPerSecond)
	fmt.Fprintf(w, "%-16s p50 %.2fms  p90 %.2fms  p99 %.2fms  max %.2fms  mean %.2fms\n", "latency",
		r.LatencyMs.P50, r.LatencyMs.P90, r.LatencyMs.P99, r.LatencyMs.Max, r.LatencyMs.Mean)
	fmt.Fprintf(w, "%-16s\n", "results")
	for _, c := range r.Results {
		code := c.Status + " " + c.Code
		if c.Replay {
			code += " (replay)"
		}
		fmt.Fprintf(w, "  %-15s %-40s %d\n", c.API, code, c.Count)
	}
	if r.Scenario == benchDuplicates {
		fmt.Fprintf(w, "%-16s %d\n", "request ids", r.Distinct)
	}
	fmt.Fprintf(w, "%-16s %d (transport %d, HTTP status %d, signature %d of %d verified, body %d)\n", "errors",
		r.Errors.Total, r.Errors.Transport, r.Errors.HTTPStatus, r.Errors.Signature, r.Verified, r.Errors.Body)
	for _, s := range r.Errors.Samples {
		fmt.Fprintf(w, "  %s\n", s)
	}
	if r.Mode == "rate" {
		fmt.Fprintf(w, "%-16s %d (sent more than 1ms after their scheduled time)\n", "late", r.Late)
	}
	if r.GeneratorCPUMsPerRequest > 0 {
		fmt.Fprintf(w, "%-16s %.3f ms CPU per request (this load generator)\n", "generator", r.GeneratorCPUMsPerRequest)
	}
	if r.Exhausted {
		fmt.Fprintf(w, "%-16s the pre-signed requests ran out before --duration; raise --requests\n", "note")
	}
	if r.Interrupted {
		fmt.Fprintf(w, "%-16s interrupted before --duration\n", "note")
	}
	if r.Ceiling != nil {
		fmt.Fprintf(w, "%-16s %.1f sign+verify pairs/s (RSA-2048, %d goroutines, %.1fs)%s\n", "crypto ceiling",
			r.Ceiling.PairsPerSecond, r.Ceiling.Goroutines, r.Ceiling.Seconds, benchFreeNote(r.Ceiling))
		fmt.Fprintf(w, "%-16s %.2f of the crypto ceiling\n", "ceiling share", r.CeilingFraction)
	}
}

// benchFreeNote tells the ceiling with the cores free when other processes
// took a visible part of them (more than 5%).
func benchFreeNote(c *benchCeiling) string {
	if c.FreePairsPerSecond <= c.PairsPerSecond*1.05 {
		return ""
	}
	return fmt.Sprintf("; other processes took part of the cores: %.1f pairs/s per CPU second × %d = %.1f with the cores free",
		c.FreePairsPerSecond/float64(c.Goroutines), c.Goroutines, c.FreePairsPerSecond)
}

// --- the crypto ceiling -------------------------------------------------------

// benchMeasureCeiling runs GOMAXPROCS goroutines doing RSA-2048 sign+verify
// pairs with package wire for d, over content the size of a pay request.
func benchMeasureCeiling(ctx context.Context, d time.Duration) (benchCeiling, error) {
	key, err := wire.GenerateKey(nil)
	if err != nil {
		return benchCeiling{}, err
	}
	content := wire.SigningContent(http.MethodPost, benchPathPay, "BENCH_CLIENT", wire.FormatTime(time.Now()),
		benchPayBody("BENCH_CEILING_0000000", 100))
	sigOnce, err := wire.Sign(key, content)
	if err != nil {
		return benchCeiling{}, err
	}
	// One core alone: the cost of each operation.
	var c benchCeiling
	single := func(op func() error) (float64, error) {
		n, start := 0, time.Now()
		for time.Since(start) < 200*time.Millisecond || n < 3 {
			if err := op(); err != nil {
				return 0, err
			}
			n++
		}
		return float64(time.Since(start).Microseconds()) / float64(n), nil
	}
	if c.SignMicros, err = single(func() error { _, err := wire.Sign(key, content); return err }); err != nil {
		return c, err
	}
	if c.VerifyMicros, err = single(func() error { return wire.Verify(&key.PublicKey, content, sigOnce) }); err != nil {
		return c, err
	}

	c.Goroutines = runtime.GOMAXPROCS(0)
	cpu0, cpuOK := benchProcCPU()
	var pairs atomic.Int64
	var firstErr error
	var errOnce sync.Once
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range c.Goroutines {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				sig, err := wire.Sign(key, content)
				if err == nil {
					err = wire.Verify(&key.PublicKey, content, sig)
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				pairs.Add(1)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return c, firstErr
	}
	if err := ctx.Err(); err != nil {
		return c, err
	}
	c.Seconds = time.Since(start).Seconds()
	c.PairsPerSecond = float64(pairs.Load()) / c.Seconds
	if cpu1, ok := benchProcCPU(); ok && cpuOK && cpu1 > cpu0 {
		c.CPUSeconds = (cpu1 - cpu0).Seconds()
		c.FreePairsPerSecond = float64(pairs.Load()) / c.CPUSeconds * float64(c.Goroutines)
	}
	return c, nil
}

// benchProcCPU is the CPU time (user + system) this process has used, from
// /proc/self/stat; false where there is no such file.
func benchProcCPU() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14, stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	// Linux reports these in USER_HZ, 100 per second on every architecture
	// Go supports.
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}

// --- requests -----------------------------------------------------------------

// benchReq is one pre-signed request. Inquiries are shared: the same
// request is sent again and again.
type benchReq struct {
	api  string // "pay", "inquiryPayment", "refund"
	path string
	body []byte
	time string // Request-Time, as signed
	sig  string // Signature header value
	sent atomic.Bool
}

func benchPayBody(requestID string, value int64) []byte {
	return fmt.Appendf(nil, `{"productCode":"IN_STORE_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":"ORDER_%s","orderDescription":"bench"},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281012345678"},`+
		`"paymentFactor":{"inStorePaymentScenario":"PaymentCode"}}`, requestID, requestID, value)
}

func benchInquiryBody(paymentID string) []byte {
	return fmt.Appendf(nil, `{"paymentId":%q}`, paymentID)
}

func benchRefundBody(requestID, paymentID string) []byte {
	return fmt.Appendf(nil, `{"refundRequestId":%q,"paymentId":%q,"refundAmount":{"currency":"USD","value":"1"},"refundReason":"bench"}`,
		requestID, paymentID)
}

func benchNewPay(id string, value int64) *benchReq {
	return &benchReq{api: "pay", path: benchPathPay, body: benchPayBody(id, value)}
}

// benchMixPattern is the mixed scenario, 10 requests at a time: 6 pays,
// 3 inquiries, 1 refund.
var benchMixPattern = [10]string{"pay", "inquiryPayment", "pay", "pay", "inquiryPayment", "pay", "refund", "pay", "inquiryPayment", "pay"}

// benchRunID is a fresh prefix for request ids: letters, digits and _ only,
// valid on every API family.
func benchRunID() string {
	var b [4]byte
	rand.Read(b[:])
	return "BENCH_" + time.Now().UTC().Format("20060102T150405") + "_" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// --- the run ------------------------------------------------------------------

type bencher struct {
	e      *env
	c      benchConfig
	key    *rsa.PrivateKey
	gw     map[int]*rsa.PublicKey
	client *http.Client
	runID  string

	// plan is the sequence of requests; cyclic plans start over.
	plan   []*benchReq
	cyclic bool

	done, seen                            atomic.Int64
	transport, httpStatus, sigErr, badErr atomic.Int64
	verified, late, distinct              atomic.Int64
	hist                                  benchHist

	mu      sync.Mutex
	samples []string
}

func newBencher(e *env, c benchConfig, key *rsa.PrivateKey, gw map[int]*rsa.PublicKey) *bencher {
	tr := &http.Transport{
		Proxy:               nil, // a benchmark talks to the target directly
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * c.concurrency,
		MaxIdleConnsPerHost: c.concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &bencher{
		e: e, c: c, key: key, gw: gw, runID: benchRunID(),
		client: &http.Client{Transport: tr, Timeout: c.timeout},
	}
}

func (b *bencher) logf(format string, args ...any) {
	fmt.Fprintf(b.e.stderr, format+"\n", args...)
}

func (b *bencher) run(ctx context.Context) (*benchReport, error) {
	defer b.client.CloseIdleConnections()
	rep := &benchReport{
		Target: b.c.target, Scenario: b.c.scenario, Mode: "max", Concurrency: b.c.concurrency,
		GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(),
	}
	if !b.c.max {
		rep.Mode, rep.Rate = "rate", b.c.rate
	}
	// 1. The crypto ceiling, while the server is idle; without --limit a
	// short probe of it sizes a --max run.
	var cryptoRate float64
	if b.c.limit {
		b.logf("measuring the crypto ceiling for %s…", b.c.limitDuration)
		ceil, err := benchMeasureCeiling(ctx, b.c.limitDuration)
		if err != nil {
			return nil, err
		}
		rep.Ceiling = &ceil
		cryptoRate = ceil.PairsPerSecond
	} else if b.c.max && b.c.requests == 0 && b.c.scenario != benchInquiry {
		ceil, err := benchMeasureCeiling(ctx, 300*time.Millisecond)
		if err != nil {
			return nil, err
		}
		cryptoRate = ceil.PairsPerSecond
	}

	// 2. Payments the scenario works on, untimed.
	var paymentIDs []string
	if b.c.scenario == benchInquiry || b.c.scenario == benchMixed {
		value := int64(100)
		if b.c.scenario == benchMixed {
			value = 1_000_000 // room for many refunds of 1
		}
		ids, err := b.setup(ctx, value)
		if err != nil {
			return nil, err
		}
		paymentIDs = ids
		rep.SetupPayments = len(ids)
	}

	// 3. The plan and its pre-signing.
	n := b.c.requests
	if n == 0 {
		if b.c.max {
			n = int(math.Ceil(1.5*cryptoRate*b.c.duration.Seconds())) + b.c.concurrency
		} else {
			n = int(math.Ceil(float64(b.c.rate)*b.c.duration.Seconds())) + 1
		}
		if n > benchAutoCap {
			b.logf("pre-signing %d requests, not the %d the run could use (the automatic cap; set --requests to go beyond)", benchAutoCap, n)
			n = benchAutoCap
		}
	}
	toSign := b.buildPlan(n, paymentIDs)
	b.logf("pre-signing %d requests on %d CPUs…", len(toSign), runtime.GOMAXPROCS(0))
	start := time.Now()
	if err := b.presign(ctx, toSign); err != nil {
		return nil, err
	}
	rep.Presigned, rep.PresignSeconds = len(toSign), time.Since(start).Seconds()
	b.logf("pre-signed %d requests in %.1fs", len(toSign), rep.PresignSeconds)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// 4. The timed part.
	rep.StartedAt = time.Now().UTC().Format(time.RFC3339)
	cpu0, cpuOK := benchProcCPU()
	stats, elapsed, exhausted := b.load(ctx)
	if cpu1, ok := benchProcCPU(); ok && cpuOK && b.done.Load() > 0 {
		rep.GeneratorCPUMsPerRequest = float64((cpu1 - cpu0).Microseconds()) / 1000 / float64(b.done.Load())
	}
	rep.Interrupted = ctx.Err() != nil
	rep.Exhausted = exhausted

	// 5. The figures.
	var lat []int64
	counts := map[benchKey]int64{}
	for _, s := range stats {
		lat = append(lat, s.lat...)
		for k, v := range s.counts {
			counts[k] += v
		}
	}
	rep.Requests = b.done.Load()
	rep.DurationSeconds = elapsed.Seconds()
	if elapsed > 0 {
		rep.RequestsPerSecond = float64(rep.Requests) / elapsed.Seconds()
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		var sum float64
		for _, v := range lat {
			sum += float64(v)
		}
		rep.LatencyMs = benchLatency{
			P50: benchMs(benchQuantile(lat, 0.50)), P90: benchMs(benchQuantile(lat, 0.90)),
			P99: benchMs(benchQuantile(lat, 0.99)), Max: benchMs(lat[len(lat)-1]),
			Mean: sum / float64(len(lat)) / 1e6,
		}
	}
	rep.Results = []benchCount{}
	for k, v := range counts {
		rep.Results = append(rep.Results, benchCount{API: k.api, Status: k.status, Code: k.code, Replay: k.replay, Count: v})
	}
	slices.SortFunc(rep.Results, func(a, b benchCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.API+a.Status+a.Code, b.API+b.Status+b.Code)
	})
	rep.Distinct = b.distinct.Load()
	rep.Errors = benchErrors{
		Transport: b.transport.Load(), HTTPStatus: b.httpStatus.Load(),
		Signature: b.sigErr.Load(), Body: b.badErr.Load(), Samples: b.samples,
	}
	rep.Errors.Total = rep.Errors.Transport + rep.Errors.HTTPStatus + rep.Errors.Signature + rep.Errors.Body
	rep.Verified = b.verified.Load()
	rep.Late = b.late.Load()
	if rep.Ceiling != nil && rep.Ceiling.PairsPerSecond > 0 {
		rep.CeilingFraction = rep.RequestsPerSecond / rep.Ceiling.PairsPerSecond
	}
	return rep, nil
}

// buildPlan lays out the run's requests and returns the distinct ones to
// sign.
func (b *bencher) buildPlan(n int, paymentIDs []string) []*benchReq {
	id := func(kind string, i int) string { return fmt.Sprintf("%s_%s%07d", b.runID, kind, i) }
	var inquiries []*benchReq
	for _, p := range paymentIDs {
		inquiries = append(inquiries, &benchReq{api: "inquiryPayment", path: benchPathInquiry, body: benchInquiryBody(p)})
	}
	switch b.c.scenario {
	case benchPay:
		b.plan = make([]*benchReq, n)
		for i := range b.plan {
			b.plan[i] = benchNewPay(id("P", i), 100)
		}
		return b.plan
	case benchInquiry:
		b.plan, b.cyclic = inquiries, true
		return inquiries
	case benchDuplicates:
		b.plan = make([]*benchReq, n)
		var unique []*benchReq
		for i := range b.plan {
			if i%b.c.burst == 0 {
				unique = append(unique, benchNewPay(id("D", i/b.c.burst), 100))
			}
			b.plan[i] = unique[len(unique)-1]
		}
		return unique
	default: // mixed
		b.plan = make([]*benchReq, n)
		toSign := append([]*benchReq(nil), inquiries...)
		var pays, inqs, refunds int
		for i := range b.plan {
			var r *benchReq
			switch benchMixPattern[i%len(benchMixPattern)] {
			case "pay":
				r = benchNewPay(id("P", pays), 100)
				pays++
			case "inquiryPayment":
				r = inquiries[inqs%len(inquiries)]
				inqs++
			default:
				r = &benchReq{api: "refund", path: benchPathRefund,
					body: benchRefundBody(id("R", refunds), paymentIDs[refunds%len(paymentIDs)])}
				refunds++
			}
			b.plan[i] = r
			if r.api != "inquiryPayment" {
				toSign = append(toSign, r)
			}
		}
		return toSign
	}
}

// presign signs reqs on every core.
func (b *bencher) presign(ctx context.Context, reqs []*benchReq) error {
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

func (b *bencher) sign(r *benchReq) error {
	r.time = wire.FormatTime(time.Now())
	sh, err := wire.Message{Method: http.MethodPost, URI: r.path, ClientID: b.c.clientID, Time: r.time, Body: r.body}.Sign(b.key, b.c.keyVersion)
	if err != nil {
		return err
	}
	r.sig = sh.String()
	return nil
}

// setup creates the payments an inquiry or mixed run works on and returns
// their paymentIds. It verifies every answer: a wrong gateway key shows
// here, before the run.
func (b *bencher) setup(ctx context.Context, value int64) ([]string, error) {
	reqs := make([]*benchReq, b.c.payments)
	for i := range reqs {
		reqs[i] = benchNewPay(fmt.Sprintf("%s_S%07d", b.runID, i), value)
	}
	b.logf("creating %d payments before the timed part…", len(reqs))
	if err := b.presign(ctx, reqs); err != nil {
		return nil, err
	}
	ids := make([]string, len(reqs))
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	for range min(b.c.concurrency, 8) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) {
					return
				}
				body, err := b.setupOne(reqs[i])
				var res struct {
					Result    wire.Result `json:"result"`
					PaymentID string      `json:"paymentId"`
				}
				if err == nil {
					err = json.Unmarshal(body, &res)
				}
				if err == nil && (res.Result.Status != wire.StatusSuccess || res.PaymentID == "") {
					err = fmt.Errorf("answered %s %s: %s", res.Result.Status, res.Result.Code, res.Result.Message)
				}
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("setup: pay %s: %w", reqs[i].body, err) })
					return
				}
				ids[i] = res.PaymentID
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return ids, nil
}

func (b *bencher) setupOne(r *benchReq) ([]byte, error) {
	resp, body, err := b.post(r)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP status %d: %.200s", resp.StatusCode, body)
	}
	if err := b.verify(r, resp, body); err != nil {
		return nil, err
	}
	return body, nil
}

func (b *bencher) post(r *benchReq) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, b.c.target+r.path, bytes.NewReader(r.body))
	if err != nil {
		return nil, nil, err
	}
	req.Header = http.Header{
		"Content-Type": {"application/json; charset=UTF-8"},
		"Client-Id":    {b.c.clientID},
		"Request-Time": {r.time},
		"Signature":    {r.sig},
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	return resp, body, nil
}

// verify checks the gateway's signature over an answer to r.
func (b *bencher) verify(r *benchReq, resp *http.Response, body []byte) error {
	b.verified.Add(1)
	m, sh, err := wire.ReadSigned(resp.Header, wire.Answer, http.MethodPost, r.path, body)
	if err != nil {
		return fmt.Errorf("response signature: %v", err)
	}
	m.ClientID = b.c.clientID
	if err := verifyGatewaySignature(b.gw, sh, m); err != nil {
		return fmt.Errorf("response %w", err)
	}
	return nil
}

type benchKey struct {
	api, status, code string
	replay            bool
}

// benchWorker is what one worker measured.
type benchWorker struct {
	lat    []int64 // nanoseconds
	counts map[benchKey]int64
}

func (b *bencher) next(i int64) (*benchReq, bool) {
	if b.cyclic {
		return b.plan[i%int64(len(b.plan))], true
	}
	if i >= int64(len(b.plan)) {
		return nil, false
	}
	return b.plan[i], true
}

// load runs the timed part and returns each worker's figures, the time
// from the start to the last answer, and whether the plan ran out.
func (b *bencher) load(ctx context.Context) ([]*benchWorker, time.Duration, bool) {
	var next atomic.Int64
	var exhausted atomic.Bool
	stats := make([]*benchWorker, b.c.concurrency)
	start := time.Now()
	end := start.Add(b.c.duration)
	interval := 0.0
	if !b.c.max {
		interval = float64(time.Second) / float64(b.c.rate)
	}
	stopProgress := b.progress(start)
	var wg sync.WaitGroup
	for w := range stats {
		s := &benchWorker{counts: map[benchKey]int64{}}
		stats[w] = s
		wg.Go(func() {
			timer := time.NewTimer(time.Hour)
			defer timer.Stop()
			for ctx.Err() == nil {
				var from time.Time
				i := next.Add(1) - 1
				if b.c.max {
					if time.Now().After(end) {
						return
					}
				} else {
					from = start.Add(time.Duration(float64(i) * interval))
					if !from.Before(end) {
						return
					}
				}
				r, ok := b.next(i)
				if !ok {
					exhausted.Store(true)
					return
				}
				if b.c.max {
					from = time.Now()
				} else if wait := time.Until(from); wait > 0 {
					timer.Reset(wait)
					select {
					case <-timer.C:
					case <-ctx.Done():
						return
					}
				} else if -wait > benchLateAfter {
					b.late.Add(1)
				}
				b.one(s, r)
				lat := time.Since(from)
				s.lat = append(s.lat, int64(lat))
				b.hist.add(int64(lat))
				b.done.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()
	return stats, elapsed, exhausted.Load()
}

// one sends r and records its outcome.
func (b *bencher) one(s *benchWorker, r *benchReq) {
	if r.sent.CompareAndSwap(false, true) {
		b.distinct.Add(1)
	}
	resp, body, err := b.post(r)
	if err != nil {
		b.transport.Add(1)
		b.sample("transport: " + err.Error())
		return
	}
	if resp.StatusCode != http.StatusOK {
		b.httpStatus.Add(1)
		b.sample(fmt.Sprintf("HTTP status %d on %s: %.120s", resp.StatusCode, r.api, body))
		return
	}
	if n := b.seen.Add(1); n == 1 || n%int64(b.c.verifyEvery) == 0 {
		if err := b.verify(r, resp, body); err != nil {
			b.sigErr.Add(1)
			b.sample(err.Error())
			return
		}
	}
	status, code, ok := benchResult(body)
	if !ok {
		b.badErr.Add(1)
		b.sample(fmt.Sprintf("no result in the answer to %s: %.120s", r.api, body))
		return
	}
	s.counts[benchKey{r.api, status, code, resp.Header.Get("x-idempotent-replay") == "true"}]++
}

func (b *bencher) sample(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.samples) < 5 && !slices.Contains(b.samples, msg) {
		b.samples = append(b.samples, msg)
	}
}

// benchResult finds result.resultStatus and result.resultCode in an answer
// without decoding all of it (the generator shares the cores with the
// server); it falls back to encoding/json for an unusual layout.
func benchResult(body []byte) (status, code string, ok bool) {
	status, ok1 := benchField(body, `"resultStatus"`)
	code, ok2 := benchField(body, `"resultCode"`)
	if ok1 && ok2 {
		return status, code, true
	}
	var v struct {
		Result *wire.Result `json:"result"`
	}
	if json.Unmarshal(body, &v) != nil || v.Result == nil || v.Result.Code == "" {
		return "", "", false
	}
	return string(v.Result.Status), v.Result.Code, true
}

// benchField returns the value of the first "name":"value" in body when the
// value is a plain string without escapes.
func benchField(body []byte, name string) (string, bool) {
	i := bytes.Index(body, []byte(name))
	if i < 0 {
		return "", false
	}
	rest := bytes.TrimLeft(body[i+len(name):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return "", false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' {
		return "", false
	}
	rest = rest[1:]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || bytes.IndexByte(rest[:j], '\\') >= 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// progress prints a line on stderr every second until stopped: over a
// terminal it rewrites one line, otherwise it writes one line a second.
func (b *bencher) progress(start time.Time) (stop func()) {
	tty := false
	if f, ok := b.e.stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		prev, prevAt := int64(0), start
		for {
			select {
			case <-done:
				if tty {
					fmt.Fprint(b.e.stderr, "\n")
				}
				return
			case now := <-t.C:
				n := b.done.Load()
				rate := float64(n-prev) / now.Sub(prevAt).Seconds()
				prev, prevAt = n, now
				errs := b.transport.Load() + b.httpStatus.Load() + b.sigErr.Load() + b.badErr.Load()
				line := fmt.Sprintf("%4.0fs  %7.1f req/s  p99 %s  requests %d  errors %d",
					now.Sub(start).Seconds(), rate, benchDur(b.hist.quantile(0.99)), n, errs)
				if tty {
					fmt.Fprintf(b.e.stderr, "\r%-72s", line)
				} else {
					fmt.Fprintln(b.e.stderr, line)
				}
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func benchDur(ns int64) string {
	return fmt.Sprintf("%.2fms", benchMs(ns))
}

// benchQuantile is the q-quantile of sorted values (nearest rank).
func benchQuantile(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// benchHist is a lock-free log-linear histogram of nanoseconds (32
// sub-buckets per power of two, about 3% resolution) for the live p99; the
// final table uses every latency, sorted.
type benchHist struct {
	buckets [64 * 32]atomic.Int64
	n       atomic.Int64
}

func benchBucket(v int64) int {
	if v < 32 {
		return int(max(v, 0))
	}
	shift := bits.Len64(uint64(v)) - 6
	return (shift+1)*32 + int(uint64(v)>>shift) - 32
}

// benchBucketValue is the upper bound of bucket i.
func benchBucketValue(i int) int64 {
	if i < 32 {
		return int64(i)
	}
	shift := i/32 - 1
	return (int64(i%32+32+1) << shift) - 1
}

func (h *benchHist) add(v int64) {
	h.buckets[min(benchBucket(v), len(h.buckets)-1)].Add(1)
	h.n.Add(1)
}

func (h *benchHist) quantile(q float64) int64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(n)))
	var seen int64
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen >= rank {
			return benchBucketValue(i)
		}
	}
	return benchBucketValue(len(h.buckets) - 1)
}
