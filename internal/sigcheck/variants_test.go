package sigcheck

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

func TestFindVariant(t *testing.T) {
	in := Input{Method: "POST", URI: "/ams/api/v1/payments/pay", ClientID: "C", Time: "1704067200000",
		Body: []byte("{\"a\": 1,\n \"b\": [1, 2]}\n")}
	for _, c := range []struct {
		name                    string
		method, uri, client, tm string
		body                    string
		want                    string // "" for no match
	}{
		{"TrailingNewline", "", "", "", "", "{\"a\": 1,\n \"b\": [1, 2]}", `without the body's trailing \n`},
		{"Compact", "", "", "", "", `{"a":1,"b":[1,2]}`, "compacted"},
		{"CRLF", "", "", "", "", "{\"a\": 1,\r\n \"b\": [1, 2]}\r\n", `line endings turned into \r\n`},
		{"Sandbox", "", "/ams/sandbox/api/v1/payments/pay", "", "", "", "/ams/sandbox/api/"},
		{"TwoChanges", "", "/ams/sandbox/api/v1/payments/pay", "", "", `{"a":1,"b":[1,2]}`, "compacted (no whitespace between tokens) and with /ams/sandbox/api/"},
		{"Unrelated", "", "", "", "1704067200001", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			pick := func(s, d string) string {
				if s == "" {
					return d
				}
				return s
			}
			body := []byte(pick(c.body, string(in.Body)))
			sum := sha256.Sum256(wire.SigningContent(pick(c.method, in.Method), pick(c.uri, in.URI), pick(c.client, in.ClientID), pick(c.tm, in.Time), body))
			got := strings.Join(findVariant(in, sum[:]), " and ")
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Errorf("findVariant = %q, want it to contain %q", got, c.want)
			}
		})
	}
}
