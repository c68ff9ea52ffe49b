package httpapi

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/antomgw/antomgw/wire"
)

// Metrics are the server's Prometheus metrics, on a registry of their own.
type Metrics struct {
	Registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	storeErrors prometheus.Counter
	// keyVersionMismatch counts requests whose signature verified with
	// another client key version than the header named.
	keyVersionMismatch *prometheus.CounterVec
	// overLimit counts refusals before authentication beyond the
	// refusal budget, by what they got: cached (a pre-signed
	// REQUEST_TRAFFIC_EXCEED_LIMIT) or closed (the connection).
	overLimit *prometheus.CounterVec
	// ConnectionsEvicted counts open connections closed to make room
	// under the connection cap (see node.Serve).
	ConnectionsEvicted prometheus.Counter
	handler            http.Handler
}

// NewMetrics returns the server metrics, registered with Go runtime and
// process collectors on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "antomgw_requests_total",
			Help: "API requests answered, by API and result code.",
		}, []string{"api", "result_status", "result_code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "antomgw_request_duration_seconds",
			Help:    "Time from request arrival to the signed answer, by API.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 5, 60},
		}, []string{"api"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "antomgw_store_errors_total",
			Help: "Requests that failed on a store or internal error (answered U UNKNOWN_EXCEPTION).",
		}),
		keyVersionMismatch: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "antomgw_signature_key_version_mismatch_total",
			Help: "Requests whose signature verified with another active key version of the client than the Signature header named (official SDKs send keyVersion=1 whatever key signs).",
		}, []string{"client_id"}),
		overLimit: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "antomgw_refusals_over_limit_total",
			Help: "Refusals before authentication beyond --refusal-rate, by outcome: cached (answered with a pre-signed U REQUEST_TRAFFIC_EXCEED_LIMIT) or closed (connection closed without an answer).",
		}, []string{"outcome"}),
		ConnectionsEvicted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "antomgw_connections_evicted_total",
			Help: "Connections closed at --max-conns to make room for a new one: the one waiting longest for a request to be served (idle, or still sending its headers or body).",
		}),
	}
	m.overLimit.WithLabelValues("cached")
	m.overLimit.WithLabelValues("closed")
	m.Registry.MustRegister(m.requests, m.latency, m.storeErrors, m.keyVersionMismatch, m.overLimit, m.ConnectionsEvicted,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
	return m
}

// WatchConnections serves open() as the gauge antomgw_connections_open
// (the first call's).
func (m *Metrics) WatchConnections(open func() int) {
	m.Registry.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "antomgw_connections_open",
		Help: "Connections open on the API listener (at most --max-conns).",
	}, func() float64 { return float64(open()) }))
}

func (m *Metrics) observe(api string, res wire.Result, latency time.Duration) {
	m.requests.WithLabelValues(api, string(res.Status), res.Code).Inc()
	m.latency.WithLabelValues(api).Observe(latency.Seconds())
}
