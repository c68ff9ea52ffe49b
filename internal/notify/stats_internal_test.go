package notify

import (
	"testing"
	"time"
)

// TestStatsDue: the backlog is read every second, and after a slow count
// (a large backlog) no sooner than 20 times the count's duration later.
func TestStatsDue(t *testing.T) {
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ took, want time.Duration }{
		{time.Millisecond, time.Second},
		{50 * time.Millisecond, time.Second},
		{51 * time.Millisecond, 1020 * time.Millisecond},
		{400 * time.Millisecond, 8 * time.Second},
	} {
		if got := statsDue(start, start.Add(tc.took)).Sub(start); got != tc.want {
			t.Errorf("a count that took %v: next after %v, want %v", tc.took, got, tc.want)
		}
	}
}
