//go:build !unix

package wire_test

import "time"

// processCPU reports false: the process' CPU time is not read here.
func processCPU() (time.Duration, bool) { return 0, false }
