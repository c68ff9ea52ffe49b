//go:build !boringcrypto

package cryptobackend

const wantName = Pure
