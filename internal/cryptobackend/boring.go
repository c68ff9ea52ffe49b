//go:build boringcrypto

package cryptobackend

import "crypto/boring"

// Name returns the crypto backend this binary runs on.
func Name() string {
	if boring.Enabled() {
		return Boring
	}
	return Pure + ", in a boringcrypto build where BoringCrypto is not available"
}
