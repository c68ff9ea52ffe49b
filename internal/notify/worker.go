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
	"net/url"
	"sync"
	"syscall"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// Store is what the worker needs of the gateway store.
type Store interface {
	gateway.Transactor // recording attempts (gateway.RecordAttempt)
	ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]gateway.Notification, error)
	DeferNotification(ctx context.Context, id string, until time.Time) error
	NotificationStats(ctx context.Context) (created, pending int64, err error)
}

// Worker delivers notifications. Set Store and Keyring; every other field
// has a working default. Run it once per process; several processes on one
// database share the work through the store's leases.
type Worker struct {
	Store   Store
	Keyring *gateway.Keyring

	// Schedule is the retry schedule. Defaults to gateway.AntomSchedule.
	Schedule gateway.RetrySchedule
	// Timeout bounds one attempt, connection to last byte. Defaults to 5s.
	Timeout time.Duration
	// Concurrency is how many attempts run at once. Defaults to 16.
	Concurrency int
	// PerHost is how many attempts run at once against one host, so a slow
	// merchant cannot take every slot. Defaults to 4.
	PerHost int
	// AllowPrivate allows targets on loopback, private and link-local
	// addresses. The zero value refuses them; serve turns it on by default
	// so that local development works.
	AllowPrivate bool
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

	once   sync.Once
	client *http.Client
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
		if w.Concurrency <= 0 {
			w.Concurrency = 16
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
		dialer := &net.Dialer{Timeout: w.Timeout, Control: w.checkAddress}
		w.client = &http.Client{
			Transport: &http.Transport{
				DialContext:           dialer.DialContext,
				TLSHandshakeTimeout:   w.Timeout,
				ResponseHeaderTimeout: w.Timeout,
				MaxIdleConnsPerHost:   w.PerHost,
				IdleConnTimeout:       90 * time.Second,
				ForceAttemptHTTP2:     true,
			},
			// A redirect is a failed attempt: the merchant must answer at
			// the URL it registered.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	})
}

// errRefused marks an attempt stopped before connecting: the target's
// address is not allowed.
var errRefused = errors.New("target address is loopback, private or link-local; allow with --notify-allow-private")

// checkAddress runs for every connection, after DNS, so a name that
// resolves to a private address is refused too.
func (w *Worker) checkAddress(_, address string, _ syscall.RawConn) error {
	if w.AllowPrivate {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() {
		return errRefused
	}
	return nil
}

// Run delivers due notifications until ctx ends, then waits for the
// attempts in flight (each bounded by Timeout) and returns.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	var (
		mu      sync.Mutex
		perHost = map[string]int{}
		running int
		wg      sync.WaitGroup
	)
	tick := time.NewTicker(w.Poll)
	defer tick.Stop()
	lastStats := time.Time{}
	lease := 2*w.Timeout + 30*time.Second
	for {
		if w.Metrics != nil && time.Since(lastStats) > time.Second {
			lastStats = time.Now()
			if created, pending, err := w.Store.NotificationStats(ctx); err == nil {
				w.Metrics.setStats(created, pending)
			}
		}
		mu.Lock()
		free := w.Concurrency - running
		mu.Unlock()
		if free > 0 {
			batch, err := w.Store.ClaimNotifications(ctx, w.now(), lease, free)
			if err != nil && ctx.Err() == nil {
				w.Log.Warn("claim notifications", "err", err)
			}
			for _, n := range batch {
				host := hostOf(n.URL)
				mu.Lock()
				busy := perHost[host] >= w.PerHost
				if !busy {
					perHost[host]++
					running++
				}
				mu.Unlock()
				if busy {
					// Leave it for a moment instead of holding a slot while
					// the host is slow.
					if err := w.Store.DeferNotification(context.WithoutCancel(ctx), n.ID, w.now().Add(w.Poll*5)); err != nil {
						w.Log.Warn("defer notification", "id", n.ID, "err", err)
					}
					continue
				}
				wg.Go(func() {
					w.attempt(ctx, n)
					mu.Lock()
					perHost[host]--
					running--
					mu.Unlock()
				})
			}
			if len(batch) == free {
				continue // more may be due
			}
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
		}
	}
}

// DeliverDue makes one attempt at every notification due now (by the
// worker's clock), at most PerHost at a time against one host, waits for
// the attempts, and returns how many it made. It is Run's work without the
// polling: for tests that move a fake clock, and for an operator's "deliver
// now". It claims the notifications like Run, so it may run next to Run on
// other processes. A notification due again at once (a schedule with zero
// delays) is left for the next call.
func (w *Worker) DeliverDue(ctx context.Context) (int, error) {
	w.init()
	lease := 2*w.Timeout + 30*time.Second
	attempted := map[string]bool{}
	hosts := map[string]chan struct{}{}
	total := 0
	for {
		batch, err := w.Store.ClaimNotifications(ctx, w.now(), lease, w.Concurrency)
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
			slots := hosts[hostOf(n.URL)]
			if slots == nil {
				slots = make(chan struct{}, w.PerHost)
				hosts[hostOf(n.URL)] = slots
			}
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				w.attempt(ctx, n)
			})
		}
		wg.Wait()
		total += fresh
		if len(batch) < w.Concurrency || fresh == 0 {
			return total, nil
		}
	}
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Host
}

// attempt makes one delivery attempt and records it. The attempt itself
// finishes even when ctx ends (it is bounded by Timeout), so that what was
// sent is recorded.
func (w *Worker) attempt(ctx context.Context, n gateway.Notification) {
	start := w.now()
	a := w.deliver(context.WithoutCancel(ctx), &n)
	a.NotificationID, a.At = n.ID, start
	a.Duration = w.now().Sub(start)
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
		switch {
		case errors.Is(err, errRefused):
			return fail(gateway.OutcomeRefused, 0, "%s", errRefused)
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			return fail(gateway.OutcomeTimeout, 0, "no answer within %s", w.Timeout)
		}
		return fail(gateway.OutcomeConnection, 0, "%v", unwrapURLError(err))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, w.MaxAckBytes))
	if err != nil {
		if isTimeout(err) || errors.Is(err, context.DeadlineExceeded) {
			return fail(gateway.OutcomeTimeout, resp.StatusCode, "response body not read within %s", w.Timeout)
		}
		return fail(gateway.OutcomeConnection, resp.StatusCode, "read response: %v", err)
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return fail(gateway.OutcomeRedirect, resp.StatusCode, "HTTP %d redirect to %q is not followed", resp.StatusCode, resp.Header.Get("Location"))
	case resp.StatusCode != http.StatusOK:
		return fail(gateway.OutcomeHTTPStatus, resp.StatusCode, "HTTP %d", resp.StatusCode)
	}
	var ack struct {
		Result *wire.Result `json:"result"`
	}
	if err := json.Unmarshal(answer, &ack); err != nil || ack.Result == nil || ack.Result.Status != wire.StatusSuccess {
		return fail(gateway.OutcomeBadAck, resp.StatusCode, "HTTP 200 without the acknowledgement {\"result\":{\"resultStatus\":\"S\",…}}; got %q", clip(string(answer), 120))
	}
	return gateway.Attempt{Outcome: gateway.OutcomeDelivered, HTTPStatus: resp.StatusCode}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
