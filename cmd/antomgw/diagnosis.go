package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/antomgw/antomgw/wire"
)

// Limits of the content shown by the diagnosis: a longer content is shown
// as its first showHead and last showTail bytes.
const (
	showMax  = 4096
	showHead = 2048
	showTail = 1024
)

// writeDiagnosis explains a failed verification: the verdict, the exact
// content verified, the facts a person compares with the signer's side,
// what the RSA block reveals, the causes these inputs make plausible and
// the usual causes. It prints nothing secret: the inputs are the public
// key, the signed message and the signature.
func (v *verification) writeDiagnosis(w io.Writer, content []byte) {
	switch {
	case v.headerErr != nil:
		fmt.Fprintf(w, "invalid: the Signature header value cannot be parsed: %s\n", trimWire(v.headerErr))
		fmt.Fprintln(w, "  expected algorithm=RSA256,keyVersion=1,signature=<url-encoded base64>, or only the signature value")
	case v.decodeErr != nil:
		fmt.Fprintf(w, "invalid: the signature value cannot be decoded at all: %s\n", trimWire(v.decodeErr))
		for _, h := range decodeHints(v.value, v.key.Size()) {
			fmt.Fprintf(w, "  - %s\n", h)
		}
	default:
		fmt.Fprintln(w, "invalid: the signature does not match the content verified")
	}

	sum := sha256.Sum256(content)
	fmt.Fprintf(w, "\nContent verified: %d bytes, SHA-256 %s\n", len(content), hex.EncodeToString(sum[:]))
	fmt.Fprintln(w, `(LF is shown as \n and a line break, CR as \r, tab as \t, backslash as \\, other control bytes as \xNN)`)
	renderContent(w, content)

	bodySum := sha256.Sum256(v.body)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Body:         %d bytes, SHA-256 %s\n", len(v.body), hex.EncodeToString(bodySum[:]))
	fmt.Fprintf(w, "Public key:   RSA %d bits, %s\n", v.key.N.BitLen(), wire.Fingerprint(v.key))
	switch {
	case v.header != nil && v.header.KeyVersion != 0:
		fmt.Fprintf(w, "Key version:  %d (from the Signature header)\n", v.header.KeyVersion)
	case v.header != nil:
		fmt.Fprintln(w, "Key version:  not in the Signature header (the newest key of the Client-Id is meant)")
	case v.headerErr == nil:
		fmt.Fprintln(w, "Key version:  unknown (--signature was only the signature value)")
	}
	if v.header != nil {
		fmt.Fprintf(w, "Algorithm:    %s\n", orNone(v.header.Algorithm))
	}
	if t, err := wire.ParseTime(v.timeHeader); err == nil {
		fmt.Fprintf(w, "Time:         %s (UTC)\n", t.UTC().Format(time.RFC3339Nano))
	} else {
		fmt.Fprintln(w, "Time:         not a time format Antom senders use")
	}
	var block signatureBlock
	matched := false
	if v.sig != nil {
		block = openSignature(v.key, v.sig)
		fmt.Fprintf(w, "Signature:    %d bytes decoded (this key makes %d-byte signatures)\n", len(v.sig), v.key.Size())
		var text string
		text, matched = v.finding(block, content)
		fmt.Fprintf(w, "\nFinding: %s\n", text)
	}

	keyRight := v.sig != nil && (block.kind == blockSHA256 || block.kind == blockOtherDigest)
	keyWrong := v.sig != nil && (block.kind == blockNotThisKey || block.kind == blockWrongLength)
	causes := v.inputCauses()
	if v.sig != nil {
		causes = append(causes, encodingNotes(v.value, v.sig)...)
	}
	if len(causes) > 0 {
		switch {
		case v.sig == nil:
			fmt.Fprintln(w, "\nAlso noticed in the inputs (they matter once the signature value decodes):")
		case keyWrong:
			fmt.Fprintln(w, "\nAlso noticed in the inputs (they matter once the key is right):")
		case matched:
			fmt.Fprintln(w, "\nAlso noticed in the inputs:")
		default:
			fmt.Fprintln(w, "\nLikely causes, from these inputs:")
		}
		for _, c := range causes {
			fmt.Fprintf(w, "  - %s\n", c)
		}
	}

	contentNote, keyNote, encNote := "", "", ""
	switch {
	case keyRight:
		keyNote = " (ruled out here: the signature was made with this key)"
		encNote = " (ruled out here: the value decoded to a signature made with this key)"
	case keyWrong:
		contentNote = " (cannot cause this finding)"
	}
	version := "the keyVersion the signer used"
	if v.header != nil && v.header.KeyVersion != 0 {
		version = fmt.Sprintf("keyVersion %d", v.header.KeyVersion)
	}
	fmt.Fprintln(w, "\nUsual causes:")
	fmt.Fprintf(w, "  - body re-serialised between signing and sending (pretty-printed, keys reordered, escapes or line endings changed): sign the exact bytes you send%s\n", contentNote)
	fmt.Fprintf(w, "  - '+' turned into a space, or the signature value not URL-encoded, on the way%s\n", encNote)
	fmt.Fprintf(w, "  - wrong path (the request's path, with ?query if any) or wrong Client-Id / Request-Time header (the exact header text, not reformatted)%s\n", contentNote)
	fmt.Fprintf(w, "  - wrong key: the public key must belong to the private key that signed (compare the fingerprint above with the signer's) and be the one registered as %s%s\n", version, keyNote)
}

