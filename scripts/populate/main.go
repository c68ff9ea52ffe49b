// Command populate fills a gateway store with weeks of a merchant's
// history, for measuring the gateway on a large store (issue 18;
// scripts/bench-large.sh runs it):
//
//	go run ./scripts/populate --data DIR --client-id ID [--payments N]
//	go run ./scripts/populate --database-url URL --client-id ID [--payments N]
//
// The client must be registered already (antomgw clients add), and no
// antomgw serve should run on the store meanwhile: its workers would
// deliver the notifications this leaves pending.
//
// Every row is written by the gateway's own use cases: internal/gateway's
// Service as internal/node wires it for antomgw serve, on the simulated
// wallet (internal/sim), so payments, refunds, captures, jobs, the
// notification outbox, the idempotency keys and every index are what serve
// writes. Only HTTP and the signatures are skipped. Notifications are not
// sent: their delivery attempts are recorded with gateway.RecordAttempt,
// as the notification worker records them, with the times and outcomes a
// worker would have seen.
//
// Each worker runs the use cases on a test clock of its own, set before
// each call, so that the history spreads over the --days days before the
// run started. Payments are created until 15 minutes before its end, so
// that every checkout is settled by then, as in a live store (a payment
// expires after 14 minutes); a later call that would fall after the end is
// not made: recent authorisations stay open, recent payments unrefunded,
// and recent notifications of a merchant whose endpoint is down stay
// pending. Nothing is due at the end (those notifications and the open
// authorisations' expiries fall due later), so serve's workers start
// with no backlog.
//
// Not in the mix, because they need the job worker or exist only over
// HTTP: payments the simulator completes later (amounts 9901–9905),
// asynchronous refunds (and so notifyRefund), payment sessions. The
// client's scenario rules are not applied.
//
// The mix, drawn per payment from --seed (so two runs with one seed write
// the same history, under new request ids):
//
//   - 76% IN_STORE_PAYMENT PaymentCode, decided at once: SUCCESS; 1% of
//     them cancelled by the merchant 1–60 minutes later;
//   - 4% PaymentCode with one of the simulator's failing amounts (9906
//     balance, 9907 risk, 9908 expired code, 9909 invalid code): FAIL;
//   - 6% IN_STORE_PAYMENT OrderCode or EntryCode and 8% CASHIER_PAYMENT:
//     PROCESSING until the user opens the wallet's checkout page
//     (StartCheckout) and pays (85%) or declines (7%) there
//     (ResolvePayment, as the page does), or leaves it to be closed at its
//     expiry (5%: ResolvePayment's close with the expiry job's message, at
//     paymentExpiryTime), or the merchant cancels it first (3%);
//   - 3.5% CASHIER_PAYMENT authorisations in AUTOMATIC capture mode (the
//     gateway captures them when they succeed) and 2.5% in MANUAL mode,
//     captured 1–72 hours later in full (85%) or in part with
//     isLastCapture (8%), or voided by cancel (7%);
//   - 10% of the successful payments refunded (captured money, for
//     authorisations), 10 minutes to 14 days after payment: 55% in full,
//     30% in part, 15% in two refunds (the second 1 hour to 7 days after
//     the first); every refund is synchronous;
//   - 96% of payments carry a paymentNotifyUrl (--notify-url), so each
//     notifyPayment and notifyCapture they cause is in the outbox; 97% of
//     notifications are delivered at the first attempt, 2% after 1–3
//     failed attempts on Antom's schedule, and 1% go to an endpoint that
//     stays down: given up after 8 attempts, or still pending at the end
//     when younger than the schedule;
//   - amounts log-normal around 20 USD in USD, EUR, SGD, HKD, CNY, JPY and
//     KRW; creation times uniform over the window.
//
// It prints progress to stderr every --progress and a summary on stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/node"
	"github.com/antomgw/antomgw/internal/sim"
	"github.com/jackc/pgx/v5"
)

// config is what populate reads from its flags.
type config struct {
	data, databaseURL, kekFile string
	synchronous                string
	clientID                   string
	payments, workers          int
	seed                       uint64
	days                       int
	notifyURL, publicURL       string
	progress                   time.Duration
	// end is when the history ends; zero: when the run starts.
	end time.Time
	// runID starts every request id; empty: a new one from the clock and
	// crypto/rand.
	runID string
}

