// Package notify delivers the gateway's notifications (notifyPayment,
// notifyRefund) to merchants: it claims due rows of the outbox, POSTs each
// signed afresh, records the attempt and reschedules it on the retry
// schedule, at least once, across restarts and crashes.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// Store is what the worker needs of the gateway store.
type Store interface {
	gateway.Transactor // recording attempts (gateway.RecordAttempt)
	ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]gateway.Notification, error)
	DeferNotification(ctx context.Context, id string, until time.Time) error
	// NotificationStats returns the notifications this process committed
	// and counts the pending ones (see gateway.Store).
	NotificationStats(ctx context.Context) (created, pending int64, err error)
}

// Worker delivers notifications. Set Store and Keyring; every other field
// has a working default. Run it once per process; several processes on one
// database share the work through the store's leases.
//
// Attempts are limited so that one merchant cannot hold up the others: at
// most Concurrency in flight in all, PerClient per client and PerHost per
// destination host; a due notification whose client or host is at its
// limit waits (in memory for a while, else deferred in the store without an
// attempt) while the others are sent. A destination that keeps timing out
// is paused by a circuit breaker (breaker.go).
type Worker struct {
	Store   Store
	Keyring *gateway.Keyring

	// Schedule is the retry schedule. Defaults to gateway.AntomSchedule.
	Schedule gateway.RetrySchedule
	// ConnectTimeout bounds getting a connection: DNS, TCP connect and TLS
	// handshake. Defaults to 3s (and at most Timeout).
	ConnectTimeout time.Duration
	// Timeout bounds one attempt, connection to last byte. Defaults to 5s.
	Timeout time.Duration
	// Concurrency is how many attempts run at once in all. Defaults to 64.
	Concurrency int
	// PerClient is how many attempts run at once for one client (merchant).
	// Defaults to 8.
	PerClient int
	// PerHost is how many attempts run at once against one host name or IP
	// address, whatever the port. Defaults to 4.
	PerHost int
	// AllowPrivate allows targets on loopback and private networks
	// (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7…); the zero value
	// refuses them. Link-local, cloud metadata and the other special
	// addresses are refused either way (see addr.go).
	AllowPrivate bool
	// AllowCIDRs are allowed whatever their class: an operator's exception
	// for an internal receiver.
	AllowCIDRs []netip.Prefix
	// Resolver resolves the host names of notify URLs. Defaults to
	// net.DefaultResolver.
	Resolver Resolver
	// Dial opens a TCP connection to an address ("203.0.113.7:443") the
	// policy allowed. Defaults to a net.Dialer; tests set it to reach a
	// loopback server whatever the address.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// MaxAckBytes caps how much of a response is read. Defaults to 64 KiB.
	MaxAckBytes int64
	// Poll is how often the outbox is checked. Defaults to 100ms.
	Poll time.Duration
	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time
	// Log receives one line per attempt. Defaults to discarding.
	Log *slog.Logger
	// Metrics, when set, is updated with every attempt.
	Metrics *Metrics

	once    sync.Once
	client  *http.Client
	breaker breaker
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

func (w *Worker) init() {
	w.once.Do(func() {
		if w.Timeout <= 0 {
			w.Timeout = 5 * time.Second
		}
		if w.ConnectTimeout <= 0 {
			w.ConnectTimeout = 3 * time.Second
		}
		w.ConnectTimeout = min(w.ConnectTimeout, w.Timeout)
		if w.Concurrency <= 0 {
			w.Concurrency = 64
		}
		if w.PerClient <= 0 {
			w.PerClient = 8
		}
		if w.PerHost <= 0 {
			w.PerHost = 4
		}
		if w.MaxAckBytes <= 0 {
			w.MaxAckBytes = 64 << 10
		}
		if w.Poll <= 0 {
			w.Poll = 100 * time.Millisecond
		}
		if len(w.Schedule) == 0 {
			w.Schedule = gateway.AntomSchedule
		}
		if w.Log == nil {
			w.Log = slog.New(slog.DiscardHandler)
		}
		w.client = w.newClient()
	})
}

// lease is how long a claim lasts: an attempt and the time to record it.
func (w *Worker) lease() time.Duration { return 2*w.Timeout + 30*time.Second }

// Run delivers due notifications until ctx ends, then releases the ones it
// holds, waits for the attempts in flight (each bounded by Timeout) and
// returns.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	d := newDispatcher(ctx, w)
	tick := time.NewTicker(w.Poll)
	defer tick.Stop()
	var nextStats time.Time
	for {
		if w.Metrics != nil && !time.Now().Before(nextStats) {
			nextStats = w.readStats(ctx)
		}
		d.startHeld() // first: they were claimed before the ones claimed now
		for ctx.Err() == nil {
			free := d.free()
			if free <= 0 {
				break
			}
			// Not cancelled with ctx: a claim that commits as Run stops
			// must come back with its batch, which is then started, held
			// and released, never left leased.
			batch, err := w.Store.ClaimNotifications(context.WithoutCancel(ctx), w.now(), w.lease(), free)
			if err != nil {
				if ctx.Err() == nil {
					w.Log.Warn("claim notifications", "err", err)
				}
				break
			}
			for _, n := range batch {
				d.dispatch(n)
			}
			if len(batch) < free {
				break
			}
			// More may be due: those claimed were started, held or
			// deferred, so the next claim reaches the ones after them.
		}
		// Until the next poll, start held notifications as slots free.
		for polled := false; !polled; {
			select {
			case <-ctx.Done():
				d.stop()
				return
			case <-tick.C:
				d.tidy()
				polled = true
			case <-d.wake:
				d.startHeld()
			}
		}
	}
}

