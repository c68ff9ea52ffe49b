// Package node wires one gateway process: the use cases on a store, the
// HTTP API in front of them and the two workers behind them (delayed
// transitions and notification delivery). antomgw serve runs one on the real
// clock; internal/gatewaytest runs one inside a test on a fake clock and
// steps its workers by hand. Both get the same parts in the same
// arrangement, so what the tests exercise is what serve runs.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/antomgw/antomgw/internal/console"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/httpapi"
	"github.com/antomgw/antomgw/internal/notify"
	"github.com/antomgw/antomgw/internal/traffic"
	"github.com/antomgw/antomgw/internal/view"
	"github.com/antomgw/antomgw/internal/wallet"
)

// Config is what a node is made of. Store and Processor are required;
// every other field has a working zero value.
type Config struct {
	Store     gateway.Store
	Processor gateway.Processor
	// Now is the clock of every part. Defaults to time.Now, or Clock.Now.
	Now func() time.Time
	// Clock, when set, is a test clock: every part runs on it, time moves
	// only by Advance, and Run carries out what is due at the clock's time
	// every JobInterval, one pass at a time, so that Advance can step from
	// one due time to the next.
	Clock *gateway.Clock
	// Log receives the parts' logs. Defaults to discarding.
	Log *slog.Logger

	// The use cases' settings; see gateway.Service.
	CancelWindow, RefundWindow, PaymentExpiry, AuthExpiry time.Duration
	// NotifySchedule is the notification retry schedule. Defaults to
	// gateway.AntomSchedule.
	NotifySchedule gateway.RetrySchedule

	// The HTTP API's settings; see httpapi.Server.
	MaxBody      int64
	MaxClockSkew time.Duration
	// RefusalRate is how many refusals before authentication a second are
	// answered in full (httpapi.Server.RefusalRate); 0: no limit.
	RefusalRate int
	// RegistryRefresh bounds how long a registry change made by another
	// process (the CLI, another node) takes to reach this node's requests
	// (gateway.Keyring.MaxAge, in real time); 0 reads the registry version
	// on every request. This node's own changes apply at once.
	RegistryRefresh time.Duration
	// Limits bound the API's connections (timeouts, a cap); see Serve.
	Limits Limits

	// The notification delivery settings; see notify.Worker (zero values
	// take its defaults; NotifyAllowPrivate false refuses private and
	// loopback targets).
	NotifyConnectTimeout time.Duration
	NotifyTimeout        time.Duration
	NotifyConcurrency    int
	NotifyPerClient      int
	NotifyPerHost        int
	NotifyAllowPrivate   bool
	NotifyAllowCIDRs     []netip.Prefix
	NotifyPoll           time.Duration

	// JobInterval is how often due delayed transitions are looked for.
	// Defaults to 100ms.
	JobInterval time.Duration

	// PublicURL is the gateway's URL as users' browsers reach it
	// (scheme://host[:port]): the wallet pages' links start with it.
	PublicURL string
	// Console serves the operator's web console under /console/;
	// ConsoleToken, when set, is the token it asks for.
	Console      bool
	ConsoleToken string
}

// Node is one gateway process's parts, wired. Serve API over HTTP and call
// Run for the workers.
type Node struct {
	Service  *gateway.Service
	Keyring  *gateway.Keyring
	API      *httpapi.Server
	Notifier *notify.Worker
	Metrics  *httpapi.Metrics
	// Traffic keeps the node's recent API exchanges, for the console.
	Traffic *traffic.Ring
	// ActiveKey is the gateway key that was active when the node started
	// (created on a new store).
	ActiveKey *gateway.GatewayKeyInfo
	// Wallet is the wallet user's pages; set the simulated wallet's
	// CheckoutURL to Wallet.CheckoutURL so payments link to them.
	Wallet *wallet.Pages
	// Console is the operator's web console; nil when Config.Console is
	// off.
	Console *console.Console

	log         *slog.Logger
	jobInterval time.Duration
	limits      Limits
	draining    atomic.Bool

	clock  *gateway.Clock
	stepMu sync.Mutex // one pass over due work at a time, on a test clock
}

// New wires a node on cfg.Store, creating the gateway's first key when the
// store has none.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Store == nil || cfg.Processor == nil {
		return nil, fmt.Errorf("node: Config.Store and Config.Processor are required")
	}
	if cfg.Clock != nil {
		cfg.Now = cfg.Clock.Now
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Node{log: log, jobInterval: cfg.JobInterval, limits: cfg.Limits, clock: cfg.Clock, Metrics: httpapi.NewMetrics(), Traffic: traffic.NewRing(0, 0)}
	n.Service = &gateway.Service{
		Store: cfg.Store, Processor: cfg.Processor, Now: cfg.Now, Log: log,
		CancelWindow: cfg.CancelWindow, RefundWindow: cfg.RefundWindow, PaymentExpiry: cfg.PaymentExpiry, AuthExpiry: cfg.AuthExpiry,
		NotificationBody: notify.Body, CaptureNotificationBody: notify.CaptureBody, NotifySchedule: cfg.NotifySchedule, FormatMoney: view.FormatMoney,
	}
	active, _, err := n.Service.EnsureGatewayKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("gateway key: %w", err)
	}
	n.ActiveKey = active
	n.Keyring = &gateway.Keyring{Store: cfg.Store, MaxAge: cfg.RegistryRefresh}
	n.Service.RegistryChanged = n.Keyring.Invalidate
	n.API = &httpapi.Server{
		Service: n.Service, Keyring: n.Keyring, Log: log, Metrics: n.Metrics, Now: cfg.Now,
		MaxBody: cfg.MaxBody, MaxClockSkew: cfg.MaxClockSkew, Traffic: n.Traffic, RefusalRate: cfg.RefusalRate,
		Ready: func() bool { return !n.draining.Load() },
	}
	n.Notifier = &notify.Worker{
		Store: cfg.Store, Keyring: n.Keyring, Schedule: cfg.NotifySchedule, Now: cfg.Now, Log: log,
		ConnectTimeout: cfg.NotifyConnectTimeout, Timeout: cfg.NotifyTimeout, Concurrency: cfg.NotifyConcurrency,
		PerClient: cfg.NotifyPerClient, PerHost: cfg.NotifyPerHost, Poll: cfg.NotifyPoll,
		AllowPrivate: cfg.NotifyAllowPrivate, AllowCIDRs: cfg.NotifyAllowCIDRs,
		Metrics: notify.NewMetrics(n.Metrics.Registry),
	}
	n.web(cfg)
	return n, nil
}

