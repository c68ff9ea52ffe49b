//go:build !race

package fault

const raceBuild = false
