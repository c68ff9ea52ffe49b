package wire

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrSignature is returned by [Verify] when a signature does not match the
// content. It is deliberately vague, like [rsa.ErrVerification]: it never
// says which byte differed. Callers that want to help a merchant find the
// difference describe the inputs they verified instead (see the
// INVALID_SIGNATURE result message of the gateway).
var ErrSignature = errors.New("wire: signature does not match the content")

// SigningContent returns the exact bytes that are signed for a request, a
// response or a notification:
//
//	<method> <uri>\n<clientID>.<timeHeader>.<body>
//
// uri is the path of the URL, followed by "?" and the raw query when the
// request has one. clientID and timeHeader are the header values exactly as
// sent; they are never reformatted. For a response, method and uri are those
// of the request and timeHeader is the Response-Time header. For a
// notification, uri is the path of the merchant's notify URL.
func SigningContent(method, uri, clientID, timeHeader string, body []byte) []byte {
	b := make([]byte, 0, len(method)+1+len(uri)+1+len(clientID)+1+len(timeHeader)+1+len(body))
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, uri...)
	b = append(b, '\n')
	b = append(b, clientID...)
	b = append(b, '.')
	b = append(b, timeHeader...)
	b = append(b, '.')
	b = append(b, body...)
	return b
}

// Sign signs content with RSASSA-PKCS1-v1_5 over SHA-256 and returns the
// signature as it goes into the Signature header: standard base64, then
// URL-encoded (so "+" becomes "%2B", "/" becomes "%2F", "=" becomes "%3D").
// PKCS #1 v1.5 signatures are deterministic: the same key and content always
// give the same value.
func Sign(key *rsa.PrivateKey, content []byte) (string, error) {
	if key == nil {
		return "", errors.New("wire: sign: no private key")
	}
	digest := sha256.Sum256(content)
	sig, err := signDigest(key, digest[:])
	if err != nil {
		return "", fmt.Errorf("wire: sign: %w", err)
	}
	return EncodeSignature(sig), nil
}

// Verify checks a signature value (as found in the Signature header) over
// content with key. The value may be URL-encoded with upper- or lower-case
// escapes, or raw standard base64; see [DecodeSignature]. It returns
// [ErrSignature] when the signature does not match, and an error wrapping
// [ErrSignatureEncoding] when the value cannot be decoded at all.
func Verify(key *rsa.PublicKey, content []byte, signature string) error {
	if key == nil {
		return errors.New("wire: verify: no public key")
	}
	sig, err := DecodeSignature(signature)
	if err != nil {
		return err
	}
	digest := sha256.Sum256(content)
	if err := verifyDigest(key, digest[:], sig); err != nil {
		return ErrSignature
	}
	return nil
}

// signDigestStd and verifyDigestStd are the signing and verifying
// primitives of [Sign] and [Verify] on crypto/rsa, over a SHA-256 digest.
// signDigest and verifyDigest call them in the default build
// (sign_std.go); a build with -tags openssl signs and verifies on the
// system's libcrypto instead and falls back to them (sign_openssl.go).
func signDigestStd(key *rsa.PrivateKey, digest []byte) ([]byte, error) {
	return rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest)
}

func verifyDigestStd(key *rsa.PublicKey, digest, sig []byte) error {
	return rsa.VerifyPKCS1v15(key, crypto.SHA256, digest, sig)
}

// ErrSignatureEncoding is wrapped by the errors of [DecodeSignature].
var ErrSignatureEncoding = errors.New("wire: signature value is not URL-encoded base64")

// EncodeSignature returns raw signature bytes as standard base64, URL-encoded
// the way every official SDK does it (form encoding with upper-case hex).
func EncodeSignature(sig []byte) string {
	return urlEncode(base64.StdEncoding.EncodeToString(sig))
}

// DecodeSignature turns a Signature header value back into signature bytes.
// It decodes percent escapes in either case (%2B and %2b), keeps a literal
// "+" as "+" (a raw, unencoded base64 value is accepted), and reads a space
// as "+" because a form decoder on the way may already have turned "+" into
// a space; base64 never contains a space, so nothing is lost. Padding may be
// present or not.
func DecodeSignature(value string) ([]byte, error) {
	if strings.TrimSpace(value) == "" {
		return nil, detailf(ErrSignatureEncoding, "empty")
	}
	s, err := percentDecode(value)
	if err != nil {
		return nil, err
	}
	s = strings.ReplaceAll(s, " ", "+")
	if strings.ContainsAny(s, "-_") && !strings.ContainsAny(s, "+/") {
		// URL-safe alphabet, as some hand-written clients send.
		s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	}
	s = strings.TrimRight(s, "=")
	sig, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, detailf(ErrSignatureEncoding, "%v", err)
	}
	if len(sig) == 0 {
		return nil, detailf(ErrSignatureEncoding, "empty")
	}
	return sig, nil
}

// urlEncode is form encoding restricted to what base64 produces: it escapes
// "+", "/" and "=" with upper-case hex, as Java's URLEncoder and Go's
// url.QueryEscape do for base64 text.
func urlEncode(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '*':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// percentDecode decodes %XX escapes in either case and leaves every other
// byte, "+" included, as it is.
func percentDecode(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", detailf(ErrSignatureEncoding, "truncated escape at byte %d", i)
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", detailf(ErrSignatureEncoding, "bad escape %q at byte %d", s[i:i+3], i)
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
