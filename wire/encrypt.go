package wire

import (
	"crypto/aes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrDecrypt is wrapped by every error of [Scheme.Open]. Like [ErrSignature]
// it stays vague about why a ciphertext did not open.
var ErrDecrypt = errors.New("wire: cannot decrypt body")

// Scheme is a body encryption scheme named by the Encrypt header's
// algorithm. Seal encrypts plaintext for the holder of recipient's private
// key and returns the new body and the symmetricKey header value; Open
// reverses it with the recipient's private key.
type Scheme interface {
	Algorithm() string
	Seal(recipient *rsa.PublicKey, plaintext []byte) (body []byte, symmetricKey string, err error)
	Open(key *rsa.PrivateKey, body []byte, symmetricKey string) ([]byte, error)
}

// SchemeFor returns the scheme an Encrypt header names. Only RSA_AES is
// defined (case-insensitively).
func SchemeFor(algorithm string) (Scheme, error) {
	if strings.EqualFold(algorithm, AlgorithmRSAAES) {
		return RSAAES{}, nil
	}
	return nil, detailf(ErrHeader, "encryption algorithm %q is not supported (want %s)", truncate(algorithm, 32), AlgorithmRSAAES)
}

// RSAAES is the RSA_AES scheme as the Ant gateway family implements it: a
// random 256-bit AES key, AES-ECB with PKCS #7 padding over the body, the
// ciphertext as standard base64 (the new body), and the AES key wrapped with
// RSA PKCS #1 v1.5 for the recipient, standard base64 then URL-encoded (the
// symmetricKey). The message is encrypted first and the ciphertext body is
// then signed. ECB is what interoperating peers expect; it is not a choice
// this package would make on its own.
//
// The zero value is ready to use; Rand defaults to crypto/rand.
type RSAAES struct {
	Rand io.Reader
}

// Algorithm returns "RSA_AES".
func (RSAAES) Algorithm() string { return AlgorithmRSAAES }

// Seal implements [Scheme].
func (s RSAAES) Seal(recipient *rsa.PublicKey, plaintext []byte) ([]byte, string, error) {
	if recipient == nil {
		return nil, "", errors.New("wire: encrypt: no recipient key")
	}
	random := s.Rand
	if random == nil {
		random = rand.Reader
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(random, key); err != nil {
		return nil, "", fmt.Errorf("wire: encrypt: %w", err)
	}
	wrapped, err := rsa.EncryptPKCS1v15(random, recipient, key)
	if err != nil {
		return nil, "", fmt.Errorf("wire: encrypt: wrap key: %w", err)
	}
	ct, err := ecbEncrypt(key, plaintext)
	if err != nil {
		return nil, "", err
	}
	body := make([]byte, base64.StdEncoding.EncodedLen(len(ct)))
	base64.StdEncoding.Encode(body, ct)
	return body, EncodeSignature(wrapped), nil
}

// Open implements [Scheme]. It accepts the body in the standard or URL-safe
// base64 alphabet, with or without padding and line breaks. The wrapped key
// must be a 256-bit AES key, as Seal makes and peers send. A symmetricKey
// that does not unwrap with key is reported exactly like a damaged body
// ("bad padding"), so that the error reveals nothing about the RSA key.
func (RSAAES) Open(key *rsa.PrivateKey, body []byte, symmetricKey string) ([]byte, error) {
	if key == nil {
		return nil, errors.New("wire: decrypt: no private key")
	}
	wrapped, err := DecodeSignature(symmetricKey)
	if err != nil {
		return nil, detailf(ErrDecrypt, "symmetricKey is not URL-encoded base64")
	}
	// Unwrap in constant time into a random key (RFC 3218 §2.3.2): a bad
	// wrapping then fails later as bad padding, the same way a damaged body
	// does, so the answer is no padding oracle for the RSA key.
	aesKey := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, aesKey); err != nil {
		return nil, fmt.Errorf("wire: decrypt: %w", err)
	}
	// A wrapping shorter than the modulus is the same number with its
	// leading zero bytes dropped; pad it back, so that every crypto backend
	// (BoringCrypto refuses a short one) reads it the same way.
	if k := key.Size(); len(wrapped) < k {
		wrapped = append(make([]byte, k-len(wrapped)), wrapped...)
	}
	if err := rsa.DecryptPKCS1v15SessionKey(nil, key, wrapped, aesKey); err != nil {
		return nil, detailf(ErrDecrypt, "symmetricKey is %d bytes, which does not fit this %d-bit key (wrong recipient key?)", len(wrapped), key.N.BitLen())
	}
	ct, err := decodeBase64Body(body)
	if err != nil {
		return nil, err
	}
	return ecbDecrypt(aesKey, ct)
}

func decodeBase64Body(body []byte) ([]byte, error) {
	s := strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', ' ', '\t':
			return -1
		case '-':
			return '+'
		case '_':
			return '/'
		}
		return r
	}, string(body))
	ct, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, detailf(ErrDecrypt, "body is not base64")
	}
	return ct, nil
}

func ecbEncrypt(key, plaintext []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("wire: encrypt: %w", err)
	}
	n := aes.BlockSize - len(plaintext)%aes.BlockSize
	buf := make([]byte, len(plaintext)+n)
	copy(buf, plaintext)
	for i := len(plaintext); i < len(buf); i++ {
		buf[i] = byte(n)
	}
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	return buf, nil
}

func ecbDecrypt(key, ct []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, detailf(ErrDecrypt, "%v", err)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, detailf(ErrDecrypt, "ciphertext is %d bytes, not a positive multiple of %d (truncated?)", len(ct), aes.BlockSize)
	}
	out := make([]byte, len(ct))
	for i := 0; i < len(ct); i += aes.BlockSize {
		block.Decrypt(out[i:i+aes.BlockSize], ct[i:i+aes.BlockSize])
	}
	n := int(out[len(out)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, detailf(ErrDecrypt, "bad padding (wrong recipient key, or the body or symmetricKey was altered)")
	}
	for _, b := range out[len(out)-n:] {
		if int(b) != n {
			return nil, detailf(ErrDecrypt, "bad padding (wrong recipient key, or the body or symmetricKey was altered)")
		}
	}
	return out[:len(out)-n], nil
}

// EncryptBody seals plaintext with the scheme the header names for the
// holder of recipient and returns the body to send and the Encrypt header to
// send with it. keyVersion is the recipient key's version (0 to leave it out).
func EncryptBody(scheme Scheme, recipient *rsa.PublicKey, keyVersion int, plaintext []byte) ([]byte, EncryptHeader, error) {
	if scheme == nil {
		scheme = RSAAES{}
	}
	body, sym, err := scheme.Seal(recipient, plaintext)
	if err != nil {
		return nil, EncryptHeader{}, err
	}
	return body, EncryptHeader{Algorithm: scheme.Algorithm(), KeyVersion: keyVersion, SymmetricKey: sym}, nil
}

// DecryptBody opens a body encrypted under the scheme h names with key, the
// recipient's private key.
func DecryptBody(key *rsa.PrivateKey, h EncryptHeader, body []byte) ([]byte, error) {
	scheme, err := SchemeFor(h.Algorithm)
	if err != nil {
		return nil, err
	}
	return scheme.Open(key, body, h.SymmetricKey)
}
