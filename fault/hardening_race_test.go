//go:build linux && race

package fault

// raceBuild: the server is built with the race detector (see
// gatewaytest.Binary), which multiplies its memory and CPU time: the
// hardening tests then check what happens, not the figures.
const raceBuild = true