// Run carries out delayed transitions and delivers notifications until
// ctx ends, then waits for the work in flight to finish.
func (n *Node) Run(ctx context.Context) {
	if n.clock != nil {
		n.runOnTestClock(ctx)
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { n.Service.RunWorker(ctx, n.jobInterval, n.log) })
	wg.Go(func() { n.Notifier.Run(ctx) })
	wg.Wait()
}

// Drain makes /readyz answer 503, so a load balancer stops sending new
// requests while the ones in flight finish.
func (n *Node) Drain() { n.draining.Store(true) }

// TestClock returns the node's test clock; nil when it runs on the real
// clock.
func (n *Node) TestClock() *gateway.Clock { return n.clock }

// ErrRealClock is Advance's error on a node that runs on the real clock.
var ErrRealClock = errors.New("the gateway runs on the real clock; start it with antomgw serve --test-clock")

// maxSteps bounds the due times one Advance visits, so a bug that keeps
// work due forever cannot hang it.
const maxSteps = 100_000

// Advance moves the node's test clock forward by d and carries out what
// falls due on the way, in order: it moves the clock to the next due time
// (of a delayed transition or a notification attempt), carries out
// everything due then (transitions first, then one attempt of each due
// notification, including those the transitions created), and repeats
// until the next due time is past the target; then it moves the clock to
// the target. A notification whose receiver fails is retried on the way
// when its schedule says so. It returns ErrRealClock on a node without a
// test clock, and the first error of a transition or a delivery pass
// (with what was done until then). Advances are serialised with each other
// and with Run's passes.
func (n *Node) Advance(ctx context.Context, d time.Duration) (gateway.Advanced, error) {
	if n.clock == nil {
		return gateway.Advanced{}, ErrRealClock
	}
	if d <= 0 {
		return gateway.Advanced{}, fmt.Errorf("advance by %s: the duration must be positive", d)
	}
	n.stepMu.Lock()
	defer n.stepMu.Unlock()
	from := n.clock.Now()
	out := gateway.Advanced{From: from, To: from.Add(d)}
	for range maxSteps {
		next, ok, err := n.nextDue(ctx)
		if err != nil {
			return out, err
		}
		if !ok || next.After(out.To) {
			n.clock.Set(out.To)
			jobs, attempts, err := n.runDue(ctx)
			out.Jobs, out.Attempts = out.Jobs+jobs, out.Attempts+attempts
			return out, err
		}
		if next.After(n.clock.Now()) {
			n.clock.Set(next)
		}
		jobs, attempts, err := n.runDue(ctx)
		out.Jobs, out.Attempts = out.Jobs+jobs, out.Attempts+attempts
		if err != nil {
			return out, err
		}
	}
	return out, fmt.Errorf("advance: stopped after %d due times at %s; work keeps falling due", maxSteps, n.clock.Now().Format(time.RFC3339Nano))
}

// nextDue returns the earliest time a transition or a notification attempt
// falls due.
func (n *Node) nextDue(ctx context.Context) (time.Time, bool, error) {
	job, jobOK, err := n.Service.Store.NextJobDue(ctx)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next job due: %w", err)
	}
	note, noteOK, err := n.Service.Store.NextNotificationDue(ctx)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next notification due: %w", err)
	}
	switch {
	case jobOK && noteOK:
		if note.Before(job) {
			return note, true, nil
		}
		return job, true, nil
	case jobOK:
		return job, true, nil
	}
	return note, noteOK, nil
}

// runDue carries out every transition due now, then makes one attempt of
// every notification due now. The caller holds stepMu.
func (n *Node) runDue(ctx context.Context) (jobs, attempts int, err error) {
	const batch = 64
	for {
		done, err := n.Service.RunJobs(ctx, batch)
		jobs += done
		if err != nil {
			return jobs, 0, fmt.Errorf("delayed transitions: %w", err)
		}
		if done < batch {
			break
		}
	}
	attempts, err = n.Notifier.DeliverDue(ctx)
	if err != nil {
		err = fmt.Errorf("notifications: %w", err)
	}
	return jobs, attempts, err
}

// runOnTestClock is Run on a test clock: a pass over what is due every
// JobInterval (of real time), until ctx ends.
func (n *Node) runOnTestClock(ctx context.Context) {
	interval := n.jobInterval
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n.stepMu.Lock()
		_, _, err := n.runDue(ctx)
		n.stepMu.Unlock()
		if err != nil && ctx.Err() == nil {
			n.log.Warn("due work on the test clock failed; it is retried on the next pass", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
