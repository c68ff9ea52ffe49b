//go:build race

package gatewaytest

// raceEnabled: this test binary was built with -race, so Binary builds the
// gateway with it too.
const raceEnabled = true