// finding says what the RSA block of the signature reveals and, when the
// key is right, which small change of the inputs the signature matches
// (matched).
func (v *verification) finding(b signatureBlock, content []byte) (text string, matched bool) {
	switch b.kind {
	case blockWrongLength:
		return fmt.Sprintf("the signature is %d bytes but this %d-bit key makes %d-byte signatures: it was made with a %d-bit key (not this one), or the value was cut or extended when copied",
			len(v.sig), v.key.N.BitLen(), v.key.Size(), len(v.sig)*8), false
	case blockNotThisKey:
		s := "the signature was NOT made with this key's private key, or the value was damaged on the way: its RSA block is not PKCS #1 v1.5 padding. The content cannot cause this; check the key (fingerprint, keyVersion) first"
		if b.pss {
			s += ". The block ends in 0xbc, the mark of RSASSA-PSS: if the signer used PSS, it must use PKCS #1 v1.5 (SHA256withRSA)"
		}
		return s, false
	case blockOtherDigest:
		if b.hash == "no DigestInfo" {
			s := "the signature was made with this key, but over a bare digest without the DigestInfo structure (NONEwithRSA, or openssl rsautl/pkeyutl without a digest): use SHA256withRSA"
			if bytes.Equal(b.digest, digestOf(b.hash, content)) {
				s += "; the bare digest is the SHA-256 of this content, so only the signing call is wrong"
			}
			return s, false
		}
		s := fmt.Sprintf("the signature was made with this key, but with %s instead of SHA-256: the signer must use SHA256withRSA", b.hash)
		if d := digestOf(b.hash, content); d != nil && bytes.Equal(d, b.digest) {
			s += fmt.Sprintf("; it is a valid %s signature of exactly this content, so only the hash is wrong", b.hash)
		}
		return s, false
	}
	if sum := sha256.Sum256(content); bytes.Equal(sum[:], b.digest) {
		return "the RSA block matches this content, yet the signature did not verify; please report this", false
	}
	s := fmt.Sprintf("the signature was made with this key, but over different bytes. The signed content had SHA-256 %s (compare it with the SHA-256 of what the signer signed); the content above has another.",
		hex.EncodeToString(b.digest))
	if descs := v.findVariant(b.digest); descs != nil {
		return s + "\nMatch:   the signature is valid for these inputs " + strings.Join(descs, " and ") + ". That is what the signer signed.", true
	}
	return s + " No simple variant of the inputs (trailing newline, line endings, JSON formatting, path, method) matches it.", false
}