func main() {
	var c config
	f := flag.NewFlagSet("populate", flag.ContinueOnError)
	f.Usage = func() {
		fmt.Fprintln(f.Output(), "usage: go run ./scripts/populate (--data DIR | --database-url URL) --client-id ID [flags]")
		f.PrintDefaults()
	}
	f.StringVar(&c.data, "data", "", "SQLite data directory, as antomgw serve --data")
	f.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL URL, as antomgw serve --database-url (default $ANTOMGW_DATABASE_URL)")
	f.StringVar(&c.kekFile, "kek-file", "", "key-encryption key of sealed gateway keys (default $ANTOMGW_KEK, the key itself)")
	f.StringVar(&c.synchronous, "synchronous", "NORMAL", "FULL: every commit durable, as serve; NORMAL: the last commits may be lost on a crash (SQLite synchronous NORMAL, PostgreSQL synchronous_commit off), faster, the rows the same")
	f.StringVar(&c.clientID, "client-id", "", "registered client the payments belong to (required)")
	f.IntVar(&c.payments, "payments", 1_000_000, "payments to write")
	f.IntVar(&c.workers, "workers", 0, "payments written at once (0: 16 per CPU on SQLite, for large group commits; 4 per CPU on PostgreSQL, whose server shares the CPUs)")
	f.Uint64Var(&c.seed, "seed", 1, "seed of the mix: one seed writes the same history (under new request ids)")
	f.IntVar(&c.days, "days", 30, "days of history, up to the run's start")
	f.StringVar(&c.notifyURL, "notify-url", "http://127.0.0.1:1/antom/notify", "paymentNotifyUrl of the payments that carry one (default: a loopback port where nothing listens, so serve's attempts at the pending ones fail at once)")
	f.StringVar(&c.publicURL, "public-url", "http://127.0.0.1:8080", "the gateway's URL in the checkout links, as antomgw serve --public-url")
	f.DurationVar(&c.progress, "progress", 5*time.Second, "how often to print progress to stderr (0: never)")
	cpuProfile := f.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := f.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		os.Exit(2)
	}
	if c.databaseURL == "" && c.data == "" {
		c.databaseURL = os.Getenv("ANTOMGW_DATABASE_URL")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "populate: --cpuprofile:", err)
			os.Exit(1)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			fmt.Fprintln(os.Stderr, "populate: --cpuprofile:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	sum, err := populate(ctx, c, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "populate:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
	sum.print(os.Stdout)
}

// check reports the first flag that cannot work.
func (c *config) check() error {
	switch {
	case (c.data == "") == (c.databaseURL == ""):
		return errors.New("give one of --data DIR (SQLite) and --database-url URL (PostgreSQL)")
	case c.clientID == "":
		return errors.New("--client-id is required")
	case c.payments < 1:
		return fmt.Errorf("--payments %d: want 1 or more", c.payments)
	case c.workers < 0:
		return fmt.Errorf("--workers %d: want 1 or more (0: the store's default)", c.workers)
	case c.days < 1:
		return fmt.Errorf("--days %d: want 1 or more", c.days)
	}
	if err := gateway.CheckNotifyURL(c.notifyURL); err != nil || c.notifyURL == "" {
		return fmt.Errorf("--notify-url %q: want an absolute http(s) URL", c.notifyURL)
	}
	return nil
}

// storeConfig is what node.OpenStore needs. A PostgreSQL URL without
// pool_max_conns gets one connection per worker, so that the workers do
// not queue for the pool's default few; with --synchronous NORMAL, and
// no synchronous_commit of its own, it commits with synchronous_commit
// off.
func (c *config) storeConfig() (node.StoreConfig, error) {
	sc := node.StoreConfig{DataDir: c.data, DatabaseURL: c.databaseURL, Synchronous: c.synchronous}
	switch {
	case c.kekFile != "":
		b, err := os.ReadFile(c.kekFile)
		if err != nil {
			return sc, fmt.Errorf("--kek-file: %w", err)
		}
		sc.KEK = b
	case os.Getenv("ANTOMGW_KEK") != "":
		sc.KEK = []byte(os.Getenv("ANTOMGW_KEK"))
	}
	if u, err := url.Parse(c.databaseURL); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		if !q.Has("pool_max_conns") {
			q.Set("pool_max_conns", strconv.Itoa(c.workers+2))
		}
		if strings.EqualFold(c.synchronous, "NORMAL") && !q.Has("synchronous_commit") {
			q.Set("synchronous_commit", "off") // a run-time parameter of every connection
		}
		u.RawQuery = q.Encode()
		sc.DatabaseURL, sc.Synchronous = u.String(), ""
	}
	return sc, nil
}

// summary is what a run wrote.
type summary struct {
	Payments, Success, Fail, Cancelled, Processing int64
	Refunds, Captures                              int64
	Notifications, Attempts                        int64
	Delivered, GivenUp, Pending                    int64
	Elapsed                                        time.Duration
	From, To                                       time.Time
	RunID                                          string
}

// rows is every row written: payments, refunds, captures, notifications
// and attempts.
func (s summary) rows() int64 {
	return s.Payments + s.Refunds + s.Captures + s.Notifications + s.Attempts
}

