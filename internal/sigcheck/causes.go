package sigcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/antomgw/antomgw/wire"
)

// inputCauses lists what, in these inputs, commonly breaks a signature.
func inputCauses(in Input) []string {
	var c []string
	b := in.Body
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
	u := in.URI
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
	sandbox := strings.HasPrefix(in.ClientID, "SANDBOX_")
	if sandbox && strings.Contains(u, "/ams/api/") {
		add("Client-Id starts with SANDBOX_: the official SDKs send and sign /ams/sandbox/api/... instead of /ams/api/...")
	}
	if !sandbox && strings.Contains(u, "/ams/sandbox/api/") {
		add("path is a sandbox path (/ams/sandbox/api/) but the Client-Id does not start with SANDBOX_: path and Client-Id from different requests?")
	}

	// Method, Client-Id, time.
	if in.Method != "POST" {
		add("method %q: Antom signs POST, in upper case", in.Method)
	}
	if strings.TrimSpace(in.ClientID) != in.ClientID {
		add("Client-Id has leading or trailing whitespace")
	}
	if strings.TrimSpace(in.Time) != in.Time {
		add("time has leading or trailing whitespace")
	}
	if _, err := wire.ParseTime(strings.TrimSpace(in.Time)); err != nil {
		add("%s", timeCause(strings.TrimSpace(in.Time)))
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
