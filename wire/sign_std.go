//go:build !(openssl && cgo && !boringcrypto)

package wire

import "crypto/rsa"

// signDigest signs a SHA-256 digest with RSASSA-PKCS1-v1_5; this build
// does it with crypto/rsa (Go's own code, or BoringCrypto in a
// GOEXPERIMENT=boringcrypto build).
func signDigest(key *rsa.PrivateKey, digest []byte) ([]byte, error) {
	return signDigestStd(key, digest)
}

// verifyDigest checks an RSASSA-PKCS1-v1_5 signature over a SHA-256
// digest with crypto/rsa.
func verifyDigest(key *rsa.PublicKey, digest, sig []byte) error {
	return verifyDigestStd(key, digest, sig)
}