// inputCauses lists what, in these inputs, commonly breaks a signature.
func (v *verification) inputCauses() []string {
	var c []string
	b := v.body
	add := func(format string, args ...any) { c = append(c, fmt.Sprintf(format, args...)) }

	// Body.
	switch {
	case len(b) == 0:
		add("body is empty: did it reach the tool? Without --body-file the body is read from stdin")
	case bytes.HasSuffix(b, []byte("\r\n")):
		add(`body ends with \r\n: was a line ending added by an editor or echo?`)
	case bytes.HasSuffix(b, []byte("\n")):
		add(`body ends with \n: was a newline added by an editor or echo?`)
	}
	if n := bytes.Count(b, []byte("\r\n")); n > 1 || (n == 1 && !bytes.HasSuffix(b, []byte("\r\n"))) {
		add(`body has \r\n (CRLF) line endings: were line endings converted (git autocrlf, a Windows editor)?`)
	}
	if bytes.HasPrefix(b, bom) {
		add("body starts with a UTF-8 byte-order mark (EF BB BF): was it saved by an editor that adds one?")
	}
	if !utf8.Valid(b) {
		add("body is not valid UTF-8: was its charset converted? The signed bytes are the UTF-8 bytes sent")
	}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(b, bom))
	looksJSON := len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')
	switch {
	case looksJSON && !json.Valid(b):
		add("body looks like JSON but does not parse: truncated or edited after signing?")
	case looksJSON:
		var compact bytes.Buffer
		_ = json.Compact(&compact, b)
		if !bytes.Equal(compact.Bytes(), bytes.TrimRight(b, "\r\n")) {
			add("body is JSON with whitespace between tokens (pretty-printed): if it was re-formatted after signing, or the signer signed a compact form, the bytes differ")
		}
		if r, ok := reserialise(b, false); ok && !bytes.Equal(r, compact.Bytes()) {
			add("body is JSON that re-serialises differently (decoding and encoding it again changes key order, escapes or duplicate keys): if a framework, proxy or logger re-encoded it after signing, the signed bytes are lost")
		}
	}

	// Path.
	u := v.uri
	switch {
	case strings.Contains(u, "://"):
		add("path includes the scheme and host: sign only the path (and ?query), e.g. /ams/api/v1/payments/pay")
	case !strings.HasPrefix(u, "/"):
		p, _, _ := strings.Cut(u, "?")
		if i := strings.IndexByte(p, '/'); i > 0 && strings.Contains(p[:i], ".") {
			add("path lacks the leading / and seems to start with a host (%q): sign only the path, e.g. /ams/api/v1/payments/pay", p[:i])
		} else {
			add("path lacks the leading /: the signed URI is the path as requested, e.g. /ams/api/v1/payments/pay")
		}
	}
	if strings.Contains(u, "?") {
		add("path has a ?query: the signer must have signed the same ?query (the official SDKs sign only the path)")
	}
	if strings.ContainsFunc(u, unicode.IsSpace) {
		add("path contains whitespace")
	}
	if p, _, _ := strings.Cut(u, "?"); len(p) > 1 && strings.HasSuffix(p, "/") {
		add("path ends with /: a trailing slash the signer did not have?")
	}
	sandbox := strings.HasPrefix(v.clientID, "SANDBOX_")
	if sandbox && strings.Contains(u, "/ams/api/") {
		add("Client-Id starts with SANDBOX_: the official SDKs send and sign /ams/sandbox/api/... instead of /ams/api/...")
	}
	if !sandbox && strings.Contains(u, "/ams/sandbox/api/") {
		add("path is a sandbox path (/ams/sandbox/api/) but the Client-Id does not start with SANDBOX_: path and Client-Id from different requests?")
	}

	// Method, Client-Id, time.
	if v.method != "POST" {
		add("method %q: Antom signs POST, in upper case", v.method)
	}
	if strings.TrimSpace(v.clientID) != v.clientID {
		add("Client-Id has leading or trailing whitespace")
	}
	if strings.TrimSpace(v.timeHeader) != v.timeHeader {
		add("time has leading or trailing whitespace")
	}
	if _, err := wire.ParseTime(strings.TrimSpace(v.timeHeader)); err != nil {
		add("%s", timeCause(strings.TrimSpace(v.timeHeader)))
	}
	return c
}

// timeCause says how an unparseable time looks reformatted.
func timeCause(t string) string {
	digits := strings.Trim(t, "0123456789") == ""
	isoDate := len(t) >= 19 && t[4] == '-' && t[7] == '-'
	switch {
	case digits && len(t) == 10:
		return fmt.Sprintf("time %q looks like epoch seconds; senders use epoch milliseconds (13 digits): was it converted?", t)
	case digits:
		return fmt.Sprintf("time %q has %d digits; senders use epoch milliseconds (13 digits): was it converted?", t, len(t))
	case isoDate && t[10] == ' ':
		return fmt.Sprintf("time %q has a space where ISO 8601 has T: reformatted by a log or a database? Use the header text exactly", t)
	case isoDate && t[10] == 'T' && !strings.ContainsAny(t[19:], "Zz+-"):
		return fmt.Sprintf("time %q has no UTC offset: reformatted? Use the header text exactly", t)
	}
	return fmt.Sprintf("time %q is not a form senders use (epoch milliseconds, or ISO 8601 with an offset): retyped or reformatted? Use the header text exactly", t)
}