// readStats reads the backlog for the metrics and returns when to read it
// next: after a second, or after 20 times as long as the count took, so
// that counting a large backlog takes at most a twentieth of a
// connection's time. It is read on real time, like the metrics' scrapes.
func (w *Worker) readStats(ctx context.Context) time.Time {
	start := time.Now()
	if created, pending, err := w.Store.NotificationStats(ctx); err == nil {
		w.Metrics.setStats(created, pending)
	}
	return statsDue(start, time.Now())
}

// statsDue is when to read the stats again after a read from start to end.
func statsDue(start, end time.Time) time.Time {
	return start.Add(max(time.Second, 20*end.Sub(start)))
}

// DeliverDue makes one attempt at every notification due now (by the
// worker's clock), within the PerClient and PerHost limits (the others
// wait their turn), waits for the attempts, and returns how many it made.
// An attempt at a destination paused by the circuit breaker is recorded
// as not sent, and counted. It is Run's work without the polling: for
// tests that move a fake clock, and for an operator's "deliver now". It
// claims the notifications like Run, so it may run next to Run on other
// processes. A notification due again at once (a schedule with zero
// delays) is left for the next call.
func (w *Worker) DeliverDue(ctx context.Context) (int, error) {
	w.init()
	attempted := map[string]bool{}
	hosts, clients := map[string]chan struct{}{}, map[string]chan struct{}{}
	slots := func(m map[string]chan struct{}, key string, n int) chan struct{} {
		if m[key] == nil {
			m[key] = make(chan struct{}, n)
		}
		return m[key]
	}
	total := 0
	for {
		batch, err := w.Store.ClaimNotifications(ctx, w.now(), w.lease(), w.Concurrency)
		if err != nil {
			return total, err
		}
		var wg sync.WaitGroup
		fresh := 0
		for _, n := range batch {
			if attempted[n.ID] {
				// Release it untouched: one attempt per call.
				if err := w.Store.DeferNotification(ctx, n.ID, n.DueAt); err != nil {
					wg.Wait()
					return total + fresh, err
				}
				continue
			}
			attempted[n.ID] = true
			fresh++
			client, host := slots(clients, n.ClientID, w.PerClient), slots(hosts, hostOf(n.URL), w.PerHost)
			wg.Go(func() {
				client <- struct{}{}
				host <- struct{}{}
				defer func() { <-host; <-client }()
				w.send(ctx, n)
			})
		}
		wg.Wait()
		total += fresh
		if len(batch) < w.Concurrency || fresh == 0 {
			return total, nil
		}
	}
}

// send makes the attempt at n, or records it as not sent when its
// destination is paused; while a probe of the destination is in flight it
// waits for its outcome.
func (w *Worker) send(ctx context.Context, n gateway.Notification) {
	if w.failByRule(ctx, n) {
		return
	}
	dest := destOf(n.URL)
	for {
		v, t, until, wait := w.breaker.admit(dest, w.now())
		switch v {
		case pause:
			w.notSent(ctx, n, dest, until)
			return
		case await:
			<-wait // the probe is an attempt in flight, bounded by Timeout
			continue
		}
		w.attempt(ctx, n, t)
		return
	}
}

