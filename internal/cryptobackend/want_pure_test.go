//go:build !boringcrypto && !(openssl && cgo)

package cryptobackend

const wantName = Pure
