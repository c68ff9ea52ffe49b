package gateway

import (
	"sync"
	"time"
)

// Clock is a clock that moves only when told (a test clock): the clock of
// `antomgw serve --test-clock` and of the in-process test gateway. A Clock
// made by NewStoppedClock stands still until Advance or Set moves it; one
// made by NewWallClock follows the real clock, and Advance and Set move it
// ahead of (or behind) it. It is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	at     time.Time     // a stopped clock's time
	offset time.Duration // a wall clock's distance from time.Now
	wall   bool
}

// NewStoppedClock returns a clock that shows at, in UTC, truncated to the
// millisecond like every time the store keeps, until it is moved.
func NewStoppedClock(at time.Time) *Clock {
	return &Clock{at: at.UTC().Truncate(time.Millisecond)}
}

// NewWallClock returns a clock that follows the real clock until it is
// moved, and then keeps running from where it was moved to.
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
// returns the new time. It only moves the clock: carrying out what became
// due is the caller's (node.Node.Advance).
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

// Advanced is what moving a test clock did: the clock went From → To, and
// on the way the due delayed transitions (Jobs) and notification attempts
// (Attempts) were carried out, in the order they fell due.
type Advanced struct {
	From, To       time.Time
	Jobs, Attempts int
}