// attempt makes one delivery attempt and records it; t is the breaker's
// ticket, told the outcome. The attempt itself finishes even when ctx ends
// (it is bounded by Timeout), so that what was sent is recorded. It
// returns the attempt's outcome.
func (w *Worker) attempt(ctx context.Context, n gateway.Notification, t ticket) gateway.AttemptOutcome {
	start := w.now()
	a := w.deliver(context.WithoutCancel(ctx), &n)
	a.Duration = w.now().Sub(start)
	w.breaker.done(t, a.Outcome == gateway.OutcomeTimeout, w.now())
	w.record(ctx, n, a, start)
	return a.Outcome
}

// failByRule records a failed attempt of n without sending it when one of
// the client's notify scenario rules (docs/simulator.md) fires, and
// reports whether one did. Without rules it costs no store read.
func (w *Worker) failByRule(ctx context.Context, n gateway.Notification) bool {
	keys, err := w.Keyring.Keys(ctx)
	if err != nil {
		return false // deliver as usual; the delivery reports the registry
	}
	rules := keys.ScenarioRules(n.ClientID, gateway.ScenarioNotify)
	if len(rules) == 0 {
		return false
	}
	start := w.now()
	a, after, fired, err := gateway.FailNotificationByRule(context.WithoutCancel(ctx), w.Store, rules, n, start, w.Schedule)
	if err != nil {
		w.Log.Error("scenario rule for a notification", "id", n.ID, "err", err)
		return false
	}
	if !fired {
		return false
	}
	var next time.Time
	if after.Pending() {
		next = after.DueAt
	}
	w.Log.Warn("notification attempt", "id", n.ID, "kind", n.Kind, "client_id", n.ClientID,
		"payment_id", n.PaymentID, "attempt", a.Number, "outcome", a.Outcome, "http_status", a.HTTPStatus,
		"error", a.Error, "next", next)
	if w.Metrics != nil {
		w.Metrics.attempt(a.Outcome, 0)
	}
	return true
}

// notSent records an attempt at a paused destination: nothing was sent.
func (w *Worker) notSent(ctx context.Context, n gateway.Notification, dest string, until time.Time) {
	a := gateway.Attempt{Outcome: gateway.OutcomeConnection, Error: fmt.Sprintf(
		"not sent: %s keeps timing out, so sending to it is paused until %s (circuit breaker)", dest, until.Format(time.RFC3339))}
	w.record(ctx, n, a, w.now())
}

// record stores attempt a of n, made at start, logs it and counts it.
func (w *Worker) record(ctx context.Context, n gateway.Notification, a gateway.Attempt, start time.Time) {
	a.NotificationID, a.At = n.ID, start
	var next time.Time
	if after, err := gateway.RecordAttempt(context.WithoutCancel(ctx), w.Store, a, w.Schedule); err != nil {
		// The lease runs out and the notification is tried again: at
		// least once, never lost.
		w.Log.Error("record notification attempt", "id", n.ID, "err", err)
	} else if after.Pending() {
		next = after.DueAt
	}
	level := slog.LevelInfo
	if a.Outcome != gateway.OutcomeDelivered {
		level = slog.LevelWarn
	}
	w.Log.Log(ctx, level, "notification attempt", "id", n.ID, "kind", n.Kind, "client_id", n.ClientID,
		"payment_id", n.PaymentID, "attempt", n.Attempts+1, "outcome", a.Outcome, "http_status", a.HTTPStatus,
		"error", a.Error, "next", next, "duration", a.Duration)
	if w.Metrics != nil {
		w.Metrics.attempt(a.Outcome, a.Duration)
		if a.Outcome == gateway.OutcomeDelivered {
			w.Metrics.delivered(w.now().Sub(n.CreatedAt))
		}
	}
}

