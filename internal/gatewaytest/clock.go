package gatewaytest

import (
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// start is where a new stopped clock starts (see NewClock).
func start() time.Time { return time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC) }

// Clock is the test gateway's clock: a gateway.Clock, the same test clock
// `antomgw serve --test-clock` runs on.
type Clock = gateway.Clock

// NewClock returns a stopped clock showing at (see
// gateway.NewStoppedClock). For the zero time it shows
// 2026-03-02T09:30:00Z: a fixed instant, so that what a test sees (payment
// ids, times in answers) does not depend on when it runs.
func NewClock(at time.Time) *Clock {
	if at.IsZero() {
		at = start()
	}
	return gateway.NewStoppedClock(at)
}

// NewWallClock returns a clock that follows the real clock. It is for tests
// whose other party waits on real time (an SDK polling with its own
// timers); tests that can step time should use NewClock.
func NewWallClock() *Clock { return gateway.NewWallClock() }
