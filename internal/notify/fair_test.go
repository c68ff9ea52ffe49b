package notify_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/notify"
)

// blackHole is a loopback listener that accepts connections and never
// answers, counting those open; close drops them all.
type blackHole struct {
	ln            net.Listener
	open, maxOpen *atomic.Int64 // shared by the black holes of one host

	mu    sync.Mutex
	conns []net.Conn
}

func newBlackHole(t *testing.T, open, maxOpen *atomic.Int64) *blackHole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackHole{ln: ln, open: open, maxOpen: maxOpen}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
			n := open.Add(1)
			for m := maxOpen.Load(); n > m && !maxOpen.CompareAndSwap(m, n); m = maxOpen.Load() {
			}
			go func() {
				io.Copy(io.Discard, c) // until the worker hangs up
				open.Add(-1)
			}()
		}
	}()
	return b
}

func (b *blackHole) port() int { return b.ln.Addr().(*net.TCPAddr).Port }

func (b *blackHole) close() {
	b.ln.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		c.Close()
	}
}

// TestFairDelivery is issue 14's case: client A's notify URLs black-hole
// (160 of them, on three hosts, two ports each); client B's notification,
// due after A's, is delivered at once, while every one of A's attempts is
// still waiting for an answer — A holds at most PerClient attempts in
// all and PerHost per host name whatever the port, and its other
// notifications wait without holding anything B needs. The worker's
// Timeout is 10s, so that "at once" is measured against it: B's
// notification must be delivered within a fifth of it (2s) of being due.
func TestFairDelivery(t *testing.T) {
	for _, blackHoled := range []int{0, 80, 160} {
		t.Run(fmt.Sprintf("%d black-holed", blackHoled), func(t *testing.T) {
			f := newFixture(t)
			const timeout = 10 * time.Second
			var clientMax atomic.Int64
			type host struct {
				name      string
				open, max atomic.Int64
				holes     []*blackHole
			}
			hosts := []*host{{name: "a1.test"}, {name: "a2.test"}, {name: "a3.test"}}
			fn := &fakeNet{hosts: map[string][]netip.Addr{"b.test": addrs("127.0.0.1")}}
			var holes []*blackHole
			for _, h := range hosts {
				fn.hosts[h.name] = addrs("127.0.0.1")
				for range 2 {
					bh := newBlackHole(t, &h.open, &h.max)
					h.holes = append(h.holes, bh)
					holes = append(holes, bh)
				}
			}
			closeHoles := sync.OnceFunc(func() {
				for _, bh := range holes {
					bh.close()
				}
			})
			defer closeHoles()
			// Each host's open count feeds the client's.
			inFlight := func() (total int64) {
				for _, h := range hosts {
					total += h.open.Load()
				}
				clientMax.Store(max(clientMax.Load(), total))
				return total
			}

			type arrival struct {
				at       time.Time
				inFlight int64
			}
			got := make(chan arrival, 1)
			b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				a := arrival{at: time.Now(), inFlight: inFlight()}
				ack(w)
				select {
				case got <- a:
				default:
				}
			}))
			defer b.Close()
			bPort := b.Listener.Addr().(*net.TCPAddr).Port

			past := time.Now().Add(-time.Second)
			for i := range blackHoled {
				h := hosts[i%len(hosts)]
				f.enqueueFor(t, fmt.Sprintf("A%03d", i), "A",
					fmt.Sprintf("http://%s:%d/notify", h.name, h.holes[i/len(hosts)%2].port()), past)
			}
			r := f.run(t, &notify.Worker{Schedule: gateway.RetrySchedule{0, time.Hour}, Timeout: timeout,
				AllowPrivate: true, Resolver: fn})
			if blackHoled > 0 {
				waitFor(t, "client A's attempts to fill its 8 slots", func() bool { return inFlight() == 8 })
			}
			due := time.Now()
			f.enqueueFor(t, "B", "B", fmt.Sprintf("http://b.test:%d/notify", bPort), due)
			a := within(t, "client B's notification", got)
			delay := a.at.Sub(due)
			t.Logf("%d black-holed notifications of client A: client B's notification arrived %s after it was due, with %d of A's attempts in flight",
				blackHoled, delay.Round(time.Millisecond), a.inFlight)
			if blackHoled > 0 && a.inFlight != 8 {
				t.Errorf("client B's notification arrived with %d of A's attempts in flight, want all 8 still waiting", a.inFlight)
			}
			if delay > timeout/5 {
				t.Errorf("client B's notification arrived %s after it was due, want within %s", delay, timeout/5)
			}
			waitFor(t, "B recorded", func() bool { return !f.notification(t, "B").DeliveredAt.IsZero() })
			if n := clientMax.Load(); n > 8 {
				t.Errorf("client A had %d attempts in flight, want at most PerClient = 8", n)
			}
			for _, h := range hosts {
				if n := h.max.Load(); n > 4 {
					t.Errorf("host %s had %d attempts in flight over its two ports, want at most PerHost = 4", h.name, n)
				}
			}
			closeHoles()
			r.stop(t)
		})
	}
}

// TestRunReleasesHeld: the notifications Run holds while their host is
// busy are given back when it stops, due as they were, so that another
// process (or the next start) sends them at once instead of waiting for
// their lease to run out.
func TestRunReleasesHeld(t *testing.T) {
	f := newFixture(t)
	var open, maxOpen atomic.Int64
	bh := newBlackHole(t, &open, &maxOpen)
	defer bh.close()
	past := time.Now().Add(-time.Second)
	const total = 20
	for i := range total {
		f.enqueueFor(t, fmt.Sprintf("S%02d", i), "C1", fmt.Sprintf("http://127.0.0.1:%d/n", bh.port()), past)
	}
	r := f.run(t, &notify.Worker{Schedule: gateway.RetrySchedule{0, time.Hour}, PerHost: 2, Timeout: 10 * time.Second, AllowPrivate: true})
	waitFor(t, "two attempts in flight", func() bool { return open.Load() == 2 })
	bh.close() // the attempts fail at once (and a held one may start)
	r.stop(t)
	// Every notification not attempted is released: claimable at once, or
	// (a deferred one) when its host would have had a free slot, seconds
	// later; not leased until its lease would run out (2×Timeout + 30s =
	// 50s after the claim). The horizon sits between the two: under the
	// race detector the hanging attempts last longer, and the deferrals
	// spaced by them reach past a few seconds.
	claimed, err := f.store.ClaimNotifications(context.Background(), time.Now().Add(40*time.Second), time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	claimable := map[string]bool{}
	for _, n := range claimed {
		claimable[n.ID] = true
	}
	attempted := 0
	for i := range total {
		id := fmt.Sprintf("S%02d", i)
		switch n := f.notification(t, id); {
		case n.Attempts > 0:
			attempted++
		case !claimable[id]:
			t.Errorf("%s: not attempted, and still claimed after Run stopped", id)
		}
	}
	if attempted > total/2 {
		t.Errorf("%d of %d notifications attempted; want most of them held or deferred behind the two in flight", attempted, total)
	}
}