func (s summary) print(w io.Writer) {
	secs := s.Elapsed.Seconds()
	fmt.Fprintf(w, "populate: %d payments in %.1fs (%.0f payments/s), run %s, created %s to %s\n",
		s.Payments, secs, float64(s.Payments)/secs, s.RunID, s.From.Format(time.RFC3339), s.To.Format(time.RFC3339))
	fmt.Fprintf(w, "payments: %d SUCCESS, %d FAIL, %d CANCELLED, %d PROCESSING\n", s.Success, s.Fail, s.Cancelled, s.Processing)
	fmt.Fprintf(w, "refunds: %d; captures: %d; notifications: %d (%d delivered, %d given up, %d pending); attempts: %d\n",
		s.Refunds, s.Captures, s.Notifications, s.Delivered, s.GivenUp, s.Pending, s.Attempts)
	fmt.Fprintf(w, "rows: %d (%.0f rows/s)\n", s.rows(), float64(s.rows())/secs)
}

// tally counts what the workers wrote.
type tally struct {
	payments, success, fail, cancelled, processing atomic.Int64
	refunds, captures                              atomic.Int64
	notifications, attempts                        atomic.Int64
	delivered, givenUp, pending                    atomic.Int64
}

func (t *tally) summary() summary {
	return summary{Payments: t.payments.Load(), Success: t.success.Load(), Fail: t.fail.Load(), Cancelled: t.cancelled.Load(),
		Processing: t.processing.Load(), Refunds: t.refunds.Load(), Captures: t.captures.Load(),
		Notifications: t.notifications.Load(), Attempts: t.attempts.Load(),
		Delivered: t.delivered.Load(), GivenUp: t.givenUp.Load(), Pending: t.pending.Load()}
}

// populate opens the store c names and writes c.payments payments into it.
func populate(ctx context.Context, c config, progress io.Writer) (summary, error) {
	if err := c.check(); err != nil {
		return summary{}, err
	}
	if c.workers == 0 {
		c.workers = 16 * runtime.GOMAXPROCS(0)
		if c.databaseURL != "" {
			c.workers = 4 * runtime.GOMAXPROCS(0)
		}
	}
	sc, err := c.storeConfig()
	if err != nil {
		return summary{}, err
	}
	st, _, err := node.OpenStore(ctx, sc)
	if err != nil {
		return summary{}, err
	}
	defer st.Close()
	reg, err := st.LoadRegistry(ctx)
	if err != nil {
		return summary{}, fmt.Errorf("load registry: %w", err)
	}
	if !slices.ContainsFunc(reg.Clients, func(cl gateway.Client) bool { return cl.ID == c.clientID }) {
		return summary{}, fmt.Errorf("--client-id %s is not registered in this store: antomgw clients add --client-id %s --public-key FILE first", c.clientID, c.clientID)
	}

	// The service and wallet as antomgw serve wires them (serve.go), with
	// its default settings.
	wallet := &sim.Wallet{Delay: 5 * time.Second, Hold: 40 * time.Second, Marks: st}
	n, err := node.New(ctx, node.Config{Store: st, Processor: wallet, PublicURL: c.publicURL,
		Log: slog.New(slog.NewTextHandler(progress, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return summary{}, err
	}
	wallet.CheckoutURL = n.Wallet.CheckoutURL

	start := time.Now()
	end := c.end
	if end.IsZero() {
		end = start
	}
	end = end.UTC().Truncate(time.Millisecond)
	runID := c.runID
	if runID == "" {
		runID = newRunID(start)
	}
	h := &history{runID: runID, clientID: c.clientID, notifyURL: c.notifyURL, seed: c.seed, n: c.payments,
		from: end.Add(-time.Duration(c.days) * 24 * time.Hour), end: end}
	var t tally
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var vac *vacuumer
	if c.databaseURL != "" {
		if vac, err = startVacuum(ctx, c.databaseURL, &t, progress); err != nil {
			return summary{}, err
		}
	}
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range c.workers {
		w := newWorker(n.Service, st, h, &t)
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= c.payments {
					return
				}
				if err := w.payment(ctx, i); err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("payment %d: %w", i, err); cancel() })
					return
				}
			}
		})
	}
	stopProgress := reportProgress(progress, c.progress, c.payments, &t, start)
	wg.Wait()
	stopProgress()
	if err := vac.stop(ctx); err != nil && firstErr == nil {
		firstErr = err
	}
	sum := t.summary()
	sum.Elapsed, sum.From, sum.To, sum.RunID = time.Since(start), h.from, h.last(), runID
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("interrupted after %d payments: %w", sum.Payments, ctx.Err())
	}
	return sum, firstErr
}

// newRunID is a fresh prefix for request ids, so that another run adds
// payments instead of replaying these: letters and digits only.
func newRunID(now time.Time) string {
	return fmt.Sprintf("P%s%04X", now.UTC().Format("060102150405"), rand.IntN(1<<16))
}

