package gatewaytest

import "time"

// WaitFor calls cond until it returns true, pausing a little longer after
// each call (5ms at first, at most 200ms), and reports whether it did so
// before timeout passed. It is for tests that wait for a Process to reach
// a state: a real process runs on the real clock. Tests of an in-process
// Gateway step its clock instead.
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	pause := 5 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, 200*time.Millisecond)
	}
	return true
}
