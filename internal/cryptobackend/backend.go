// Package cryptobackend says which implementation does the binary's RSA
// signing and verifying: Go's own (the default build) or BoringCrypto (a
// build with GOEXPERIMENT=boringcrypto, `make build-boring`). Signing is
// most of a request's CPU, so the server logs it at start and antomgw
// bench prints it with every result.
package cryptobackend

// Pure is the name of Go's own crypto, the default build's.
const Pure = "Go (pure Go crypto)"

// Boring is the name of BoringCrypto, in a GOEXPERIMENT=boringcrypto
// build.
const Boring = "BoringCrypto (GOEXPERIMENT=boringcrypto)"
