package wire

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Header names of the Antom protocol. Names are case-insensitive on the way
// in; responses are written with the lower-case form because two official
// SDKs look them up case-sensitively.
const (
	HeaderSignature    = "signature"
	HeaderEncrypt      = "encrypt"
	HeaderClientID     = "client-id"
	HeaderRequestTime  = "request-time"
	HeaderResponseTime = "response-time"
	HeaderContentType  = "content-type"
)

// Algorithms named in the Signature and Encrypt headers.
const (
	AlgorithmRSA256 = "RSA256"
	AlgorithmRSAAES = "RSA_AES"
)

// ErrHeader is wrapped by every error of [ParseSignatureHeader] and
// [ParseEncryptHeader].
var ErrHeader = errors.New("wire: malformed header")

// SignatureHeader is the parsed value of the Signature header,
//
//	algorithm=RSA256,keyVersion=1,signature=<url-encoded base64>
type SignatureHeader struct {
	// Algorithm is the signature algorithm; Antom uses only RSA256.
	Algorithm string
	// KeyVersion selects which registered key signed the message. Zero means
	// the header did not say, which by the protocol means the newest key.
	KeyVersion int
	// Signature is the signature value exactly as sent (usually URL-encoded
	// base64); [Verify] and [DecodeSignature] accept it as it is.
	Signature string
}

// String formats the header strictly, in the order every SDK expects:
// algorithm, keyVersion, signature, separated by commas without spaces. The
// Java SDK reads the third item, so the order matters and keyVersion is
// always written: a zero KeyVersion is written as 1, as every official SDK
// does.
func (h SignatureHeader) String() string {
	alg := h.Algorithm
	if alg == "" {
		alg = AlgorithmRSA256
	}
	ver := h.KeyVersion
	if ver == 0 {
		ver = 1
	}
	var b strings.Builder
	b.Grow(40 + len(h.Signature))
	b.WriteString("algorithm=")
	b.WriteString(alg)
	b.WriteString(",keyVersion=")
	b.WriteString(strconv.Itoa(ver))
	b.WriteString(",signature=")
	b.WriteString(h.Signature)
	return b.String()
}

// ParseSignatureHeader parses a Signature header value tolerantly: keys in
// any case and any order, spaces around items, each item split on its first
// "=" (the value itself may contain "="). It requires exactly one non-empty
// signature and, when present, a positive integer keyVersion; unknown keys are
// ignored.
// The algorithm is returned as sent; checking it is the caller's policy.
func ParseSignatureHeader(value string) (SignatureHeader, error) {
	var h SignatureHeader
	var sawSig bool
	err := parseItems(value, "Signature", func(key, val string) error {
		switch strings.ToLower(key) {
		case "algorithm":
			h.Algorithm = val
		case "keyversion":
			v, err := parseKeyVersion(val)
			if err != nil {
				return err
			}
			h.KeyVersion = v
		case "signature":
			if sawSig {
				return errors.New("more than one signature= item")
			}
			h.Signature = val
			sawSig = true
		}
		return nil
	})
	if err != nil {
		return SignatureHeader{}, err
	}
	if !sawSig || h.Signature == "" {
		return SignatureHeader{}, detailf(ErrHeader, "Signature header has no signature= item")
	}
	return h, nil
}

// EncryptHeader is the parsed value of the Encrypt header,
//
//	algorithm=RSA_AES,keyVersion=1,symmetricKey=<url-encoded base64>
type EncryptHeader struct {
	// Algorithm names the encryption scheme; see [SchemeFor].
	Algorithm string
	// KeyVersion is the version of the recipient's key the symmetric key was
	// wrapped with. Zero means not given (the newest key).
	KeyVersion int
	// SymmetricKey is the wrapped content key as sent (URL-encoded base64).
	SymmetricKey string
}

// String formats the header strictly: algorithm, keyVersion (when not zero),
// symmetricKey, separated by commas without spaces.
func (h EncryptHeader) String() string {
	alg := h.Algorithm
	if alg == "" {
		alg = AlgorithmRSAAES
	}
	var b strings.Builder
	b.WriteString("algorithm=")
	b.WriteString(alg)
	if h.KeyVersion != 0 {
		b.WriteString(",keyVersion=")
		b.WriteString(strconv.Itoa(h.KeyVersion))
	}
	b.WriteString(",symmetricKey=")
	b.WriteString(h.SymmetricKey)
	return b.String()
}

// ParseEncryptHeader parses an Encrypt header value with the same tolerance
// as [ParseSignatureHeader]. It requires algorithm and symmetricKey.
func ParseEncryptHeader(value string) (EncryptHeader, error) {
	var h EncryptHeader
	err := parseItems(value, "Encrypt", func(key, val string) error {
		switch strings.ToLower(key) {
		case "algorithm":
			h.Algorithm = val
		case "keyversion":
			v, err := parseKeyVersion(val)
			if err != nil {
				return err
			}
			h.KeyVersion = v
		case "symmetrickey":
			h.SymmetricKey = val
		}
		return nil
	})
	if err != nil {
		return EncryptHeader{}, err
	}
	if h.Algorithm == "" {
		return EncryptHeader{}, detailf(ErrHeader, "Encrypt header has no algorithm= item")
	}
	if h.SymmetricKey == "" {
		return EncryptHeader{}, detailf(ErrHeader, "Encrypt header has no symmetricKey= item")
	}
	return h, nil
}

// parseItems splits a comma-separated list of key=value items and calls fn
// for each. Empty items (",,", a trailing comma) are skipped.
func parseItems(value, name string, fn func(key, val string) error) error {
	if strings.TrimSpace(value) == "" {
		return detailf(ErrHeader, "%s header is empty", name)
	}
	for item := range strings.SplitSeq(value, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, val, ok := strings.Cut(item, "=")
		if !ok {
			return detailf(ErrHeader, "%s header item %q has no '='", name, truncate(item, 32))
		}
		if err := fn(strings.TrimSpace(key), strings.TrimSpace(val)); err != nil {
			return detailf(ErrHeader, "%s header: %v", name, err)
		}
	}
	return nil
}

func parseKeyVersion(s string) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 || v > 1<<30 {
		return 0, fmt.Errorf("keyVersion %q is not a positive integer", truncate(s, 16))
	}
	return v, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
