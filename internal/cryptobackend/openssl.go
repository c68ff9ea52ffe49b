//go:build openssl && cgo && !boringcrypto

package cryptobackend

/*
#cgo LDFLAGS: -lcrypto
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

static const char *cryptobackend_header_version(void) { return OPENSSL_VERSION_TEXT; }
*/
import "C"

// Name returns the crypto backend this binary runs on: libcrypto, with
// the version of the library loaded (not of the headers it was built
// with), as in "OpenSSL libcrypto (cgo, OpenSSL 3.0.19 27 Jan 2026)".
func Name() string {
	return OpenSSL + " (cgo, " + C.GoString(C.OpenSSL_version(C.OPENSSL_VERSION)) + ")"
}

// headerVersion is the version of the OpenSSL headers the binary was
// built with.
func headerVersion() string {
	return C.GoString(C.cryptobackend_header_version())
}
