package sigcheck

import (
	"strings"
	"testing"
)

func TestDecodeHints(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`"abc"`, "in quotes"},
		{"abc%252Bdef", "URL-encoded twice"},
		{`abc\u002b`, "backslash"},
		{"abcd...wxyz", "shortened in a log"},
		{"abc!def", `byte 3 is '!'`},
		{"abcd", "4 base64 characters long; a signature of this key is 344"},
	} {
		hints := strings.Join(decodeHints(c.in, 256), "\n")
		if !strings.Contains(hints, c.want) {
			t.Errorf("decodeHints(%q) = %q, want it to contain %q", c.in, hints, c.want)
		}
	}
}

func TestTimeCause(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1704067200", "epoch seconds"},
		{"170406720000", "12 digits"},
		{"2024-01-01 08:00:00", "space where ISO 8601 has T"},
		{"2024-01-01T08:00:00", "no UTC offset"},
		{"Mon, 01 Jan 2024 08:00:00 GMT", "not a form senders use"},
	} {
		if got := timeCause(c.in); !strings.Contains(got, c.want) {
			t.Errorf("timeCause(%q) = %q, want it to contain %q", c.in, got, c.want)
		}
	}
}
