package notify

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/antomgw/antomgw/internal/gateway"
)

// Metrics are the delivery metrics: notifications this process enqueued,
// the pending backlog (read from the store, so it spans nodes), attempts
// by outcome and delivery lag.
type Metrics struct {
	created, pending atomic.Int64
	attempts         *prometheus.CounterVec
	attemptDuration  prometheus.Histogram
	lag              prometheus.Histogram
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "antomgw_notification_attempts_total",
			Help: "Notification delivery attempts, by outcome (delivered, http_status, bad_ack, redirect, timeout, connection, refused).",
		}, []string{"outcome"}),
		attemptDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "antomgw_notification_attempt_duration_seconds",
			Help:    "Duration of one delivery attempt.",
			Buckets: prometheus.DefBuckets,
		}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "antomgw_notification_delivery_lag_seconds",
			Help:    "Time from a notification's creation to its acknowledgement.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 30, 120, 600, 3600, 6 * 3600, 24 * 3600},
		}),
	}
	reg.MustRegister(m.attempts, m.attemptDuration, m.lag,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "antomgw_notifications_enqueued_total",
			Help: "Notifications this process wrote to the outbox (committed) since it started.",
		}, func() float64 { return float64(m.created.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "antomgw_notification_backlog",
			Help: "Notifications not yet delivered and not given up, in the whole store (all nodes).",
		}, func() float64 { return float64(m.pending.Load()) }),
	)
	return m
}

func (m *Metrics) setStats(created, pending int64) {
	m.created.Store(created)
	m.pending.Store(pending)
}

func (m *Metrics) attempt(o gateway.AttemptOutcome, d time.Duration) {
	m.attempts.WithLabelValues(string(o)).Inc()
	m.attemptDuration.Observe(d.Seconds())
}

func (m *Metrics) delivered(lag time.Duration) {
	m.lag.Observe(lag.Seconds())
}
