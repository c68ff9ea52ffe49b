package wire

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MinKeyBits is the smallest RSA modulus the protocol accepts. Antom requires
// 2048-bit keys.
const MinKeyBits = 2048

// ErrKey is wrapped by every error of [ParsePrivateKey] and [ParsePublicKey].
// The messages say what was found (format, type, size) and never include key
// material.
var ErrKey = errors.New("wire: unusable key")

// ParsePrivateKey reads an RSA private key in any of the forms merchants
// paste: PEM "PRIVATE KEY" (PKCS #8) or "RSA PRIVATE KEY" (PKCS #1), or the
// bare base64 of either DER encoding as shown by the Antom dashboard and used
// by the official SDKs. It refuses keys that are not RSA and keys smaller
// than [MinKeyBits], saying which and how big.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	return parseKey[*rsa.PrivateKey](data, "private", decodePrivate)
}

// ParsePublicKey reads an RSA public key: PEM "PUBLIC KEY" (X.509
// SubjectPublicKeyInfo), PEM "RSA PUBLIC KEY" (PKCS #1), a PEM certificate,
// or the bare base64 of SPKI or PKCS #1 DER. It refuses keys that are not RSA
// and keys smaller than [MinKeyBits].
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	return parseKey[*rsa.PublicKey](data, "public", decodePublic)
}

// parseKey takes the steps ParsePrivateKey and ParsePublicKey share: find
// the DER and its PEM label ("" for bare base64 or binary DER), let decode
// read it, and check that the key is an RSA key of type K (kind names it in
// messages) of at least MinKeyBits.
func parseKey[K *rsa.PrivateKey | *rsa.PublicKey](data []byte, kind string, decode func(der []byte, label string) (any, error)) (K, error) {
	der, label, err := keyDER(data)
	if err != nil {
		return nil, err
	}
	parsed, err := decode(der, label)
	if err != nil {
		return nil, err
	}
	key, ok := parsed.(K)
	if !ok {
		return nil, detailf(ErrKey, "%s %s key, want RSA", keyTypeName(parsed), kind)
	}
	if err := checkSize(parsed); err != nil {
		return nil, err
	}
	return key, nil
}

// decodePrivate reads the DER of a private key by its PEM label.
func decodePrivate(der []byte, label string) (any, error) {
	var parsed any
	var err error
	switch label {
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(der)
	case "PRIVATE KEY", "":
		parsed, err = x509.ParsePKCS8PrivateKey(der)
		if err != nil && label == "" {
			if k, err1 := x509.ParsePKCS1PrivateKey(der); err1 == nil {
				parsed, err = k, nil
			}
		}
	case "PUBLIC KEY", "RSA PUBLIC KEY":
		return nil, detailf(ErrKey, "found a public key (PEM %q) where a private key is needed", label)
	case "ENCRYPTED PRIVATE KEY":
		return nil, detailf(ErrKey, "the private key is encrypted with a passphrase; decrypt it first (openssl pkcs8 -in FILE -out PLAIN)")
	case "EC PRIVATE KEY":
		return nil, detailf(ErrKey, "EC private key (SEC 1), want RSA")
	default:
		return nil, detailf(ErrKey, "PEM block %q is not a private key", label)
	}
	if err != nil {
		if _, perr := parsePublicDER(der); perr == nil {
			return nil, detailf(ErrKey, "found a public key where a private key is needed")
		}
		return nil, detailf(ErrKey, "not a PKCS #8 or PKCS #1 private key")
	}
	return parsed, nil
}

