//go:build !boringcrypto && !(openssl && cgo)

package cryptobackend

// Name returns the crypto backend this binary runs on.
func Name() string { return Pure }