// deliver POSTs the notification, signed afresh with the gateway key of
// the client (its pinned version, else the active one) over POST <path of the URL>\n<client-id>.<request-time>.<body>.
func (w *Worker) deliver(ctx context.Context, n *gateway.Notification) gateway.Attempt {
	fail := func(o gateway.AttemptOutcome, status int, format string, args ...any) gateway.Attempt {
		return gateway.Attempt{Outcome: o, HTTPStatus: status, Error: fmt.Sprintf(format, args...)}
	}
	u, err := url.Parse(n.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail(gateway.OutcomeConnection, 0, "notify URL %q is not an absolute http(s) URL", n.URL)
	}
	keys, err := w.Keyring.Keys(ctx)
	if err != nil {
		return fail(gateway.OutcomeConnection, 0, "gateway keys: %v", err)
	}
	key, ver, err := keys.SigningKey(n.ClientID)
	if err != nil {
		return fail(gateway.OutcomeConnection, 0, "gateway keys: %v", err)
	}
	uri := u.EscapedPath()
	if uri == "" {
		uri = "/"
	}
	if u.RawQuery != "" {
		uri += "?" + u.RawQuery
	}
	// A client whose API traffic is encrypted gets the body encrypted for
	// its newest key; the plaintext stays the same on every attempt.
	body, contentType, encHeader := n.Body, "application/json; charset=UTF-8", ""
	if client, err := keys.Client(n.ClientID); err == nil && client.Encrypted {
		pub, kv, err := keys.ClientKey(n.ClientID, 0)
		if err != nil {
			return fail(gateway.OutcomeConnection, 0, "client %s wants encrypted notifications but has no active key", n.ClientID)
		}
		enc, eh, err := wire.EncryptBody(nil, pub, kv, n.Body)
		if err != nil {
			return fail(gateway.OutcomeConnection, 0, "encrypt: %v", err)
		}
		body, contentType, encHeader = enc, "text/plain; charset=UTF-8", eh.String()
	}
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(body))
	if err != nil {
		return fail(gateway.OutcomeConnection, 0, "request: %v", err)
	}
	m := wire.Message{Method: http.MethodPost, URI: uri, ClientID: n.ClientID, Time: wire.FormatTime(w.now()), Body: body}
	if err := m.WriteHeaders(req.Header, wire.Notification, key, ver); err != nil {
		return fail(gateway.OutcomeConnection, 0, "sign: %v", err)
	}
	req.Header["content-type"] = []string{contentType}
	if encHeader != "" {
		req.Header["encrypt"] = []string{encHeader}
	}
	req.Header.Set("User-Agent", "antomgw-notify/1")
	resp, err := w.client.Do(req)
	if err != nil {
		o, text := w.failure(err)
		return fail(o, 0, "%s", text)
	}
	defer resp.Body.Close()
	// Only the status line of the answer is recorded (with the standard
	// reason phrase, not the receiver's): its body and headers may be
	// anything, from any service the URL points at.
	status := fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	answer, err := io.ReadAll(io.LimitReader(resp.Body, w.MaxAckBytes))
	if err != nil {
		o, text := w.failure(err)
		if o == gateway.OutcomeTimeout {
			return fail(o, resp.StatusCode, "%s, but the answer was not read within %s", status, w.Timeout)
		}
		return fail(o, resp.StatusCode, "%s, but reading the answer failed: %s", status, text)
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return fail(gateway.OutcomeRedirect, resp.StatusCode, "%s: redirects are not followed; answer at the notify URL itself", status)
	case resp.StatusCode != http.StatusOK:
		return fail(gateway.OutcomeHTTPStatus, resp.StatusCode, "%s", status)
	}
	var ack struct {
		Result *struct {
			Status wire.Status `json:"resultStatus"`
		} `json:"result"`
	}
	var why string
	switch err := json.Unmarshal(answer, &ack); {
	case err != nil:
		why = "the answer is not JSON"
	case ack.Result == nil:
		why = "the answer has no result"
	case ack.Result.Status == wire.StatusSuccess:
		return gateway.Attempt{Outcome: gateway.OutcomeDelivered, HTTPStatus: resp.StatusCode}
	case ack.Result.Status == wire.StatusFail || ack.Result.Status == wire.StatusUnknown:
		why = fmt.Sprintf("its result.resultStatus is %s", ack.Result.Status)
	default:
		why = "its result.resultStatus is not S"
	}
	return fail(gateway.OutcomeBadAck, resp.StatusCode, "%s without the acknowledgement {\"result\":{\"resultStatus\":\"S\",…}}: %s", status, why)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