// reportProgress prints the payments written every interval until the
// returned function is called.
func reportProgress(w io.Writer, interval time.Duration, total int, t *tally, start time.Time) func() {
	if interval <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		last, lastAt := int64(0), start
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				s := t.summary()
				fmt.Fprintf(w, "populate: %d/%d payments, %.0f/s now, %.0f/s overall; %d refunds, %d notifications, %d attempts\n",
					s.Payments, total, float64(s.Payments-last)/now.Sub(lastAt).Seconds(), float64(s.Payments)/now.Sub(start).Seconds(),
					s.Refunds, s.Notifications, s.Attempts)
				last, lastAt = s.Payments, now
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// history is what every worker draws from: the window, the ids, the mix.
type history struct {
	runID, clientID, notifyURL string
	seed                       uint64
	n                          int
	from, end                  time.Time
}

// createdAt is when payment i is created: uniform over the window, which
// stops 15 minutes before end so that every checkout is settled by then
// (a payment expires 14 minutes after its creation).
func (h *history) createdAt(i int, r *rand.Rand) time.Time {
	span := h.end.Add(-15 * time.Minute).Sub(h.from)
	return h.from.Add(time.Duration((float64(i) + r.Float64()) / float64(h.n) * float64(span)))
}

// last is when the last payment may be created.
func (h *history) last() time.Time { return h.end.Add(-15 * time.Minute) }

// id is a request id of this run: kind P (payment), R (refund), C
// (capture), then the payment's number and a suffix.
func (h *history) id(kind string, i int, suffix string) string {
	return fmt.Sprintf("%s%s%08d%s", h.runID, kind, i, suffix)
}

// kind is the shape of a payment.
type kind int

const (
	kindCode       kind = iota // IN_STORE_PAYMENT PaymentCode: decided at once
	kindCodeFail               // PaymentCode with a failing magic amount
	kindOrderCode              // IN_STORE_PAYMENT OrderCode or EntryCode
	kindCashier                // CASHIER_PAYMENT
	kindAuthAuto               // CASHIER_PAYMENT authorisation, AUTOMATIC capture
	kindAuthManual             // CASHIER_PAYMENT authorisation, MANUAL capture
)

// kinds are the shares of the kinds (they add up to 1).
var kinds = []struct {
	k     kind
	share float64
}{{kindCode, 0.76}, {kindCodeFail, 0.04}, {kindOrderCode, 0.06}, {kindCashier, 0.08}, {kindAuthAuto, 0.035}, {kindAuthManual, 0.025}}

// The shares of what follows a payment.
const (
	notifyShare = 0.96 // payments with a paymentNotifyUrl
	cancelShare = 0.01 // PaymentCode successes cancelled by the merchant
	refundShare = 0.10 // successful payments refunded

	// Of the payments the wallet user decides (OrderCode, EntryCode,
	// cashier): closed at expiry, cancelled by the merchant, declined;
	// the rest are paid.
	abandonShare = 0.05
	mcancelShare = 0.03
	declineShare = 0.07

	// Of MANUAL authorisations: captured in part (isLastCapture), voided;
	// the rest are captured in full.
	partCaptureShare = 0.08
	voidShare        = 0.07

	// Of notifications: delivered after 1–3 failed attempts, sent to an
	// endpoint that stays down; the rest are delivered at once.
	retryShare = 0.02
	downShare  = 0.01
)

func drawKind(r *rand.Rand) kind {
	f := r.Float64()
	for _, k := range kinds {
		if f < k.share {
			return k.k
		}
		f -= k.share
	}
	return kindCode
}

// currencies are the currencies drawn, with their share, minor units per
// major unit and major units per US dollar.
var currencies = []struct {
	code   string
	share  float64
	minor  float64
	perUSD float64
}{{"USD", 0.40, 100, 1}, {"EUR", 0.12, 100, 0.92}, {"SGD", 0.14, 100, 1.35}, {"HKD", 0.10, 100, 7.8},
	{"CNY", 0.10, 100, 7.2}, {"JPY", 0.08, 1, 150}, {"KRW", 0.06, 1, 1350}}

// amount draws an ordinary amount: log-normal around 20 USD, never one of
// the simulator's magic amounts.
func amount(r *rand.Rand) gateway.Money {
	f := r.Float64()
	c := currencies[0]
	for _, x := range currencies {
		if f < x.share {
			c = x
			break
		}
		f -= x.share
	}
	usd := math.Exp(math.Log(20) + 1.1*r.NormFloat64())
	v := max(int64(math.Round(usd*c.perUSD*c.minor)), 1)
	if v >= sim.AmountUnknown && v <= sim.AmountTrafficLimit {
		v += 11
	}
	return gateway.Money{Value: v, Currency: c.code}
}

var (
	failAmounts   = []int64{sim.AmountBalance, sim.AmountBalance, sim.AmountBalance, sim.AmountRisk, sim.AmountExpiredCode, sim.AmountInvalidCode}
	codeMethods   = []string{"ALIPAY_CN", "ALIPAY_CN", "CONNECT_WALLET", "ALIPAY_HK", "GCASH", "TRUEMONEY", "KAKAOPAY", "TNG", "DANA"}
	cashMethods   = []string{"ALIPAY_CN", "GCASH", "KAKAOPAY", "TNG", "DANA", "NAVERPAY"}
	refundReasons = []string{"customer returned the goods", "duplicate order", "partial delivery", "price adjustment", "order cancelled by the customer"}
	// declineCodes are the wallet page's reasons to decline
	// (internal/wallet), the first the most common.
	declineCodes = []string{"USER_PAYMENT_VERIFICATION_FAILED", "USER_PAYMENT_VERIFICATION_FAILED", "USER_BALANCE_NOT_ENOUGH", "USER_AMOUNT_EXCEED_LIMIT", "RISK_REJECT", "USER_STATUS_ABNORMAL"}
)

// The result messages of the wallet's decline (internal/wallet) and of the
// expiry job (gateway's JobPaymentExpire), which the checkout paths
// record.
const (
	declineMessage = "The user declined the payment in the wallet."
	expiryMessage  = "The payment was not completed before paymentExpiryTime and is closed."
)

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// between draws a duration uniformly in [lo, hi).
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}

