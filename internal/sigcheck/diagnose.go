package sigcheck

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// Input is one signed message as a merchant sent it (or as the gateway
// received it), with the public key that should verify it. Every value is
// used exactly as given: nothing is trimmed or reformatted.
type Input struct {
	// Method is the HTTP method, "POST".
	Method string
	// URI is the path, plus "?" and the raw query when there is one.
	URI string
	// ClientID is the Client-Id header value.
	ClientID string
	// Time is the Request-Time (or Response-Time) header value.
	Time string
	// Body is the raw body, byte for byte.
	Body []byte
	// Signature is the whole Signature header value
	// (algorithm=RSA256,keyVersion=1,signature=...), optionally preceded by
	// "Signature:" as copied from a log, or only the signature value. The
	// value may be URL-encoded with upper- or lower-case escapes, or raw
	// base64. Surrounding space is ignored.
	Signature string
	// Key is the public key the signature should verify with. It must not
	// be nil.
	Key *rsa.PublicKey
}

// message returns the signed message of in.
func (in Input) message() wire.Message {
	return wire.Message{Method: in.Method, URI: in.URI, ClientID: in.ClientID, Time: in.Time, Body: in.Body}
}

// Diagnosis is what [Diagnose] found about one signed message.
//
// The facts (content, hashes, key, header, time) are always set. When the
// signature verifies, Warnings says what a strict verifier would still
// reject; when it does not, Block, Finding, Match, Causes and UsualCauses
// explain why, and DecodeHints why the value did not decode.
type Diagnosis struct {
	// Input is what was diagnosed.
	Input Input

	// Verified is set when the signature is valid for the content as given.
	Verified bool
	// Warnings lists, for a verified signature, what would fail a strict
	// verifier such as the official SDKs (things wire.Verify tolerates: a
	// value that is not URL-encoded, another algorithm name).
	Warnings []string

	// Header is the parsed Signature header when Input.Signature was a
	// whole header value; nil when it was only the signature value or could
	// not be parsed.
	Header *wire.SignatureHeader
	// HeaderErr is set when Input.Signature looked like a header value but
	// could not be parsed; nothing about the signature is known then.
	HeaderErr error
	// Value is the signature value: the header's signature= item, or
	// Input.Signature trimmed.
	Value string
	// Signature is Value decoded; nil when it could not be (DecodeErr).
	Signature []byte
	// DecodeErr is set when Value is not URL-encoded or raw base64.
	DecodeErr error
	// DecodeHints says, when DecodeErr is set, why the value may not decode
	// (quotes, double URL-encoding, a shortened value ...).
	DecodeHints []string

	// Content is the exact content verified: the string-to-sign
	// <method> <uri>\n<client-id>.<time>.<body>.
	Content []byte
	// ContentSHA256 is the lower-case hex SHA-256 of Content.
	ContentSHA256 string
	// BodyLen and BodySHA256 (lower-case hex) describe Input.Body.
	BodyLen    int
	BodySHA256 string

	// KeyBits is the size of the key's modulus in bits; KeySize is the
	// length in bytes of the signatures it makes.
	KeyBits, KeySize int
	// KeyFingerprint is the key's wire.Fingerprint: "SHA256:" and the hex
	// SHA-256 of its SubjectPublicKeyInfo DER.
	KeyFingerprint string

	// Time is Input.Time parsed by wire.ParseTime; TimeErr is set when it
	// is not a time format Antom senders use.
	Time    time.Time
	TimeErr error

	// Block is what the RSA block of the decoded signature reveals; its Kind
	// is BlockNone when the signature verified or did not decode.
	Block Block
	// Finding says what Block means for this message, in one or two
	// sentences; empty when there is no Block.
	Finding string
	// Match describes the variant of the inputs the signature is valid for
	// ("without the body's trailing \n", ...): one or two changes, or nil
	// when no variant tried matches. That variant is what the signer signed.
	Match []string
	// Causes lists what, in these inputs, commonly breaks a signature, and
	// how the signature value differs from the canonical encoding.
	Causes []string
	// UsualCauses are the usual causes of a failed verification, each with
	// a note when this diagnosis rules it out or shows it cannot apply.
	UsualCauses []Cause
}

// Cause is one usual cause of a failed verification.
type Cause struct {
	// Text describes the cause and what to do.
	Text string
	// Note is empty, or says why the cause does not apply here
	// ("ruled out here: the signature was made with this key").
	Note string
}

