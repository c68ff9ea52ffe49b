//go:build openssl && cgo && !boringcrypto

package cryptobackend

// wantName is the version of the headers: the development package the
// build needs pins the library to the same version, so a test run right
// after the build sees the two agree.
var wantName = OpenSSL + " (cgo, " + headerVersion() + ")"