// logBetween draws a duration log-uniformly in [lo, hi): as many in the
// first hour as in the first day's other hours.
func logBetween(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return time.Duration(float64(lo) * math.Pow(float64(hi)/float64(lo), r.Float64()))
}

// payInput is the pay request of payment i.
func (h *history) payInput(i int, k kind, r *rand.Rand) gateway.PayInput {
	in := gateway.PayInput{ClientID: h.clientID, RequestID: h.id("P", i, ""), ReferenceID: "ORDER" + h.id("", i, ""),
		Amount: amount(r)}
	if r.Float64() < notifyShare {
		in.NotifyURL = h.notifyURL
	}
	switch k {
	case kindCode, kindCodeFail:
		in.ProductCode, in.Scenario, in.MethodType = gateway.ProductInStore, gateway.ScenarioPaymentCode, pick(r, codeMethods)
		in.MethodID = fmt.Sprintf("28%016d", r.Int64N(1e16))
		if k == kindCodeFail {
			in.Amount = gateway.Money{Value: pick(r, failAmounts), Currency: "USD"}
		}
	case kindOrderCode:
		in.ProductCode, in.Scenario, in.MethodType = gateway.ProductInStore, gateway.ScenarioOrderCode, pick(r, codeMethods)
		if r.IntN(2) == 0 {
			in.Scenario = gateway.ScenarioEntryCode
		}
	default:
		in.ProductCode, in.MethodType = gateway.ProductCashier, pick(r, cashMethods)
		in.RedirectURL = "https://shop.example/orders/" + in.ReferenceID + "/return"
		if k == kindAuthAuto || k == kindAuthManual {
			in.MethodType, in.Authorization, in.CaptureMode = "CARD", true, gateway.CaptureAutomatic
			if k == kindAuthManual {
				in.CaptureMode = gateway.CaptureManual
			}
		}
	}
	return in
}

// worker writes payments one at a time through a Service of its own: the
// node's, on the worker's clock and with its outbox watched.
type worker struct {
	svc   gateway.Service
	clock *gateway.Clock
	tap   *outboxTap
	st    gateway.Store // for recording attempts
	h     *history
	t     *tally
}

func newWorker(base *gateway.Service, st gateway.Store, h *history, t *tally) *worker {
	w := &worker{svc: *base, clock: gateway.NewStoppedClock(h.from), tap: &outboxTap{Store: st}, st: st, h: h, t: t}
	w.svc.Now, w.svc.Store = w.clock.Now, w.tap
	return w
}

// at moves the worker's clock to t and reports whether t is inside the
// history: a call after its end is not made.
func (w *worker) at(t time.Time) bool {
	if t.After(w.h.end) {
		return false
	}
	w.clock.Set(t)
	return true
}

