//go:build boringcrypto && !(linux && amd64)

package cryptobackend

const wantName = ""
