package loadgen

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// lateAfter: an open-loop request sent later than this after its scheduled
// time counts as late.
const lateAfter = time.Millisecond

// Config is what one [Run] does. Every field must be set except
// CeilingDuration, Log, and those the scenario does not use (Burst,
// Payments).
type Config struct {
	// Target is the gateway's base URL without a trailing slash, e.g.
	// http://127.0.0.1:8080, or several separated by commas: the nodes of
	// one gateway sharing a store. Worker i of the timed part sends to
	// the (i mod n)th; payments made before the timed part go to the
	// first.
	Target string
	// ClientID is the registered client the requests are signed for.
	ClientID string
	// PrivateKey is the client's key the requests are signed with.
	PrivateKey *rsa.PrivateKey
	// KeyVersion is the keyVersion the Signature headers name, at least 1.
	KeyVersion int
	// VerifyAnswer checks the gateway's signature of an answer: m has the
	// request's method and path, ClientID and the answer's response-time and
	// body; sh is its parsed Signature header.
	VerifyAnswer func(m wire.Message, sh wire.SignatureHeader) error

	// Scenario is one of ScenarioPay, ScenarioInquiry, ScenarioMixed and
	// ScenarioDuplicates.
	Scenario string
	// Rate is the open-loop rate in requests per second; 0 runs a closed
	// loop at the highest rate the server answers.
	Rate int
	// Duration is the length of the timed part.
	Duration time.Duration
	// Concurrency is the number of workers, each with at most one request
	// in flight.
	Concurrency int
	// Burst is the number of requests per paymentRequestId of
	// ScenarioDuplicates.
	Burst int
	// Payments is the number of payments ScenarioInquiry and ScenarioMixed
	// create before the timed part.
	Payments int
	// Requests is the number of requests to pre-sign; 0 sizes the plan from
	// Rate×Duration, or for a closed loop from this machine's crypto rate
	// (×1.5), at most 200000.
	Requests int
	// VerifyEvery: one answer in VerifyEvery, and always the first, has its
	// signature verified during the timed part.
	VerifyEvery int
	// Timeout is the timeout of one request.
	Timeout time.Duration
	// CeilingDuration, when positive, has Run measure the crypto ceiling
	// for that long right before the timed part and again right after it,
	// and report both and the run's share of their mean.
	CeilingDuration time.Duration
	// Log receives the progress lines; nil discards them.
	Log io.Writer
}

// check returns an error for a Config Run cannot use.
func (c *Config) check() error {
	var bad string
	switch {
	case len(targets(c.Target)) == 0 || c.ClientID == "":
		bad = "Target and ClientID must be set"
	case c.PrivateKey == nil || c.VerifyAnswer == nil || c.KeyVersion < 1:
		bad = "PrivateKey, KeyVersion and VerifyAnswer must be set"
	case c.Rate < 0 || c.Duration <= 0 || c.Concurrency < 1 || c.Requests < 0 || c.VerifyEvery < 1 || c.Timeout < 0:
		bad = "Rate, Duration, Concurrency, Requests, VerifyEvery or Timeout out of range"
	case c.Scenario == ScenarioDuplicates && c.Burst < 1:
		bad = "Burst must be at least 1"
	case (c.Scenario == ScenarioInquiry || c.Scenario == ScenarioMixed) && c.Payments < 1:
		bad = "Payments must be at least 1"
	case !slices.Contains([]string{ScenarioPay, ScenarioInquiry, ScenarioMixed, ScenarioDuplicates}, c.Scenario):
		bad = fmt.Sprintf("unknown Scenario %q", c.Scenario)
	default:
		for _, t := range targets(c.Target) {
			if err := checkTarget(t); err != nil {
				return fmt.Errorf("loadgen: %w", err)
			}
		}
		return nil
	}
	return errors.New("loadgen: " + bad)
}

// runner is one run in progress.
type runner struct {
	cfg    Config
	client *http.Client
	runID  string
	plan   plan

	done, seen                            atomic.Int64
	transport, httpStatus, sigErr, badErr atomic.Int64
	verified, late, distinct              atomic.Int64
	hist                                  histogram

	mu      sync.Mutex
	samples []string
}

