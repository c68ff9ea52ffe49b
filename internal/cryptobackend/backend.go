// Package cryptobackend says which implementation does the binary's RSA
// signing and verifying: Go's own (the default build), BoringCrypto (a
// build with GOEXPERIMENT=boringcrypto, `make build-boring`) or the
// system's OpenSSL libcrypto (a cgo build with -tags openssl, `make
// build-openssl`, where wire's Sign and Verify call libcrypto and the rest
// stays on Go's crypto). Signing is most of a request's CPU, so the server
// logs it at start and antomgw bench prints it with every result.
package cryptobackend

// Pure is the name of Go's own crypto, the default build's.
const Pure = "Go (pure Go crypto)"

// Boring is the name of BoringCrypto, in a GOEXPERIMENT=boringcrypto
// build.
const Boring = "BoringCrypto (GOEXPERIMENT=boringcrypto)"

// OpenSSL begins the name of the system's libcrypto, in a cgo build with
// -tags openssl; the name goes on with the library's version, as the
// library reports it at run time.
const OpenSSL = "OpenSSL libcrypto"
