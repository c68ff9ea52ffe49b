package main

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"strings"
	"sync"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

// testKey is one RSA-2048 key for the unit tests of this file, generated
// once per test binary.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := wire.GenerateKey(nil)
	if err != nil {
		panic(err)
	}
	return k
})

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

func TestOpenSignature(t *testing.T) {
	key := testKey()
	content := []byte("POST /p\nC.T.{}")
	sign := func(h crypto.Hash, digest []byte) []byte {
		sig, err := rsa.SignPKCS1v15(nil, key, h, digest)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	s256 := sha256.Sum256(content)
	s1 := sha1.Sum(content)
	s512 := sha512.Sum512(content)
	other, err := wire.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	otherSig, _ := rsa.SignPKCS1v15(nil, other, crypto.SHA256, s256[:])
	pssSig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, s256[:], nil)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name     string
		sig      []byte
		kind     blockKind
		hash     string
		digest   []byte
		pss      bool
		contains string // in the finding
	}{
		{"SHA256", sign(crypto.SHA256, s256[:]), blockSHA256, "SHA-256", s256[:], false, "please report"},
		{"SHA1", sign(crypto.SHA1, s1[:]), blockOtherDigest, "SHA-1", s1[:], false, "valid SHA-1 signature of exactly this content"},
		{"SHA512", sign(crypto.SHA512, s512[:]), blockOtherDigest, "SHA-512", s512[:], false, "with SHA-512 instead of SHA-256"},
		{"BareDigest", sign(0, s256[:]), blockOtherDigest, "no DigestInfo", s256[:], false, "only the signing call is wrong"},
		{"OtherKey", otherSig, blockNotThisKey, "", nil, false, "NOT made with this key"},
		{"PSS", pssSig, blockNotThisKey, "", nil, true, "RSASSA-PSS"},
		{"Short", otherSig[:128], blockWrongLength, "", nil, false, "made with a 1024-bit key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := openSignature(&key.PublicKey, c.sig)
			if b.kind != c.kind || b.pss != c.pss {
				t.Fatalf("kind = %v (pss %v), want %v (pss %v)", b.kind, b.pss, c.kind, c.pss)
			}
			if c.hash != "" && b.hash != c.hash {
				t.Errorf("hash = %q, want %q", b.hash, c.hash)
			}
			if !bytes.Equal(b.digest, c.digest) {
				t.Errorf("digest = %x, want %x", b.digest, c.digest)
			}
			v := &verification{key: &key.PublicKey, sig: c.sig}
			if text, _ := v.finding(b, content); !strings.Contains(text, c.contains) {
				t.Errorf("finding = %q, want it to contain %q", text, c.contains)
			}
		})
	}
}

func TestFindVariant(t *testing.T) {
	v := &verification{method: "POST", uri: "/ams/api/v1/payments/pay", clientID: "C", timeHeader: "1704067200000",
		body: []byte("{\"a\": 1,\n \"b\": [1, 2]}\n")}
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
			body := []byte(pick(c.body, string(v.body)))
			sum := sha256.Sum256(wire.SigningContent(pick(c.method, v.method), pick(c.uri, v.uri), pick(c.client, v.clientID), pick(c.tm, v.timeHeader), body))
			got := strings.Join(v.findVariant(sum[:]), " and ")
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Errorf("findVariant = %q, want it to contain %q", got, c.want)
			}
		})
	}
}

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
