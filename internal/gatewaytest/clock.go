package gatewaytest

import (
	"sync"
	"time"
)

// start is where a new stopped clock starts (see NewClock).
func start() time.Time { return time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC) }

// Clock is the test gateway's clock. A Clock made by NewClock stands still
// until it is moved with Advance or Set; one made by NewWallClock follows
// the real clock, and Advance and Set move it ahead of (or behind) it. It
// is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	at     time.Time     // a stopped clock's time
	offset time.Duration // a wall clock's distance from time.Now
	wall   bool
}

// NewClock returns a stopped clock showing at, in UTC, truncated to the
// millisecond like every time the store keeps. For the zero time it shows
// 2026-03-02T09:30:00Z: a fixed instant, so that what a test sees (payment
// ids, times in answers) does not depend on when it runs.
func NewClock(at time.Time) *Clock {
	if at.IsZero() {
		at = start()
	}
	return &Clock{at: at.UTC().Truncate(time.Millisecond)}
}

// NewWallClock returns a clock that follows the real clock. It is for tests
// whose other party waits on real time (an SDK polling with its own
// timers); tests that can step time should use NewClock.
func NewWallClock() *Clock { return &Clock{wall: true} }

// Now returns the clock's current time, in UTC.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wall {
		return time.Now().UTC().Add(c.offset)
	}
	return c.at
}

// Advance moves the clock forward by d (back when d is negative) and
// returns the new time. It only moves the clock: Gateway.Advance also
// carries out what became due.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wall {
		c.offset += d
		return time.Now().UTC().Add(c.offset)
	}
	c.at = c.at.Add(d)
	return c.at
}

// Set moves the clock to t. A wall clock then keeps running from t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wall {
		c.offset = time.Until(t)
		return
	}
	c.at = t.UTC()
}
