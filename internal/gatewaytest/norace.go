//go:build !race

package gatewaytest

// raceEnabled: this test binary was built without -race.
const raceEnabled = false
