package notify

import (
	"net"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The circuit breaker: a destination (host and port) whose attempts time
// out breakerThreshold times in a row is paused for breakerBase; while it
// is paused its due notifications are not sent but recorded as failed
// attempts (so their schedule goes on, and a destination that stays down is
// given up on like one that is tried). When the pause ends one attempt
// goes through as a probe, the others wait for its outcome: an answer (any
// HTTP status) or a fast failure closes the circuit, another timeout pauses
// the destination again for twice as long, up to breakerMax.
const (
	breakerThreshold = 3
	breakerBase      = 30 * time.Second
	breakerMax       = 10 * time.Minute
)

type circuit struct {
	timeouts  int       // consecutive timeouts
	openUntil time.Time // zero while closed
	backoff   time.Duration
	probe     chan struct{} // non-nil while a probe is in flight; closed when it ends
}

type breaker struct {
	mu sync.Mutex
	m  map[string]*circuit
}

// verdict is what the breaker says of an attempt about to be made.
type verdict int

const (
	send  verdict = iota // circuit closed
	probe                // the pause is over: this attempt is the probe
	pause                // paused: record the attempt as not sent
	await                // a probe is in flight: wait for its outcome
)

// ticket is a granted attempt; pass it to done.
type ticket struct {
	dest  string
	probe chan struct{} // non-nil for the probe
}

// admit decides on an attempt at dest at now. On send and probe the caller
// must report the outcome with done; on pause until says when the pause
// ends; on await wait is closed when the probe ends.
func (b *breaker) admit(dest string, now time.Time) (v verdict, t ticket, until time.Time, wait <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.m[dest]
	switch {
	case c == nil || c.openUntil.IsZero():
		return send, ticket{dest: dest}, time.Time{}, nil
	case c.probe != nil:
		return await, ticket{}, time.Time{}, c.probe
	case now.Before(c.openUntil):
		return pause, ticket{}, c.openUntil, nil
	}
	c.probe = make(chan struct{})
	return probe, ticket{dest: dest, probe: c.probe}, time.Time{}, nil
}

// paused reports whether dest is paused at now (and until when), without
// granting anything.
func (b *breaker) paused(dest string, now time.Time) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.m[dest]; c != nil && c.probe == nil && now.Before(c.openUntil) {
		return c.openUntil, true
	}
	return time.Time{}, false
}

// done reports the outcome of a granted attempt.
func (b *breaker) done(t ticket, timedOut bool, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.m[t.dest]
	if !timedOut {
		if c != nil {
			if c.probe != nil {
				close(c.probe)
			}
			delete(b.m, t.dest)
		}
		return
	}
	if c == nil {
		if b.m == nil {
			b.m = map[string]*circuit{}
		}
		c = &circuit{}
		b.m[t.dest] = c
	}
	c.timeouts++
	switch {
	case t.probe != nil && c.probe == t.probe:
		close(c.probe)
		c.probe = nil
		c.backoff = min(2*c.backoff, breakerMax)
		c.openUntil = now.Add(c.backoff)
	case c.openUntil.IsZero() && c.timeouts >= breakerThreshold:
		c.backoff = breakerBase
		c.openUntil = now.Add(c.backoff)
	}
}

// prune forgets, when there are many, the destinations that are not
// paused: a few timeouts in a row are forgotten with them.
func (b *breaker) prune(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.m) < 10000 {
		return
	}
	for dest, c := range b.m {
		if c.probe == nil && !now.Before(c.openUntil) {
			delete(b.m, dest)
		}
	}
}

// hostOf is the key of the per-host limit: the URL's host name or IP
// address, lower case, without the port.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

// destOf is the key of the circuit breaker: host and port.
func destOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return net.JoinHostPort(hostOf(raw), port)
}
