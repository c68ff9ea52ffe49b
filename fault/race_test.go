//go:build race

package fault

// raceBuild: the tests run with -race, so the server is built with it too.
const raceBuild = true
