package notify

import (
	"context"
	"sync"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// dispatcher is Run's bookkeeping: the attempts in flight by client and
// host, and the claimed notifications waiting for a slot.
//
// Run never waits for a slot: a claimed notification whose client or host
// is at its limit is held in memory (a few per client and host, in claim
// order, started as soon as a slot frees) or, past that, deferred in the
// store without an attempt, spaced by how fast its host has been getting
// through its attempts, so that the backlog of a slow merchant comes due a
// little at a time and the next claim reaches the notifications behind it.
type dispatcher struct {
	ctx  context.Context
	w    *Worker
	wake chan struct{} // an attempt ended: a slot is free
	wg   sync.WaitGroup

	mu        sync.Mutex
	running   int
	perClient map[string]int
	perHost   map[string]int
	took      map[string]time.Duration // host → recent attempt duration (moving average)

	// Only Run's goroutine uses these.
	held       []held
	heldClient map[string]int
	heldHost   map[string]int
	horizon    map[string]time.Time // "host h" or "client c" → the latest time one was deferred to
}

// held is a claimed notification waiting for a slot.
type held struct {
	n          gateway.Notification
	host, dest string
	claimed    time.Time
}

// How many claimed notifications are held in memory, in multiples of the
// limit they wait for, and for how long at most. Past that they are
// deferred in the store.
const (
	holdPerLimit = 4
	maxDefer     = time.Minute
)

func newDispatcher(ctx context.Context, w *Worker) *dispatcher {
	return &dispatcher{ctx: ctx, w: w, wake: make(chan struct{}, 1),
		perClient: map[string]int{}, perHost: map[string]int{}, took: map[string]time.Duration{},
		heldClient: map[string]int{}, heldHost: map[string]int{}, horizon: map[string]time.Time{}}
}

// free is how many more attempts may start, in all.
func (d *dispatcher) free() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.w.Concurrency - d.running
}

// dispatch starts a claimed notification, or holds or defers it.
func (d *dispatcher) dispatch(n gateway.Notification) {
	h := held{n: n, host: hostOf(n.URL), dest: destOf(n.URL), claimed: d.w.now()}
	started, clientBusy, hostBusy := d.try(h)
	if started {
		return
	}
	w := d.w
	if len(d.held) < 2*w.Concurrency && d.heldClient[n.ClientID] < holdPerLimit*w.PerClient && d.heldHost[h.host] < holdPerLimit*w.PerHost {
		d.held = append(d.held, h)
		d.heldClient[n.ClientID]++
		d.heldHost[h.host]++
		return
	}
	d.deferBusy(h, clientBusy, hostBusy)
}

// try starts the attempt at h when its client and host have a free slot
// (or records it as not sent when its destination is paused), and
// otherwise says which limit it waits for.
func (d *dispatcher) try(h held) (done, clientBusy, hostBusy bool) {
	w := d.w
	if w.failByRule(d.ctx, h.n) { // a scenario rule fails it without sending
		return true, false, false
	}
	now := w.now()
	if until, ok := w.breaker.paused(h.dest, now); ok {
		w.notSent(d.ctx, h.n, h.dest, until)
		return true, false, false
	}
	client := h.n.ClientID
	d.mu.Lock()
	clientBusy, hostBusy = d.perClient[client] >= w.PerClient, d.perHost[h.host] >= w.PerHost
	if clientBusy || hostBusy || d.running >= w.Concurrency {
		d.mu.Unlock()
		return false, clientBusy, hostBusy
	}
	v, t, until, _ := w.breaker.admit(h.dest, now)
	switch v {
	case pause:
		d.mu.Unlock()
		w.notSent(d.ctx, h.n, h.dest, until)
		return true, false, false
	case await: // a probe of the destination is in flight; its end wakes Run
		d.mu.Unlock()
		return false, false, false
	}
	d.running++
	d.perClient[client]++
	d.perHost[h.host]++
	d.mu.Unlock()
	d.wg.Go(func() {
		start := time.Now()
		w.attempt(d.ctx, h.n, t)
		took := time.Since(start)
		d.mu.Lock()
		d.running--
		dec(d.perClient, client)
		dec(d.perHost, h.host)
		if prev, ok := d.took[h.host]; ok {
			took = (3*prev + took) / 4
		}
		d.took[h.host] = took
		d.mu.Unlock()
		select {
		case d.wake <- struct{}{}:
		default:
		}
	})
	return true, false, false
}

// startHeld starts the held notifications that can start now, in claim
// order, and releases those held so long that their lease would run out
// during the attempt.
func (d *dispatcher) startHeld() {
	if len(d.held) == 0 {
		return
	}
	now := d.w.now()
	maxAge := d.w.lease() - d.w.Timeout - 5*time.Second
	kept := d.held[:0]
	for _, h := range d.held {
		switch started, _, _ := d.try(h); {
		case started:
		case now.Sub(h.claimed) > maxAge:
			d.release(h)
		default:
			kept = append(kept, h)
			continue
		}
		dec(d.heldClient, h.n.ClientID)
		dec(d.heldHost, h.host)
	}
	clear(d.held[len(kept):])
	d.held = kept
}

// deferBusy releases the claim on h, due again when its host (or client)
// is likely to have a free slot: one more limit-th of the host's recent
// attempt duration after the last one deferred, at least five polls and at
// most maxDefer from now.
func (d *dispatcher) deferBusy(h held, clientBusy, hostBusy bool) {
	w := d.w
	now := w.now()
	soonest := now.Add(5 * w.Poll)
	d.mu.Lock()
	took, ok := d.took[h.host]
	d.mu.Unlock()
	if !ok {
		took = w.Poll
	}
	until := soonest
	push := func(key string, limit int) {
		t := d.horizon[key]
		if t.Before(soonest) {
			t = soonest
		}
		t = t.Add(took / time.Duration(limit))
		if limit := now.Add(maxDefer); t.After(limit) {
			t = limit
		}
		d.horizon[key] = t
		if t.After(until) {
			until = t
		}
	}
	if hostBusy {
		push("host "+h.host, w.PerHost)
	}
	if clientBusy {
		push("client "+h.n.ClientID, w.PerClient)
	}
	if err := w.Store.DeferNotification(context.WithoutCancel(d.ctx), h.n.ID, until); err != nil {
		w.Log.Warn("defer notification", "id", h.n.ID, "err", err)
	}
}

// release gives a held notification back, due as it was.
func (d *dispatcher) release(h held) {
	if err := d.w.Store.DeferNotification(context.WithoutCancel(d.ctx), h.n.ID, h.n.DueAt); err != nil {
		d.w.Log.Warn("release notification", "id", h.n.ID, "err", err)
	}
}

// tidy forgets what is past, so that the maps stay small.
func (d *dispatcher) tidy() {
	now := d.w.now()
	if len(d.horizon) > 1000 {
		for k, t := range d.horizon {
			if t.Before(now) {
				delete(d.horizon, k)
			}
		}
	}
	d.mu.Lock()
	if len(d.took) > 10000 {
		clear(d.took)
	}
	d.mu.Unlock()
	d.w.breaker.prune(now)
}

// stop releases the held notifications and waits for the attempts in
// flight.
func (d *dispatcher) stop() {
	for _, h := range d.held {
		d.release(h)
	}
	d.held = nil
	d.wg.Wait()
}

func dec(m map[string]int, key string) {
	if m[key] <= 1 {
		delete(m, key)
		return
	}
	m[key]--
}
