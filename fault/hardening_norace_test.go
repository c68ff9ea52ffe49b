//go:build linux && !race

package fault

// raceBuild: the server is built without the race detector.
const raceBuild = false
