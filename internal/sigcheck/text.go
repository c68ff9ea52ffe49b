package sigcheck

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the content shown by the text: a longer content is shown as its
// first showHead and last showTail bytes.
const (
	showMax  = 4096
	showHead = 2048
	showTail = 1024
)

// WriteText writes d as "antomgw verify" prints it on stdout: "valid" and a
// line break for a verified signature (the Warnings are for the caller to
// show, as verify does on stderr), otherwise the diagnosis. The diagnosis
// has the verdict, the exact content verified (LF as \n and a line break, CR
// as \r, tab as \t, backslash as \\, other control bytes as \xNN; the middle
// of a long content elided), the facts a person compares with the signer's
// side, what the RSA block reveals, the causes these inputs make plausible
// and the usual causes. It returns the first error from w.
func (d Diagnosis) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	if d.Verified {
		fmt.Fprintln(ew, d.Summary())
		return ew.err
	}
	d.writeDiagnosis(ew)
	return ew.err
}

func (d Diagnosis) writeDiagnosis(w io.Writer) {
	fmt.Fprintln(w, d.Summary())
	switch {
	case d.HeaderErr != nil:
		fmt.Fprintln(w, "  expected algorithm=RSA256,keyVersion=1,signature=<url-encoded base64>, or only the signature value")
	case d.DecodeErr != nil:
		for _, h := range d.DecodeHints {
			fmt.Fprintf(w, "  - %s\n", h)
		}
	}

	fmt.Fprintf(w, "\nContent verified: %d bytes, SHA-256 %s\n", len(d.Content), d.ContentSHA256)
	fmt.Fprintln(w, `(LF is shown as \n and a line break, CR as \r, tab as \t, backslash as \\, other control bytes as \xNN)`)
	renderContent(w, d.Content)

	fmt.Fprintln(w)
	fmt.Fprintf(w, "Body:         %d bytes, SHA-256 %s\n", d.BodyLen, d.BodySHA256)
	fmt.Fprintf(w, "Public key:   RSA %d bits, %s\n", d.KeyBits, d.KeyFingerprint)
	switch {
	case d.Header != nil && d.Header.KeyVersion != 0:
		fmt.Fprintf(w, "Key version:  %d (from the Signature header)\n", d.Header.KeyVersion)
	case d.Header != nil:
		fmt.Fprintln(w, "Key version:  not in the Signature header (the newest key of the Client-Id is meant)")
	case d.HeaderErr == nil:
		fmt.Fprintln(w, "Key version:  unknown (--signature was only the signature value)")
	}
	if d.Header != nil {
		fmt.Fprintf(w, "Algorithm:    %s\n", orNone(d.Header.Algorithm))
	}
	if d.TimeErr == nil {
		fmt.Fprintf(w, "Time:         %s (UTC)\n", d.Time.UTC().Format(time.RFC3339Nano))
	} else {
		fmt.Fprintln(w, "Time:         not a time format Antom senders use")
	}
	if d.Signature != nil {
		fmt.Fprintf(w, "Signature:    %d bytes decoded (this key makes %d-byte signatures)\n", len(d.Signature), d.KeySize)
		fmt.Fprintf(w, "\nFinding: %s\n", d.Finding)
		if d.Match != nil {
			fmt.Fprintf(w, "Match:   the signature is valid for these inputs %s. That is what the signer signed.\n", strings.Join(d.Match, " and "))
		}
	}

	if len(d.Causes) > 0 {
		fmt.Fprintf(w, "\n%s:\n", d.CausesHeading())
		for _, c := range d.Causes {
			fmt.Fprintf(w, "  - %s\n", c)
		}
	}

	fmt.Fprintln(w, "\nUsual causes:")
	for _, c := range d.UsualCauses {
		if c.Note != "" {
			fmt.Fprintf(w, "  - %s (%s)\n", c.Text, c.Note)
		} else {
			fmt.Fprintf(w, "  - %s\n", c.Text)
		}
	}
}

// errWriter keeps the first write error and writes nothing after it.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
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

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