// encodingNotes compares a signature value that decoded to sig with the
// canonical encoding (standard base64, URL-encoded with upper-case
// escapes) and says what a strict verifier would trip on.
func encodingNotes(value string, sig []byte) []string {
	canonical := wire.EncodeSignature(sig)
	if value == canonical || strings.EqualFold(value, canonical) {
		return nil // upper- or lower-case escapes: every known verifier accepts both
	}
	var n []string
	if strings.Contains(value, " ") {
		n = append(n, "signature contains spaces: '+' was turned into a space on the way (a form decoder); this tool reads a space as '+', strict verifiers do not")
	}
	if strings.ContainsAny(value, "+/=") || (!strings.Contains(value, "%") && strings.Contains(canonical, "%")) {
		n = append(n, "signature value not URL-encoded (raw + / = where %2B %2F %3D belong): a strict verifier turns a raw '+' into a space")
	}
	if strings.ContainsAny(value, "-_") && !strings.ContainsAny(canonical, "-_") {
		n = append(n, "signature uses the URL-safe base64 alphabet (- and _): Antom uses standard base64, URL-encoded")
	}
	if strings.HasSuffix(canonical, "%3D") && !strings.HasSuffix(value, "=") && !strings.HasSuffix(strings.ToUpper(value), "%3D") {
		n = append(n, "signature has no base64 padding (= or %3D at the end): some verifiers reject it")
	}
	return n
}

// decodeHints says why a signature value may not decode; keySize is the
// signature length in bytes this key makes.
func decodeHints(value string, keySize int) []string {
	var h []string
	if value == "" {
		return []string{"the signature value is empty"}
	}
	if strings.ContainsAny(value[:1], `"'`) || strings.ContainsAny(value[len(value)-1:], `"'`) {
		h = append(h, "the value is in quotes: remove them")
	}
	if strings.Contains(strings.ToUpper(value), "%25") {
		h = append(h, "the value is URL-encoded twice (%25 is an encoded %): decode it once")
	}
	if strings.Contains(value, `\`) {
		h = append(h, `the value contains a backslash: JSON or shell escaping was copied along`)
	}
	if strings.Contains(value, "...") || strings.Contains(value, "…") {
		h = append(h, "the value contains an ellipsis: it was shortened in a log; copy the whole value")
	}
	if strings.Count(strings.ToLower(value), "signature=") > 0 {
		h = append(h, "the value contains signature=: pass the whole header value, or only what follows signature=")
	}
	for i := 0; i < len(value); i++ {
		c := value[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("+/=%-_ ", c) >= 0) {
			r, _ := utf8.DecodeRuneInString(value[i:])
			h = append(h, fmt.Sprintf("byte %d is %q, which is neither base64 nor a %%XX escape", i, r))
			break
		}
	}
	chars := len(value) - 2*strings.Count(value, "%")
	if want := (keySize + 2) / 3 * 4; len(h) == 0 && chars != want {
		h = append(h, fmt.Sprintf("the value is %d base64 characters long; a signature of this key is %d: cut or extended when copied?", chars, want))
	}
	return h
}

// renderContent writes content with every line prefixed by "  | ", LF as
// \n and a line break, CR as \r, tab as \t, backslash as \\, other control
// bytes, invalid UTF-8 and invisible runes escaped. A content longer than
// showMax is shown as its head and tail with the number of elided bytes.
func renderContent(w io.Writer, content []byte) {
	if len(content) <= showMax {
		writeVisible(w, content)
		return
	}
	head := content[:runeBoundary(content, showHead)]
	tail := content[runeBoundary(content, len(content)-showTail):]
	writeVisible(w, head)
	if !bytes.HasSuffix(head, []byte("\n")) {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  | ... [%d bytes elided: %d shown from the start, %d from the end] ...\n",
		len(content)-len(head)-len(tail), len(head), len(tail))
	writeVisible(w, tail)
}

// runeBoundary moves i back to the start of a UTF-8 sequence (at most 3
// bytes), so a cut never splits a character.
func runeBoundary(b []byte, i int) int {
	for j := 0; j < 3 && i > 0 && i < len(b) && !utf8.RuneStart(b[i]); j++ {
		i--
	}
	return i
}

// writeVisible writes b as described at renderContent and ends with a line
// break.
func writeVisible(w io.Writer, b []byte) {
	var out strings.Builder
	out.WriteString("  | ")
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&out, `\x%02x`, b[i])
		case r == '\n':
			out.WriteString(`\n` + "\n")
			if i+1 < len(b) {
				out.WriteString("  | ")
			}
		case r == '\r':
			out.WriteString(`\r`)
		case r == '\t':
			out.WriteString(`\t`)
		case r == '\\':
			out.WriteString(`\\`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&out, `\x%02x`, r)
		case r == ' ' || unicode.IsPrint(r):
			out.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&out, `\u%04x`, r)
		default:
			fmt.Fprintf(&out, `\U%08x`, r)
		}
		i += size
	}
	s := out.String()
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	io.WriteString(w, s)
}

func trimWire(err error) string { return strings.TrimPrefix(err.Error(), "wire: ") }

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