// decodePublic reads the DER of a public key or certificate by its PEM
// label.
func decodePublic(der []byte, label string) (any, error) {
	var parsed any
	var err error
	switch label {
	case "PUBLIC KEY", "RSA PUBLIC KEY", "":
		parsed, err = parsePublicDER(der)
	case "CERTIFICATE":
		var cert *x509.Certificate
		cert, err = x509.ParseCertificate(der)
		if err == nil {
			parsed = cert.PublicKey
		}
	case "PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		return nil, detailf(ErrKey, "found a private key (PEM %q) where a public key is needed; export the public half (openssl pkey -in FILE -pubout)", label)
	default:
		return nil, detailf(ErrKey, "PEM block %q is not a public key", label)
	}
	if err != nil {
		if label == "" {
			if _, perr := x509.ParsePKCS8PrivateKey(der); perr == nil {
				return nil, detailf(ErrKey, "found a private key where a public key is needed")
			}
		}
		return nil, detailf(ErrKey, "not an X.509 SubjectPublicKeyInfo or PKCS #1 public key")
	}
	return parsed, nil
}

func parsePublicDER(der []byte) (any, error) {
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		return k, nil
	}
	return x509.ParsePKCS1PublicKey(der)
}

// keyDER returns the DER bytes of a PEM block (with its label) or of bare
// base64 (label ""). Whitespace and line breaks in bare base64 are ignored.
func keyDER(data []byte) (der []byte, label string, err error) {
	if len(data) > 2 && data[0] == 0x30 && isBinary(data) {
		// A DER SEQUENCE in a binary key file: base64 and PEM text never
		// have a control byte or a byte with the high bit set.
		return data, "", nil
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, "", detailf(ErrKey, "empty")
	}
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		block, _ := pem.Decode(trimmed)
		if block == nil {
			return nil, "", detailf(ErrKey, "PEM armour is damaged (check the BEGIN/END lines)")
		}
		return block.Bytes, block.Type, nil
	}
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\n', '\r', '\t':
			return -1
		}
		return r
	}, string(trimmed))
	der, err = base64.StdEncoding.DecodeString(clean)
	if err != nil {
		der, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "="))
	}
	if err != nil {
		return nil, "", detailf(ErrKey, "neither PEM nor base64 DER")
	}
	return der, "", nil
}

func isBinary(data []byte) bool {
	for _, c := range data {
		if c >= 0x80 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t') {
			return true
		}
	}
	return false
}

// checkSize refuses an RSA private or public key smaller than MinKeyBits.
func checkSize(key any) error {
	pub, _ := key.(*rsa.PublicKey)
	if priv, ok := key.(*rsa.PrivateKey); ok {
		pub = &priv.PublicKey
	}
	if bits := pub.N.BitLen(); bits < MinKeyBits {
		return detailf(ErrKey, "RSA key is %d bits, want at least %d", bits, MinKeyBits)
	}
	return nil
}

func keyTypeName(k any) string {
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		return "ECDSA " + k.Curve.Params().Name
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PrivateKey, ed25519.PublicKey:
		return "Ed25519"
	default:
		return fmt.Sprintf("%T", k)
	}
}

// GenerateKey returns a new RSA-2048 key. random defaults to crypto/rand
// when nil.
func GenerateKey(random io.Reader) (*rsa.PrivateKey, error) {
	if random == nil {
		random = rand.Reader
	}
	key, err := rsa.GenerateKey(random, 2048)
	if err != nil {
		return nil, fmt.Errorf("wire: generate key: %w", err)
	}
	return key, nil
}

// MarshalPrivateKeyPEM encodes key as PEM "PRIVATE KEY" (PKCS #8).
func MarshalPrivateKeyPEM(key *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("wire: marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKeyPEM encodes key as PEM "PUBLIC KEY" (X.509
// SubjectPublicKeyInfo), the form Antom's dashboard and the SDKs use.
func MarshalPublicKeyPEM(key *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, fmt.Errorf("wire: marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// PublicKeyBase64 returns the bare base64 of the key's SubjectPublicKeyInfo
// DER: the single-line form the official SDKs take as the Antom public key.
func PublicKeyBase64(key *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return "", fmt.Errorf("wire: marshal public key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// Fingerprint identifies a public key without revealing anything secret:
// "SHA256:" followed by the lower-case hex SHA-256 of its SubjectPublicKeyInfo
// DER. The same value comes from
//
//	openssl pkey -pubin -in key.pem -outform DER | sha256sum
func Fingerprint(key *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return "SHA256:?"
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + hex.EncodeToString(sum[:])
}