// payment writes payment i and what follows it.
func (w *worker) payment(ctx context.Context, i int) error {
	r := rand.New(rand.NewPCG(w.h.seed, uint64(i)))
	k := drawKind(r)
	created := w.h.createdAt(i, r)
	in := w.h.payInput(i, k, r)
	w.at(created)
	res, err := w.svc.Pay(ctx, in)
	if err != nil {
		return fmt.Errorf("pay: %w", err)
	}
	if res.Payment == nil || res.Unknown || res.Throttled {
		return fmt.Errorf("pay %s: no decided payment (throttled %t, unknown %t)", in.RequestID, res.Throttled, res.Unknown)
	}
	p := res.Payment
	w.t.payments.Add(1)
	if err := w.outbox(ctx, r); err != nil {
		return err
	}
	if p.Status == gateway.PaymentProcessing {
		if p, err = w.checkout(ctx, p, r); err != nil {
			return err
		}
	}
	if p.Status == gateway.PaymentSuccess {
		if p, err = w.afterSuccess(ctx, i, k, p, r); err != nil {
			return err
		}
	}
	switch p.Status {
	case gateway.PaymentSuccess:
		w.t.success.Add(1)
	case gateway.PaymentFail:
		w.t.fail.Add(1)
	case gateway.PaymentCancelled:
		w.t.cancelled.Add(1)
	default:
		w.t.processing.Add(1)
	}
	return nil
}

