package wire

import (
	"cmp"
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
	return signatureItems.format(cmp.Or(h.Algorithm, AlgorithmRSA256), cmp.Or(h.KeyVersion, 1), h.Signature)
}

// ParseSignatureHeader parses a Signature header value tolerantly: keys in
// any case and any order, spaces around items, each item split on its first
// "=" (the value itself may contain "="). It requires exactly one non-empty
// signature and, when present, a positive integer keyVersion; unknown keys are
// ignored.
// The algorithm is returned as sent; checking it is the caller's policy.
func ParseSignatureHeader(value string) (SignatureHeader, error) {
	alg, ver, sig, err := signatureItems.parse(value)
	return SignatureHeader{Algorithm: alg, KeyVersion: ver, Signature: sig}, err
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
	return encryptItems.format(cmp.Or(h.Algorithm, AlgorithmRSAAES), h.KeyVersion, h.SymmetricKey)
}

// ParseEncryptHeader parses an Encrypt header value with the same tolerance
// as [ParseSignatureHeader]. It requires algorithm and symmetricKey.
func ParseEncryptHeader(value string) (EncryptHeader, error) {
	alg, ver, key, err := encryptItems.parse(value)
	return EncryptHeader{Algorithm: alg, KeyVersion: ver, SymmetricKey: key}, err
}

// headerItems is the grammar the Signature and Encrypt headers share:
// comma-separated key=value items, of which algorithm, keyVersion and one
// value item count. The fields say how one header uses it.
type headerItems struct {
	name          string // the header's name, for messages
	valueKey      string // the value item's key, as written
	oneValue      bool   // a second value item is an error (else it replaces the first)
	needAlgorithm bool   // the algorithm item must be there and not empty
}

var (
	signatureItems = headerItems{name: "Signature", valueKey: "signature", oneValue: true}
	encryptItems   = headerItems{name: "Encrypt", valueKey: "symmetricKey", needAlgorithm: true}
)

// format writes algorithm, keyVersion (when not zero) and the value item,
// separated by commas without spaces.
func (g headerItems) format(alg string, ver int, value string) string {
	var b strings.Builder
	b.Grow(len(alg) + len(g.valueKey) + len(value) + 26)
	b.WriteString("algorithm=")
	b.WriteString(alg)
	if ver != 0 {
		b.WriteString(",keyVersion=")
		b.WriteString(strconv.Itoa(ver))
	}
	b.WriteString(",")
	b.WriteString(g.valueKey)
	b.WriteString("=")
	b.WriteString(value)
	return b.String()
}

// parse splits value into comma-separated key=value items, skipping empty
// ones (",,", a trailing comma), and returns the algorithm, keyVersion and
// value items. Keys match in any case; others are ignored. The value item
// must be there and not empty. With an error, the items are all zero.
func (g headerItems) parse(value string) (alg string, ver int, val string, err error) {
	if strings.TrimSpace(value) == "" {
		return "", 0, "", detailf(ErrHeader, "%s header is empty", g.name)
	}
	seen := false
	for item := range strings.SplitSeq(value, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return "", 0, "", detailf(ErrHeader, "%s header item %q has no '='", g.name, truncate(item, 32))
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "algorithm":
			alg = v
		case "keyversion":
			if ver, err = parseKeyVersion(v); err != nil {
				return "", 0, "", detailf(ErrHeader, "%s header: %v", g.name, err)
			}
		case strings.ToLower(g.valueKey):
			if seen && g.oneValue {
				return "", 0, "", detailf(ErrHeader, "%s header: more than one %s= item", g.name, g.valueKey)
			}
			val, seen = v, true
		}
	}
	if alg == "" && g.needAlgorithm {
		return "", 0, "", detailf(ErrHeader, "%s header has no algorithm= item", g.name)
	}
	if val == "" {
		return "", 0, "", detailf(ErrHeader, "%s header has no %s= item", g.name, g.valueKey)
	}
	return alg, ver, val, nil
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
