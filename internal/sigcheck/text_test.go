package sigcheck

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRenderContent(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{
		{"OneLine", "POST /p", "  | POST /p\n"},
		{"LF", "POST /p\nC.T.{}", "  | POST /p\\n\n  | C.T.{}\n"},
		{"TrailingLF", "a\n", "  | a\\n\n"},
		{"CRLF", "a\r\nb", "  | a\\r\\n\n  | b\n"},
		{"Tab", "a\tb", "  | a\\tb\n"},
		{"Backslash", `{"s":"x\ny"}`, `  | {"s":"x\\ny"}` + "\n"},
		{"Control", "a\x00b\x1bc\x7f", `  | a\x00b\x1bc\x7f` + "\n"},
		{"InvalidUTF8", "a\xffb", `  | a\xffb` + "\n"},
		{"UTF8", "café 支付", "  | café 支付\n"},
		{"BOM", "\ufeff{}", `  | \ufeff{}` + "\n"},
		{"NoBreakSpace", "a\u00a0b", `  | a\u00a0b` + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			renderContent(&b, []byte(c.in))
			if got := b.String(); got != c.want {
				t.Errorf("renderContent(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestRenderContentElides(t *testing.T) {
	content := []byte("POST /p\nC.T." + strings.Repeat("é", 5000) + "TAIL\n")
	var b bytes.Buffer
	renderContent(&b, content)
	out := b.String()
	for _, want := range []string{"  | POST /p\\n\n", "TAIL\\n\n", "bytes elided"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q", want)
		}
	}
	if len(out) > showHead+showTail+200 {
		t.Errorf("output is %d bytes for a %d-byte content, want it elided", len(out), len(content))
	}
	if strings.Contains(out, `\x`) {
		t.Error("a cut split a UTF-8 character")
	}
}

// TestWriteTextVerified checks that a verified signature is written as
// "valid" alone: the warnings are the caller's to show.
func TestWriteTextVerified(t *testing.T) {
	in := testInput(testBody)
	in.Signature = "keyVersion=1,signature=" + signatureValue(t, signed(t, testKey(), in))
	d := Diagnose(in)
	if got := text(t, d); got != "valid\n" {
		t.Errorf("WriteText = %q, want \"valid\\n\"", got)
	}
	if len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "no algorithm= item") {
		t.Errorf("Warnings = %q, want one about the missing algorithm", d.Warnings)
	}
}

type failWriter struct{ writes int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.writes++
	return 0, errors.New("disk full")
}

// TestWriteTextError checks that WriteText returns the first write error
// and stops writing.
func TestWriteTextError(t *testing.T) {
	in := testInput(testBody + "\n")
	in.Signature = signed(t, testKey(), testInput(testBody))
	for _, d := range []Diagnosis{Diagnose(in), Diagnose(testInput(testBody))} {
		var w failWriter
		if err := d.WriteText(&w); err == nil || err.Error() != "disk full" {
			t.Errorf("WriteText = %v, want the writer's error", err)
		}
		if w.writes != 1 {
			t.Errorf("%d writes after the error, want 1 in all", w.writes)
		}
	}
}
