package notify_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/notify"
)

// TestBreakerPausesTimingOutDestination: after three timeouts in a row a
// destination is paused for 30s: its due notifications are recorded as
// not sent (an attempt of their schedule) without a connection, while
// another host of the same client is delivered. When the pause ends one
// probe goes through while the others wait for it; a probe that times out
// pauses the destination twice as long; one that gets an answer ends the
// pause. The clock is the fixture's, stepped; the dial timeouts are the
// fake dialer's, at once.
func TestBreakerPausesTimingOutDestination(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { ack(w) }))
	defer srv.Close()
	fn := &fakeNet{to: srv.Listener.Addr().String(), hosts: map[string][]netip.Addr{
		"down.test": addrs("8.8.8.8"), "up.test": addrs("9.9.9.9")}}
	const down = "8.8.8.8:80"
	fn.setTimeout(down, true)
	w := f.worker(&notify.Worker{Schedule: gateway.RetrySchedule{0, 24 * time.Hour}, Resolver: fn, Dial: fn.Dial})
	n := 0
	enqueue := func(host string) string {
		n++
		id := fmt.Sprintf("%s%d", strings.TrimSuffix(host, ".test"), n)
		f.enqueue(t, id, "http://"+host+"/n", `{}`)
		return id
	}
	outcome := func(id string) gateway.Attempt {
		t.Helper()
		a := f.attempts(t, id)
		if len(a) != 1 {
			t.Fatalf("%s: %d attempts, want 1", id, len(a))
		}
		return a[0]
	}
	notSent := func(id string) {
		t.Helper()
		if a := outcome(id); a.Outcome != gateway.OutcomeConnection || !strings.Contains(a.Error, "not sent") || !strings.Contains(a.Error, "paused") {
			t.Errorf("%s: %s %q, want recorded as not sent (paused)", id, a.Outcome, a.Error)
		}
	}
	timedOut := func(id string) {
		t.Helper()
		if a := outcome(id); a.Outcome != gateway.OutcomeTimeout || !strings.Contains(a.Error, "no connection within") {
			t.Errorf("%s: %s %q, want a connect timeout", id, a.Outcome, a.Error)
		}
	}
	delivered := func(id string) {
		t.Helper()
		if a := outcome(id); a.Outcome != gateway.OutcomeDelivered {
			t.Errorf("%s: %s %q, want delivered", id, a.Outcome, a.Error)
		}
	}

	// Three timeouts in a row pause the destination.
	first := []string{enqueue("down.test"), enqueue("down.test")}
	f.deliverDue(t, w, 2)
	first = append(first, enqueue("down.test"))
	f.deliverDue(t, w, 1)
	for _, id := range first {
		timedOut(id)
	}
	if d := fn.dials(down); d != 3 {
		t.Fatalf("%d dials to the destination, want 3", d)
	}
	// Paused: not sent; the client's other host is delivered.
	f.clock.Advance(29 * time.Second)
	paused, other := enqueue("down.test"), enqueue("up.test")
	f.deliverDue(t, w, 2)
	notSent(paused)
	delivered(other)
	if d := fn.dials(down); d != 3 {
		t.Errorf("%d dials to the paused destination, want still 3", d)
	}
	// The pause ends: one probe, the other waits for it. It times out:
	// paused for 60s.
	f.clock.Advance(time.Second)
	a, b := enqueue("down.test"), enqueue("down.test")
	f.deliverDue(t, w, 2)
	if d := fn.dials(down); d != 4 {
		t.Errorf("%d dials to the destination after its pause, want 4 (one probe)", d)
	}
	if outcome(a).Outcome == gateway.OutcomeTimeout {
		notSent(b)
	} else {
		timedOut(b)
		notSent(a)
	}
	f.clock.Advance(59 * time.Second)
	paused = enqueue("down.test")
	f.deliverDue(t, w, 1)
	notSent(paused)
	// Back up: the probe is answered, and the pause is over for all.
	fn.setTimeout(down, false)
	f.clock.Advance(time.Second)
	a, b = enqueue("down.test"), enqueue("down.test")
	f.deliverDue(t, w, 2)
	delivered(a)
	delivered(b)
	if d := fn.dials(down); d < 5 {
		t.Errorf("%d dials to the destination, want at least 5", d)
	}
}

// TestRunBreaker: Run pauses a destination that keeps timing out, and
// delivers the same client's notifications to its other host meanwhile.
func TestRunBreaker(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { ack(w) }))
	defer srv.Close()
	fn := &fakeNet{to: srv.Listener.Addr().String(), hosts: map[string][]netip.Addr{
		"down.test": addrs("8.8.8.8"), "up.test": addrs("9.9.9.9")}}
	const down = "8.8.8.8:80"
	fn.setTimeout(down, true)
	const total = 40
	for i := range total {
		f.enqueue(t, fmt.Sprintf("D%02d", i), "http://down.test/n", `{}`)
	}
	f.enqueue(t, "U", "http://up.test/n", `{}`)
	r := f.run(t, &notify.Worker{Schedule: gateway.RetrySchedule{0}, Resolver: fn, Dial: fn.Dial})
	all := func() bool {
		for i := range total {
			if f.notification(t, fmt.Sprintf("D%02d", i)).Attempts == 0 {
				return false
			}
		}
		return f.notification(t, "U").Attempts > 0
	}
	waitFor(t, "an attempt at every notification", all)
	r.stop(t)
	if f.notification(t, "U").DeliveredAt.IsZero() {
		t.Error("the other host's notification was not delivered")
	}
	skipped := 0
	for i := range total {
		if a := f.attempts(t, fmt.Sprintf("D%02d", i)); len(a) == 1 && strings.Contains(a[0].Error, "not sent") {
			skipped++
		}
	}
	// Up to PerHost (4) attempts are in flight when the third timeout
	// pauses the destination.
	if d := fn.dials(down); d < 3 || d > 3+3 || skipped != total-d {
		t.Errorf("%d dials to the destination and %d notifications not sent, want 3 to 6 dials and the rest not sent", d, skipped)
	}
}

// TestConnectTimeout: getting a connection is bounded by ConnectTimeout,
// apart from the attempt's Timeout, and recorded as a timeout that says so.
func TestConnectTimeout(t *testing.T) {
	f := newFixture(t)
	fn := &fakeNet{hosts: map[string][]netip.Addr{"drop.test": addrs("8.8.8.8")}, hang: map[string]bool{"8.8.8.8:443": true}}
	f.enqueue(t, "N1", "https://drop.test/n", `{}`)
	w := f.worker(&notify.Worker{Schedule: gateway.RetrySchedule{0}, ConnectTimeout: 50 * time.Millisecond, Timeout: time.Hour,
		Resolver: fn, Dial: fn.Dial})
	f.deliverDue(t, w, 1) // within the test's own deadline, not Timeout's hour
	a := f.attempts(t, "N1")
	if len(a) != 1 || a[0].Outcome != gateway.OutcomeTimeout || !strings.Contains(a[0].Error, "no connection within 50ms") {
		t.Errorf("attempts %+v, want one timeout after the 50ms connect timeout", a)
	}
}
