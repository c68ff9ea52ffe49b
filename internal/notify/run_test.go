package notify_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/notify"
)

// The tests in this file are of Run itself: its polling, its stopping and
// its per-host limit. They run on the real clock with schedules of zeros,
// so that nothing waits for a retry.

// TestRunDelivers: Run picks up a due notification and retries it until the
// merchant acknowledges it.
func TestRunDelivers(t *testing.T) {
	f := newFixture(t)
	acked := make(chan struct{})
	m := &merchant{pub: f.pub, respond: func(n int, w http.ResponseWriter) {
		if n <= 2 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if n == 3 {
			close(acked)
		}
		ack(w)
	}}
	srv := httptest.NewServer(m)
	defer srv.Close()
	f.enqueue(t, "N1", srv.URL+"/n", `{"a":1}`)
	r := f.run(t, &notify.Worker{Schedule: gateway.RetrySchedule{0, 0, 0}, AllowPrivate: true})
	within(t, "the third attempt", acked)
	r.stop(t) // returns after the attempt in flight is recorded

	n := f.notification(t, "N1")
	if n.DeliveredAt.IsZero() || n.Attempts != 3 {
		t.Errorf("notification: delivered %v after %d attempts, want delivered after 3", n.DeliveredAt, n.Attempts)
	}
	if got := m.received(); len(got) != 3 || !got[2].valid || string(got[2].body) != `{"a":1}` {
		t.Errorf("merchant got %d notifications, want 3, the last valid with the stored body", len(got))
	}
}

// TestRunStopsWhenContextEnds: when its context ends, Run stops claiming,
// lets the attempt in flight finish, records it, and returns.
func TestRunStopsWhenContextEnds(t *testing.T) {
	f := newFixture(t)
	started := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		<-release
		ack(w)
	}))
	defer srv.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release) // before srv.Close, which waits for the handler
		}
	}()
	f.enqueue(t, "N1", srv.URL+"/n", `{}`)
	r := f.run(t, &notify.Worker{Schedule: gateway.RetrySchedule{0}, AllowPrivate: true})
	within(t, "the attempt", started)
	r.cancel()
	select {
	case <-r.done:
		t.Error("Run returned while an attempt was in flight")
	default:
	}
	close(release)
	r.stop(t)

	n := f.notification(t, "N1")
	if n.DeliveredAt.IsZero() || n.Attempts != 1 {
		t.Errorf("after Run returned: delivered %v after %d attempts, want the attempt in flight recorded as delivered",
			n.DeliveredAt, n.Attempts)
	}
	if attempts := f.attempts(t, "N1"); len(attempts) != 1 || attempts[0].Outcome != gateway.OutcomeDelivered {
		t.Errorf("attempts %+v, want one delivered", attempts)
	}

	// Nothing is claimed after Run returned.
	f.enqueue(t, "N2", srv.URL+"/n", `{}`)
	if n := f.notification(t, "N2"); n.Attempts != 0 || !n.Pending() {
		t.Errorf("N2 after Run returned: %d attempts, %s; want untouched", n.Attempts, n.State())
	}
}

// TestPerHostLimit: a slow merchant never has more than PerHost attempts in
// flight, and does not hold up another merchant (on another host name).
func TestPerHostLimit(t *testing.T) {
	f := newFixture(t)
	var inFlight, maxInFlight atomic.Int64
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := inFlight.Add(1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
		ack(w)
	}))
	defer slow.Close()
	released := false
	defer func() {
		if !released {
			close(release) // before slow.Close, which waits for the handlers
		}
	}()
	fastDone := make(chan struct{}, 5)
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { ack(w); fastDone <- struct{}{} }))
	defer fast.Close()
	for i := range 10 {
		f.enqueue(t, fmt.Sprintf("S%d", i), slow.URL+"/n", `{}`)
	}
	fastPort := fast.Listener.Addr().(*net.TCPAddr).Port
	for i := range 5 {
		f.enqueue(t, fmt.Sprintf("F%d", i), fmt.Sprintf("http://fast.test:%d/n", fastPort), `{}`)
	}
	fn := &fakeNet{hosts: map[string][]netip.Addr{"fast.test": addrs("127.0.0.1")}}
	r := f.run(t, &notify.Worker{Schedule: gateway.RetrySchedule{0}, PerHost: 2, Concurrency: 8, Timeout: 20 * time.Second,
		AllowPrivate: true, Resolver: fn})
	for i := range 5 {
		within(t, fmt.Sprintf("fast notification %d while the slow merchant hangs", i+1), fastDone)
	}
	close(release)
	released = true
	for i := range 10 {
		id := fmt.Sprintf("S%d", i)
		waitFor(t, id+" delivered", func() bool { return !f.notification(t, id).DeliveredAt.IsZero() })
	}
	r.stop(t)
	if m := maxInFlight.Load(); m > 2 {
		t.Errorf("slow host had %d attempts in flight at once, want at most 2", m)
	}
	for i := range 5 {
		if id := fmt.Sprintf("F%d", i); f.notification(t, id).DeliveredAt.IsZero() {
			t.Errorf("%s not delivered", id)
		}
	}
}
