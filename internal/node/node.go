// Package node wires one gateway process: the use cases on a store, the
// HTTP API in front of them and the two workers behind them (delayed
// transitions and notification delivery). antomgw serve runs one on the real
// clock; internal/gatewaytest runs one inside a test on a fake clock and
// steps its workers by hand. Both get the same parts in the same
// arrangement, so what the tests exercise is what serve runs.
package node

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/httpapi"
	"github.com/antomgw/antomgw/internal/notify"
	"github.com/antomgw/antomgw/internal/traffic"
)

// Config is what a node is made of. Store and Processor are required;
// every other field has a working zero value.
type Config struct {
	Store     gateway.Store
	Processor gateway.Processor
	// Now is the clock of every part. Defaults to time.Now.
	Now func() time.Time
	// Log receives the parts' logs. Defaults to discarding.
	Log *slog.Logger

	// The use cases' settings; see gateway.Service.
	CancelWindow, RefundWindow, PaymentExpiry time.Duration
	// NotifySchedule is the notification retry schedule. Defaults to
	// gateway.AntomSchedule.
	NotifySchedule gateway.RetrySchedule

	// The HTTP API's settings; see httpapi.Server.
	MaxBody      int64
	MaxClockSkew time.Duration

	// The notification delivery settings; see notify.Worker.
	NotifyTimeout      time.Duration
	NotifyPerHost      int
	NotifyAllowPrivate bool
	NotifyPoll         time.Duration

	// JobInterval is how often due delayed transitions are looked for.
	// Defaults to 100ms.
	JobInterval time.Duration
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

	log         *slog.Logger
	jobInterval time.Duration
	draining    atomic.Bool
}

// New wires a node on cfg.Store, creating the gateway's first key when the
// store has none.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Store == nil || cfg.Processor == nil {
		return nil, fmt.Errorf("node: Config.Store and Config.Processor are required")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Node{log: log, jobInterval: cfg.JobInterval, Metrics: httpapi.NewMetrics(), Traffic: traffic.NewRing(0, 0)}
	n.Service = &gateway.Service{
		Store: cfg.Store, Processor: cfg.Processor, Now: cfg.Now, Log: log,
		CancelWindow: cfg.CancelWindow, RefundWindow: cfg.RefundWindow, PaymentExpiry: cfg.PaymentExpiry,
		NotificationBody: notify.Body, NotifySchedule: cfg.NotifySchedule,
	}
	active, _, err := n.Service.EnsureGatewayKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("gateway key: %w", err)
	}
	n.ActiveKey = active
	n.Keyring = &gateway.Keyring{Store: cfg.Store}
	n.API = &httpapi.Server{
		Service: n.Service, Keyring: n.Keyring, Log: log, Metrics: n.Metrics, Now: cfg.Now,
		MaxBody: cfg.MaxBody, MaxClockSkew: cfg.MaxClockSkew, Traffic: n.Traffic,
		Ready: func() bool { return !n.draining.Load() },
	}
	n.Notifier = &notify.Worker{
		Store: cfg.Store, Keyring: n.Keyring, Schedule: cfg.NotifySchedule, Now: cfg.Now, Log: log,
		Timeout: cfg.NotifyTimeout, PerHost: cfg.NotifyPerHost, AllowPrivate: cfg.NotifyAllowPrivate, Poll: cfg.NotifyPoll,
		Metrics: notify.NewMetrics(n.Metrics.Registry),
	}
	return n, nil
}

// Run carries out delayed transitions and delivers notifications until
// ctx ends, then waits for the work in flight to finish.
func (n *Node) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { n.Service.RunWorker(ctx, n.jobInterval, n.log) })
	wg.Go(func() { n.Notifier.Run(ctx) })
	wg.Wait()
}

// Drain makes /readyz answer 503, so a load balancer stops sending new
// requests while the ones in flight finish.
func (n *Node) Drain() { n.draining.Store(true) }