// Diagnose verifies in and, when the signature does not verify, finds out
// why. It uses only public values: the key, the message and the signature.
func Diagnose(in Input) Diagnosis {
	if in.Key == nil {
		panic("sigcheck: Diagnose needs a public key")
	}
	d := Diagnosis{
		Input:          in,
		Content:        in.message().Content(),
		BodyLen:        len(in.Body),
		KeyBits:        in.Key.N.BitLen(),
		KeySize:        in.Key.Size(),
		KeyFingerprint: wire.Fingerprint(in.Key),
	}
	sum := sha256.Sum256(d.Content)
	d.ContentSHA256 = hex.EncodeToString(sum[:])
	bodySum := sha256.Sum256(in.Body)
	d.BodySHA256 = hex.EncodeToString(bodySum[:])
	d.Time, d.TimeErr = wire.ParseTime(in.Time)
	d.readSignature(in.Signature)

	if d.HeaderErr == nil && d.DecodeErr == nil && wire.Verify(in.Key, d.Content, d.Value) == nil {
		d.Verified = true
		d.Warnings = d.strictWarnings()
		return d
	}

	if d.DecodeErr != nil {
		d.DecodeHints = decodeHints(d.Value, d.KeySize)
	}
	if d.Signature != nil {
		d.Block = openSignature(in.Key, d.Signature)
		d.Finding, d.Match = finding(in, d.Signature, d.Block, d.Content)
	}
	d.Causes = inputCauses(in)
	if d.Signature != nil {
		d.Causes = append(d.Causes, encodingNotes(d.Value, d.Signature)...)
	}
	d.UsualCauses = d.usualCauses()
	return d
}

// readSignature fills the signature fields from a Signature value: a whole
// header value (recognised by a comma or a leading key=, optionally
// preceded by "Signature:" as copied from a log) or a bare value.
func (d *Diagnosis) readSignature(given string) {
	s := strings.TrimSpace(given)
	if len(s) >= len("signature:") && strings.EqualFold(s[:len("signature:")], "signature:") {
		s = strings.TrimSpace(s[len("signature:"):])
	}
	lower := strings.ToLower(s)
	if strings.Contains(s, ",") || strings.HasPrefix(lower, "algorithm=") ||
		strings.HasPrefix(lower, "keyversion=") || strings.HasPrefix(lower, "signature=") {
		h, err := wire.ParseSignatureHeader(s)
		if err != nil {
			d.HeaderErr = err
			return
		}
		d.Header = &h
		d.Value = h.Signature
	} else {
		d.Value = s
	}
	d.Signature, d.DecodeErr = wire.DecodeSignature(d.Value)
}

// strictWarnings lists what a valid signature would still fail at in a
// strict verifier (the official SDKs): things wire.Verify tolerates.
func (d *Diagnosis) strictWarnings() []string {
	var w []string
	if d.Header != nil && d.Header.Algorithm != "" && !strings.EqualFold(d.Header.Algorithm, wire.AlgorithmRSA256) {
		w = append(w, fmt.Sprintf("the header says algorithm=%s; Antom uses RSA256", d.Header.Algorithm))
	}
	if d.Header != nil && d.Header.Algorithm == "" {
		w = append(w, "the header has no algorithm= item; senders write algorithm=RSA256 first")
	}
	w = append(w, encodingNotes(d.Value, d.Signature)...)
	return w
}

// Summary is the verdict in one line: "valid", or "invalid: " and what
// failed (the header, the decoding of the value, or the signature).
func (d Diagnosis) Summary() string {
	switch {
	case d.Verified:
		return "valid"
	case d.HeaderErr != nil:
		return "invalid: the Signature header value cannot be parsed: " + trimWire(d.HeaderErr)
	case d.DecodeErr != nil:
		return "invalid: the signature value cannot be decoded at all: " + trimWire(d.DecodeErr)
	}
	return "invalid: the signature does not match the content verified"
}

// CausesHeading is the title under which Causes are shown: they are likely
// causes, or only things also noticed when the finding points elsewhere
// (another key, a value that does not decode, a matching variant).
func (d Diagnosis) CausesHeading() string {
	switch {
	case d.Signature == nil:
		return "Also noticed in the inputs (they matter once the signature value decodes)"
	case d.Block.NotMadeWithKey():
		return "Also noticed in the inputs (they matter once the key is right)"
	case d.Match != nil:
		return "Also noticed in the inputs"
	}
	return "Likely causes, from these inputs"
}

