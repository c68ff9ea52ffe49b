package postgres

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// KEKSize is the length of a key-encryption key: AES-256.
const KEKSize = 32

// sealFormat is the first byte of a sealed gateway key: the layout that
// follows (a 12-byte nonce, then AES-256-GCM ciphertext and tag). A later
// layout gets another byte, so old rows stay readable.
const sealFormat byte = 1

// KEKError reports a sealed gateway key that could not be opened: the store
// has no KEK, or not the one the key was sealed with (or the row was
// altered).
type KEKError struct {
	Version int  // the gateway key version
	NoKEK   bool // the store was opened without a KEK
}

func (e *KEKError) Error() string {
	if e.NoKEK {
		return fmt.Sprintf("gateway key version %d is sealed and no KEK was given", e.Version)
	}
	return fmt.Sprintf("gateway key version %d does not open with this KEK", e.Version)
}

// ParseKEK reads a key-encryption key as an operator writes it: 32 bytes
// in standard or URL-safe base64 (padded or not) or in hex, surrounding
// white space ignored, or the 32 raw bytes. Generate one with
// `openssl rand -base64 32`.
//
// The forms cannot be confused: 32 characters of base64 or hex decode to
// fewer than 32 bytes.
func ParseKEK(text []byte) ([]byte, error) {
	s := string(bytes.TrimSpace(text))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == KEKSize {
			return k, nil
		}
	}
	if k, err := hex.DecodeString(s); err == nil && len(k) == KEKSize {
		return k, nil
	}
	if len(text) == KEKSize {
		return bytes.Clone(text), nil
	}
	return nil, fmt.Errorf("KEK is not %d bytes in base64 or hex (generate one with: openssl rand -base64 32)", KEKSize)
}

// newAEAD returns AES-256-GCM under kek.
func newAEAD(kek []byte) (cipher.AEAD, error) {
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("KEK is %d bytes, want %d", len(kek), KEKSize)
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// keyAAD binds a sealed key to its version: a sealed key copied to another
// version's row does not open.
func keyAAD(version int) []byte {
	return []byte("antomgw gateway key v" + strconv.Itoa(version))
}

// seal returns der sealed under aead for the given key version.
func seal(aead cipher.AEAD, version int, der []byte) ([]byte, error) {
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(der)+aead.Overhead())
	out[0] = sealFormat
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return aead.Seal(out, out[1:], der, keyAAD(version)), nil
}

// errSealFormat: the sealed blob is too short or of an unknown layout.
var errSealFormat = errors.New("sealed gateway key: unknown format")

// unseal opens a blob written by seal for the given key version.
func unseal(aead cipher.AEAD, version int, blob []byte) ([]byte, error) {
	if aead == nil {
		return nil, &KEKError{Version: version, NoKEK: true}
	}
	n := aead.NonceSize()
	if len(blob) < 1+n+aead.Overhead() || blob[0] != sealFormat {
		return nil, fmt.Errorf("gateway key version %d: %w", version, errSealFormat)
	}
	der, err := aead.Open(nil, blob[1:1+n], blob[1+n:], keyAAD(version))
	if err != nil {
		return nil, &KEKError{Version: version}
	}
	return der, nil
}