// checkout decides a PROCESSING payment as the wallet's checkout page
// does: the user opens it (StartCheckout, which calls off the simulator's
// completion) and pays or declines (ResolvePayment), or leaves it to be
// closed at its expiry; or the merchant cancels it first.
func (w *worker) checkout(ctx context.Context, p *gateway.Payment, r *rand.Rand) (*gateway.Payment, error) {
	ref := gateway.PaymentRef{PaymentID: p.ID, ClientID: p.ClientID}
	f := r.Float64()
	// Every user opens the page: one who never did would have been
	// completed by the simulator after its delay.
	if w.at(p.CreatedAt.Add(between(r, time.Second, 4*time.Second))) {
		if _, err := w.svc.StartCheckout(ctx, ref); err != nil {
			return nil, fmt.Errorf("start checkout: %w", err)
		}
	}
	decide := p.CreatedAt.Add(between(r, 10*time.Second, 3*time.Minute))
	var (
		out *gateway.Payment
		err error
		op  string
	)
	switch {
	case f < abandonShare:
		if !w.at(p.ExpiresAt.Add(between(r, 0, 100*time.Millisecond))) { // the job worker's poll
			return p, nil
		}
		out, err = w.svc.ResolvePayment(ctx, ref, gateway.ResolveClose, "", expiryMessage)
		op = "close at expiry"
	case f < abandonShare+mcancelShare:
		if !w.at(p.CreatedAt.Add(between(r, time.Minute, 10*time.Minute))) {
			return p, nil
		}
		out, err = w.svc.Cancel(ctx, p.ClientID, p.ID, "")
		op = "cancel"
	case f < abandonShare+mcancelShare+declineShare:
		if !w.at(decide) {
			return p, nil
		}
		out, err = w.svc.ResolvePayment(ctx, ref, gateway.ResolveFail, pick(r, declineCodes), declineMessage)
		op = "decline"
	default:
		if !w.at(decide) {
			return p, nil
		}
		out, err = w.svc.ResolvePayment(ctx, ref, gateway.ResolveSuccess, "", "")
		op = "pay on the checkout page"
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, w.outbox(ctx, r)
}

// afterSuccess does what may follow a successful payment: a cancel, the
// capture or void of a MANUAL authorisation, refunds.
func (w *worker) afterSuccess(ctx context.Context, i int, k kind, p *gateway.Payment, r *rand.Rand) (*gateway.Payment, error) {
	if k == kindCode && r.Float64() < cancelShare {
		if !w.at(p.PaidAt.Add(between(r, time.Minute, time.Hour))) {
			return p, nil
		}
		out, err := w.svc.Cancel(ctx, p.ClientID, p.ID, "")
		if err != nil {
			return nil, fmt.Errorf("cancel: %w", err)
		}
		return out, nil
	}
	refundable, since := p.Amount.Value, p.PaidAt
	if k == kindAuthManual {
		var err error
		if p, refundable, since, err = w.manualCapture(ctx, i, p, r); err != nil || refundable == 0 {
			return p, err
		}
	}
	if r.Float64() < refundShare {
		return p, w.refunds(ctx, i, p, refundable, since, r)
	}
	return p, nil
}

// manualCapture captures or voids a MANUAL authorisation and returns what
// of it is refundable (0: nothing, as yet) from when.
func (w *worker) manualCapture(ctx context.Context, i int, p *gateway.Payment, r *rand.Rand) (*gateway.Payment, int64, time.Time, error) {
	f := r.Float64()
	if f < voidShare {
		if !w.at(p.PaidAt.Add(logBetween(r, time.Hour, 48*time.Hour))) {
			return p, 0, time.Time{}, nil
		}
		out, err := w.svc.Cancel(ctx, p.ClientID, p.ID, "")
		if err != nil {
			return nil, 0, time.Time{}, fmt.Errorf("void: %w", err)
		}
		return out, 0, time.Time{}, nil
	}
	at := p.PaidAt.Add(logBetween(r, time.Hour, 72*time.Hour))
	if !w.at(at) {
		return p, 0, time.Time{}, nil
	}
	amount := p.Amount
	if f < voidShare+partCaptureShare {
		amount.Value = max(int64(float64(amount.Value)*(0.5+0.45*r.Float64())), 1)
	}
	res, err := w.svc.Capture(ctx, gateway.CaptureInput{ClientID: p.ClientID, RequestID: w.h.id("C", i, ""), PaymentID: p.ID,
		Amount: amount, Last: true})
	if err != nil {
		return nil, 0, time.Time{}, fmt.Errorf("capture: %w", err)
	}
	if res.Capture == nil || res.Capture.Status != gateway.CaptureSuccess {
		return nil, 0, time.Time{}, fmt.Errorf("capture: not captured (%+v)", res.Capture)
	}
	w.t.captures.Add(1)
	return p, amount.Value, at, w.outbox(ctx, r)
}

// refunds refunds a successful payment of which refundable is left, paid
// (or captured) at since: in full, in part, or in two parts.
func (w *worker) refunds(ctx context.Context, i int, p *gateway.Payment, refundable int64, since time.Time, r *rand.Rand) error {
	f := r.Float64()
	at := since.Add(logBetween(r, 10*time.Minute, 14*24*time.Hour))
	part := func(lo, hi float64) int64 {
		return max(int64(float64(refundable)*(lo+(hi-lo)*r.Float64())), 1)
	}
	var amounts []int64
	switch {
	case f < 0.55:
		amounts = []int64{refundable}
	case f < 0.85:
		amounts = []int64{part(0.1, 0.9)}
	default:
		first := part(0.2, 0.6)
		second := refundable - first
		if r.IntN(2) == 0 {
			second = max(second/2, 1)
		}
		amounts = []int64{first, second}
	}
	for n, v := range amounts {
		if n > 0 {
			at = at.Add(logBetween(r, time.Hour, 7*24*time.Hour))
		}
		if v <= 0 || !w.at(at) {
			return nil
		}
		_, err := w.svc.Refund(ctx, gateway.RefundInput{ClientID: p.ClientID, RequestID: w.h.id("R", i, strconv.Itoa(n+1)),
			PaymentID: p.ID, Amount: gateway.Money{Value: v, Currency: p.Amount.Currency}, Reason: pick(r, refundReasons),
			ReferenceID: "RF" + w.h.id("", i, strconv.Itoa(n+1))})
		if err != nil {
			return fmt.Errorf("refund %d of %d: %w", v, refundable, err)
		}
		w.t.refunds.Add(1)
	}
	return nil
}

// failure is how the attempts at a notification fail.
type failure struct {
	outcome gateway.AttemptOutcome
	status  int
	text    string
	lo, hi  time.Duration // how long such an attempt takes
}

var failures = []failure{
	{gateway.OutcomeTimeout, 0, "no answer within 5s", 5 * time.Second, 5*time.Second + 5*time.Millisecond},
	{gateway.OutcomeHTTPStatus, 502, "HTTP 502 Bad Gateway", 20 * time.Millisecond, 200 * time.Millisecond},
	{gateway.OutcomeHTTPStatus, 503, "HTTP 503 Service Unavailable", 5 * time.Millisecond, 50 * time.Millisecond},
	{gateway.OutcomeConnection, 0, "connection refused", time.Millisecond, 3 * time.Millisecond},
}

// outbox records the delivery attempts of the notifications the worker's
// last calls added, as the notification worker would have made them: its
// poll after the due time, then Antom's schedule after each failure.
// Attempts that would fall after the history's end are not made.
func (w *worker) outbox(ctx context.Context, r *rand.Rand) error {
	seen := w.tap.seen
	w.tap.seen = w.tap.seen[:0]
	for _, n := range seen {
		w.t.notifications.Add(1)
		fails := 0
		switch f := r.Float64(); {
		case f < downShare:
			fails = len(gateway.AntomSchedule)
		case f < downShare+retryShare:
			fails = 1 + r.IntN(3)
		}
		how := pick(r, failures)
		due := n.DueAt
		for number := 1; ; number++ {
			at := due.Add(between(r, 5*time.Millisecond, 150*time.Millisecond)).Truncate(time.Millisecond)
			if at.After(w.h.end) {
				w.t.pending.Add(1)
				break
			}
			a := gateway.Attempt{NotificationID: n.ID, At: at, Outcome: gateway.OutcomeDelivered, HTTPStatus: 200,
				Duration: between(r, 20*time.Millisecond, 400*time.Millisecond)}
			if number <= fails {
				a.Outcome, a.HTTPStatus, a.Error, a.Duration = how.outcome, how.status, how.text, between(r, how.lo, how.hi)
			}
			after, err := gateway.RecordAttempt(ctx, w.st, a, w.svc.NotifySchedule)
			if err != nil {
				return fmt.Errorf("record attempt %d of notification %s: %w", number, n.ID, err)
			}
			w.t.attempts.Add(1)
			if !after.Pending() {
				if after.State() == gateway.NotificationDelivered {
					w.t.delivered.Add(1)
				} else {
					w.t.givenUp.Add(1)
				}
				break
			}
			due = after.DueAt
		}
	}
	return nil
}

// outboxTap is the store seen by a worker's Service: it keeps the
// notifications each committed Update added, so that the worker can
// record their attempts. It changes nothing that is written.
type outboxTap struct {
	gateway.Store
	seen []gateway.Notification
}

// Update runs fn through the store's Update and keeps the notifications
// it added once it has committed (fn may run more than once).
func (s *outboxTap) Update(ctx context.Context, fn func(tx gateway.Tx) error) error {
	var added []gateway.Notification
	err := s.Store.Update(ctx, func(tx gateway.Tx) error {
		added = added[:0]
		return fn(tapTx{Tx: tx, added: &added})
	})
	if err == nil {
		s.seen = append(s.seen, added...)
	}
	return err
}

// tapTx is a transaction of outboxTap.
type tapTx struct {
	gateway.Tx
	added *[]gateway.Notification
}

func (t tapTx) InsertNotification(n *gateway.Notification) error {
	if err := t.Tx.InsertNotification(n); err != nil {
		return err
	}
	*t.added = append(*t.added, *n)
	return nil
}

var (
	_ gateway.Store = (*outboxTap)(nil)
	_ gateway.Tx    = tapTx{}
)

// vacuumer stands in for PostgreSQL's autovacuum on a server that runs
// without it (autovacuum off, as on some test machines): it runs VACUUM
// (ANALYZE) on the gateway's tables whenever the payments written have
// doubled since the last pass (from 1,000 on, and at least every 100,000),
// and once at the end, as autovacuum's scale factors would. Without it a
// long run leaves every dead row version in place, which a live store's
// autovacuum removes, and its statistics stay those of the empty tables:
// each connection then keeps the generic plan it made for
// PaymentByRequestID on the empty table, a scan of the client's payments
// by payments_client_created, and every pay gets slower with the store.
type vacuumer struct {
	conn *pgx.Conn
	t    *tally
	log  io.Writer
	done chan struct{}
	wg   sync.WaitGroup
	err  error
	last int64 // payments written at the last pass
}

// vacuumTables are the tables populate writes.
const vacuumTables = "payments, refunds, captures, jobs, notifications, notification_attempts"

// startVacuum connects to the database and starts the passes, unless the
// server runs autovacuum; then it returns nil, which does nothing.
func startVacuum(ctx context.Context, databaseURL string, t *tally, log io.Writer) (*vacuumer, error) {
	if u, err := url.Parse(databaseURL); err == nil && u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if strings.HasPrefix(k, "pool_") { // pgxpool's, not the server's
				q.Del(k)
			}
		}
		u.RawQuery = q.Encode()
		databaseURL = u.String()
	}
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("connect for VACUUM: %w", err)
	}
	var on string
	if err := conn.QueryRow(ctx, "SHOW autovacuum").Scan(&on); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("SHOW autovacuum: %w", err)
	}
	if on == "on" {
		conn.Close(ctx)
		return nil, nil
	}
	fmt.Fprintln(log, "populate: the server runs without autovacuum; VACUUM (ANALYZE) runs in its stead as the payments double, and at the end")
	v := &vacuumer{conn: conn, t: t, log: log, done: make(chan struct{})}
	v.wg.Go(func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-v.done:
				return
			case <-tick.C:
			}
			if n := t.payments.Load(); n >= max(1000, min(2*v.last, v.last+100_000)) {
				if err := v.pass(ctx, n); err != nil {
					v.err = err
					return
				}
			}
		}
	})
	return v, nil
}

// pass runs one VACUUM (ANALYZE) with n payments written.
func (v *vacuumer) pass(ctx context.Context, n int64) error {
	start := time.Now()
	if _, err := v.conn.Exec(ctx, "VACUUM (ANALYZE) "+vacuumTables); err != nil {
		return fmt.Errorf("VACUUM (ANALYZE): %w", err)
	}
	v.last = n
	fmt.Fprintf(v.log, "populate: VACUUM (ANALYZE) at %d payments took %.1fs\n", n, time.Since(start).Seconds())
	return nil
}

// stop ends the passes and makes the last one, unless a pass failed or
// ctx ended.
func (v *vacuumer) stop(ctx context.Context) error {
	if v == nil {
		return nil
	}
	close(v.done)
	v.wg.Wait()
	defer v.conn.Close(context.WithoutCancel(ctx))
	if v.err != nil || ctx.Err() != nil {
		return v.err
	}
	return v.pass(ctx, v.t.payments.Load())
}