func newRunner(cfg Config) *runner {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	tr := &http.Transport{
		Proxy:               nil, // a benchmark talks to the target directly
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * cfg.Concurrency,
		MaxIdleConnsPerHost: cfg.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &runner{cfg: cfg, runID: newRunID(), client: &http.Client{Transport: tr, Timeout: cfg.Timeout}}
}

func (b *runner) max() bool { return b.cfg.Rate == 0 }

func (b *runner) logf(format string, args ...any) {
	fmt.Fprintf(b.cfg.Log, format+"\n", args...)
}

// Run loads cfg.Target as cfg says and returns what it measured. It returns
// an error when cfg is unusable, when creating the payments the scenario
// works on fails, or when ctx ends before the timed part; a ctx that ends
// during the timed part ends the run early with Report.Interrupted set.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	b := newRunner(cfg)
	defer b.client.CloseIdleConnections()
	rep := &Report{
		Target: cfg.Target, Scenario: cfg.Scenario, Mode: "max", Concurrency: cfg.Concurrency,
		GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(),
	}
	if !b.max() {
		rep.Mode, rep.Rate = "rate", cfg.Rate
	}
	// 1. A short probe of the crypto ceiling sizes a --max run.
	var cryptoRate float64
	if b.max() && cfg.Requests == 0 && cfg.Scenario != ScenarioInquiry {
		ceil, err := MeasureCeiling(ctx, 300*time.Millisecond)
		if err != nil {
			return nil, err
		}
		cryptoRate = ceil.PairsPerSecond
	}

	// 2. Payments the scenario works on, untimed.
	var paymentIDs []string
	if cfg.Scenario == ScenarioInquiry || cfg.Scenario == ScenarioMixed {
		value := int64(100)
		if cfg.Scenario == ScenarioMixed {
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
	var toSign []*request
	b.plan, toSign = buildPlan(cfg.Scenario, b.planSize(cryptoRate), cfg.Burst, b.runID, paymentIDs)
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

	// 4. The crypto ceiling, while the server is idle, right before the
	// timed part and right after it: on a shared machine the cores' speed
	// drifts within a minute, and the pre-signing alone takes longer.
	ceiling := func() (*Ceiling, error) {
		b.logf("measuring the crypto ceiling for %s…", cfg.CeilingDuration)
		ceil, err := MeasureCeiling(ctx, cfg.CeilingDuration)
		return &ceil, err
	}
	if cfg.CeilingDuration > 0 {
		var err error
		if rep.Ceiling, err = ceiling(); err != nil {
			return nil, err
		}
	}

	// 5. The timed part.
	rep.StartedAt = time.Now().UTC().Format(time.RFC3339)
	cpu0, cpuOK := procCPU()
	stats, elapsed, exhausted := b.load(ctx)
	if cpu1, ok := procCPU(); ok && cpuOK && b.done.Load() > 0 {
		rep.GeneratorCPUMsPerRequest = float64((cpu1 - cpu0).Microseconds()) / 1000 / float64(b.done.Load())
	}
	rep.Interrupted = ctx.Err() != nil
	rep.Exhausted = exhausted
	if cfg.CeilingDuration > 0 && !rep.Interrupted {
		after, err := ceiling()
		if err == nil {
			rep.CeilingAfter = after
		} else if ctx.Err() == nil {
			return nil, err
		}
	}

	// 6. The figures.
	b.summarise(rep, stats, elapsed)
	return rep, nil
}

// setup creates the payments an inquiry or mixed run works on and returns
// their paymentIds. It verifies every answer: a wrong gateway key shows
// here, before the run.
func (b *runner) setup(ctx context.Context, value int64) ([]string, error) {
	reqs := make([]*request, b.cfg.Payments)
	for i := range reqs {
		reqs[i] = newPay(fmt.Sprintf("%s_S%07d", b.runID, i), value)
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
	for range min(b.cfg.Concurrency, 8) {
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

func (b *runner) setupOne(r *request) ([]byte, error) {
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

func (b *runner) post(r *request) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, targets(b.cfg.Target)[0]+r.path, bytes.NewReader(r.body))
	if err != nil {
		return nil, nil, err
	}
	req.Header = http.Header{
		"Content-Type": {"application/json; charset=UTF-8"},
		"Client-Id":    {b.cfg.ClientID},
		"Request-Time": {r.time},
		"Signature":    {r.sig},
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	return readBody(resp)
}

// verify checks the gateway's signature over an answer to r.
func (b *runner) verify(r *request, resp *http.Response, body []byte) error {
	b.verified.Add(1)
	m, sh, err := wire.ReadSigned(resp.Header, wire.Answer, http.MethodPost, r.path, body)
	if err != nil {
		return fmt.Errorf("response signature: %v", err)
	}
	m.ClientID = b.cfg.ClientID
	if err := b.cfg.VerifyAnswer(m, sh); err != nil {
		return fmt.Errorf("response %w", err)
	}
	return nil
}

// resultKey is what the results are counted by.
type resultKey struct {
	api, status, code string
	replay            bool
}

// workerStats is what one worker measured.
type workerStats struct {
	lat    []int64 // nanoseconds
	counts map[resultKey]int64
}

// load runs the timed part and returns each worker's figures, the time
// from the start to the last answer, and whether the plan ran out.
func (b *runner) load(ctx context.Context) ([]*workerStats, time.Duration, bool) {
	var next atomic.Int64
	var exhausted atomic.Bool
	stats := make([]*workerStats, b.cfg.Concurrency)
	start := time.Now()
	end := start.Add(b.cfg.Duration)
	interval := 0.0
	if !b.max() {
		interval = float64(time.Second) / float64(b.cfg.Rate)
	}
	stopProgress := b.progress(start)
	bases := targets(b.cfg.Target)
	var wg sync.WaitGroup
	for w := range stats {
		s := &workerStats{counts: map[resultKey]int64{}}
		stats[w] = s
		conn := newWorkerConn(bases[w%len(bases)], b.cfg.Timeout)
		wg.Go(func() {
			defer conn.close()
			timer := time.NewTimer(time.Hour)
			defer timer.Stop()
			for ctx.Err() == nil {
				var from time.Time
				i := next.Add(1) - 1
				if b.max() {
					if time.Now().After(end) {
						return
					}
				} else {
					from = start.Add(time.Duration(float64(i) * interval))
					if !from.Before(end) {
						return
					}
				}
				r, ok := b.plan.next(i)
				if !ok {
					exhausted.Store(true)
					return
				}
				if b.max() {
					from = time.Now()
				} else if wait := time.Until(from); wait > 0 {
					timer.Reset(wait)
					select {
					case <-timer.C:
					case <-ctx.Done():
						return
					}
				} else if -wait > lateAfter {
					b.late.Add(1)
				}
				b.one(ctx, s, conn, r)
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
func (b *runner) one(ctx context.Context, s *workerStats, conn *workerConn, r *request) {
	if r.sent.CompareAndSwap(false, true) {
		b.distinct.Add(1)
	}
	resp, body, err := conn.do(ctx, b.cfg.ClientID, r)
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
	if n := b.seen.Add(1); n == 1 || n%int64(b.cfg.VerifyEvery) == 0 {
		if err := b.verify(r, resp, body); err != nil {
			b.sigErr.Add(1)
			b.sample(err.Error())
			return
		}
	}
	status, code, ok := parseResult(body)
	if !ok {
		b.badErr.Add(1)
		b.sample(fmt.Sprintf("no result in the answer to %s: %.120s", r.api, body))
		return
	}
	s.counts[resultKey{r.api, status, code, resp.Header.Get("x-idempotent-replay") == "true"}]++
}

// sample keeps msg among the first few distinct error messages.
func (b *runner) sample(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.samples) < 5 && !slices.Contains(b.samples, msg) {
		b.samples = append(b.samples, msg)
	}
}

// progress writes a line to the log every second until stopped: over a
// terminal it rewrites one line, otherwise it writes one line a second.
func (b *runner) progress(start time.Time) (stop func()) {
	tty := false
	if f, ok := b.cfg.Log.(*os.File); ok {
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
					fmt.Fprint(b.cfg.Log, "\n")
				}
				return
			case now := <-t.C:
				n := b.done.Load()
				rate := float64(n-prev) / now.Sub(prevAt).Seconds()
				prev, prevAt = n, now
				errs := b.transport.Load() + b.httpStatus.Load() + b.sigErr.Load() + b.badErr.Load()
				line := fmt.Sprintf("%4.0fs  %7.1f req/s  p99 %s  requests %d  errors %d",
					now.Sub(start).Seconds(), rate, durString(b.hist.quantile(0.99)), n, errs)
				if tty {
					fmt.Fprintf(b.cfg.Log, "\r%-72s", line)
				} else {
					fmt.Fprintln(b.cfg.Log, line)
				}
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