// usualCauses returns the usual causes, each noted as ruled out or as
// unable to cause the finding when the RSA block says so.
func (d *Diagnosis) usualCauses() []Cause {
	var contentNote, keyNote, encNote string
	switch {
	case d.Block.MadeWithKey():
		keyNote = "ruled out here: the signature was made with this key"
		encNote = "ruled out here: the value decoded to a signature made with this key"
	case d.Block.NotMadeWithKey():
		contentNote = "cannot cause this finding"
	}
	version := "the keyVersion the signer used"
	if d.Header != nil && d.Header.KeyVersion != 0 {
		version = fmt.Sprintf("keyVersion %d", d.Header.KeyVersion)
	}
	return []Cause{
		{"body re-serialised between signing and sending (pretty-printed, keys reordered, escapes or line endings changed): sign the exact bytes you send", contentNote},
		{"'+' turned into a space, or the signature value not URL-encoded, on the way", encNote},
		{"wrong path (the request's path, with ?query if any) or wrong Client-Id / Request-Time header (the exact header text, not reformatted)", contentNote},
		{"wrong key: the public key must belong to the private key that signed (compare the fingerprint above with the signer's) and be the one registered as " + version, keyNote},
	}
}

// finding says what the RSA block b of the signature sig reveals and, when
// the key is right, which small change of the inputs the signature matches.
func finding(in Input, sig []byte, b Block, content []byte) (text string, match []string) {
	switch b.Kind {
	case BlockWrongLength:
		return fmt.Sprintf("the signature is %d bytes but this %d-bit key makes %d-byte signatures: it was made with a %d-bit key (not this one), or the value was cut or extended when copied",
			len(sig), in.Key.N.BitLen(), in.Key.Size(), len(sig)*8), nil
	case BlockNotThisKey:
		return "the signature was NOT made with this key's private key, or the value was damaged on the way: its RSA block is neither PKCS #1 v1.5 nor PSS padding. The content cannot cause this; check the key (fingerprint, keyVersion) first", nil
	case BlockPSS:
		r, valid := b, false
		for _, c := range b.pssReadings {
			if verifyPSS(in.Key, c.Hash, content, sig) {
				r, valid = c, true
				break
			}
		}
		s := fmt.Sprintf("the signature was made with this key, but with RSASSA-PSS padding (%s, %d-byte salt) instead of PKCS #1 v1.5: the signer must use SHA256withRSA, not RSASSA-PSS or SHA256withRSA/PSS",
			r.Hash, r.SaltLen)
		if valid {
			s += fmt.Sprintf("; it is a valid %s PSS signature of exactly this content, so only the padding is wrong", r.Hash)
		}
		return s, nil
	case BlockOtherDigest:
		if b.Hash == noDigestInfo {
			s := "the signature was made with this key, but over a bare digest without the DigestInfo structure (NONEwithRSA, or openssl rsautl/pkeyutl without a digest): use SHA256withRSA"
			if bytes.Equal(b.Digest, digestOf(b.Hash, content)) {
				s += "; the bare digest is the SHA-256 of this content, so only the signing call is wrong"
			}
			return s, nil
		}
		s := fmt.Sprintf("the signature was made with this key, but with %s instead of SHA-256: the signer must use SHA256withRSA", b.Hash)
		if dg := digestOf(b.Hash, content); dg != nil && bytes.Equal(dg, b.Digest) {
			s += fmt.Sprintf("; it is a valid %s signature of exactly this content, so only the hash is wrong", b.Hash)
		}
		return s, nil
	}
	if sum := sha256.Sum256(content); bytes.Equal(sum[:], b.Digest) {
		return "the RSA block matches this content, yet the signature did not verify; please report this", nil
	}
	s := fmt.Sprintf("the signature was made with this key, but over different bytes. The signed content had SHA-256 %s (compare it with the SHA-256 of what the signer signed); the content above has another.",
		hex.EncodeToString(b.Digest))
	if match := findVariant(in, b.Digest); match != nil {
		return s, match
	}
	return s + " No simple variant of the inputs (trailing newline, line endings, JSON formatting, path, method) matches it.", nil
}

func trimWire(err error) string { return strings.TrimPrefix(err.Error(), "wire: ") }
