// Package seal seals the gateway's private keys at rest: AES-256-GCM under
// a key-encryption key (KEK) the operator holds, each sealed key bound to
// its key version. Both stores (internal/sqlite, internal/postgres) keep a
// sealed key in gateway_keys.private_key with sealed set, in the layout
// Seal writes:
//
//	format (1 byte, Format) | nonce (12 bytes) | ciphertext | tag (16 bytes)
//
// with "antomgw gateway key v<version>" as the additional data, so a sealed
// key copied into another version's row does not open. A later layout gets
// another format byte, so old rows stay readable.
//
// Errors never carry key material: an opening that fails says which key
// version, and whether there was no KEK or not the right one (a
// *KEKError), nothing more.
package seal

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

// Format is the first byte of a sealed key: the layout that follows (a
// 12-byte nonce, then AES-256-GCM ciphertext and tag).
const Format byte = 1

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

// ErrFormat reports a sealed key that is too short or of an unknown
// layout.
var ErrFormat = errors.New("sealed gateway key: unknown format")

// ParseKEK reads a key-encryption key as an operator writes it: 32 bytes
// in standard or URL-safe base64 (padded or not) or in hex, surrounding
// white space ignored, or the 32 raw bytes. Generate one with
// `openssl rand -base64 32`. The error does not quote the text.
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

// Sealer seals and opens gateway keys under one KEK. A nil *Sealer stands
// for "no KEK": Open fails with a *KEKError whose NoKEK is set, and Seal
// with an error. A Sealer is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// New returns a Sealer under kek, the 32 bytes of a key-encryption key
// (see ParseKEK for reading what an operator writes).
func New(kek []byte) (*Sealer, error) {
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("KEK is %d bytes, want %d", len(kek), KEKSize)
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// aad binds a sealed key to its version.
func aad(version int) []byte {
	return []byte("antomgw gateway key v" + strconv.Itoa(version))
}

// Seal returns der, the private key of gateway key version, sealed with a
// fresh random nonce.
func (s *Sealer) Seal(version int, der []byte) ([]byte, error) {
	if s == nil {
		return nil, errors.New("seal gateway key: no KEK")
	}
	n := s.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(der)+s.aead.Overhead())
	out[0] = Format
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return s.aead.Seal(out, out[1:], der, aad(version)), nil
}

// Open returns the private key that blob, written by Seal for the given
// version, holds. It fails with a *KEKError when s is nil or the KEK is not
// the one blob was sealed with (or blob was altered, or belongs to another
// version), and with an error wrapping ErrFormat for a blob of an unknown
// layout.
func (s *Sealer) Open(version int, blob []byte) ([]byte, error) {
	if s == nil {
		return nil, &KEKError{Version: version, NoKEK: true}
	}
	n := s.aead.NonceSize()
	if len(blob) < 1+n+s.aead.Overhead() || blob[0] != Format {
		return nil, fmt.Errorf("gateway key version %d: %w", version, ErrFormat)
	}
	der, err := s.aead.Open(nil, blob[1:1+n], blob[1+n:], aad(version))
	if err != nil {
		return nil, &KEKError{Version: version}
	}
	return der, nil
}
