package sigcheck

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/wire"
)

func TestDiagnoseVerified(t *testing.T) {
	in := testInput(testBody)
	header := signed(t, testKey(), in)
	value := signatureValue(t, header)
	raw, _ := url.QueryUnescape(value)
	for _, c := range []struct {
		name, signature string
		wantWarning     string // "" for none
	}{
		{"Header", header, ""},
		{"HeaderWithSpaces", strings.ReplaceAll(header, ",", ", "), ""},
		{"HeaderWithName", "Signature: " + header, ""},
		{"Value", value, ""},
		{"LowerCaseEscapes", strings.NewReplacer("%2B", "%2b", "%2F", "%2f", "%3D", "%3d").Replace(value), ""},
		{"RawBase64", raw, "not URL-encoded"},
		{"PlusAsSpace", strings.ReplaceAll(raw, "+", " "), "not URL-encoded"},
		{"OtherAlgorithm", strings.Replace(header, "RSA256", "RSA1", 1), "algorithm=RSA1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in.Signature = c.signature
			d := Diagnose(in)
			if !d.Verified || d.Summary() != "valid" {
				t.Fatalf("Verified = %v, Summary %q; want a valid signature:\n%s", d.Verified, d.Summary(), text(t, d))
			}
			warnings := strings.Join(d.Warnings, "\n")
			if c.wantWarning == "" && warnings != "" || !strings.Contains(warnings, c.wantWarning) {
				t.Errorf("Warnings = %q, want %q", d.Warnings, c.wantWarning)
			}
			if d.Block.Kind != BlockNone || d.Finding != "" || d.Causes != nil || d.UsualCauses != nil {
				t.Errorf("a verified signature has a finding: %+v", d)
			}
		})
	}

	t.Run("Facts", func(t *testing.T) {
		in.Signature = header
		d := Diagnose(in)
		content := wire.SigningContent("POST", testPath, testClientID, testTime, []byte(testBody))
		sum := sha256.Sum256(content)
		bodySum := sha256.Sum256([]byte(testBody))
		if string(d.Content) != string(content) || d.ContentSHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("Content = %q (SHA-256 %s), want %q", d.Content, d.ContentSHA256, content)
		}
		if d.BodyLen != len(testBody) || d.BodySHA256 != hex.EncodeToString(bodySum[:]) {
			t.Errorf("body: %d bytes, SHA-256 %s", d.BodyLen, d.BodySHA256)
		}
		if d.KeyBits != 2048 || d.KeySize != 256 || d.KeyFingerprint != wire.Fingerprint(&testKey().PublicKey) {
			t.Errorf("key: %d bits, %d bytes, %s", d.KeyBits, d.KeySize, d.KeyFingerprint)
		}
		if d.Header == nil || d.Header.KeyVersion != 1 || d.Header.Algorithm != "RSA256" || d.Value != value || len(d.Signature) != 256 {
			t.Errorf("header %+v, value %q, %d signature bytes", d.Header, d.Value, len(d.Signature))
		}
		if want := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC); d.TimeErr != nil || !d.Time.Equal(want) {
			t.Errorf("Time = %v (%v), want %v", d.Time, d.TimeErr, want)
		}
	})
}

// TestDiagnoseMatch checks that Diagnose finds which variant of the inputs
// the signer signed.
func TestDiagnoseMatch(t *testing.T) {
	const sandboxMatch = "with /ams/sandbox/api/ in the path (the official SDKs rewrite /ams/api/ for SANDBOX_ client ids)"
	prod := func(in *Input) { in.URI = "/ams/api/v1/payments/pay" }
	for _, c := range []struct {
		name       string
		signedBody string       // what the signer signed, on testPath
		body       string       // what the verifier has
		change     func(*Input) // more changes on the verifier's side
		want       []string
	}{
		{"TrailingNewline", testBody, testBody + "\n", nil, []string{`without the body's trailing \n`}},
		{"NewlineRemoved", testBody + "\n", testBody, nil, []string{`with \n appended to the body`}},
		{"SandboxPath", testBody, testBody, prod, []string{sandboxMatch}},
		{"PrettyPrinted", testBody, strings.ReplaceAll(testBody, ",", ", "), nil, []string{"with the JSON body compacted (no whitespace between tokens)"}},
		{"TwoChanges", testBody, testBody + "\n", prod, []string{`without the body's trailing \n`, sandboxMatch}},
		{"Method", testBody, testBody, func(in *Input) { in.Method = "post" }, []string{"with method POST"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := testInput(c.body)
			in.Signature = signed(t, testKey(), testInput(c.signedBody))
			if c.change != nil {
				c.change(&in)
			}
			d := Diagnose(in)
			if d.Verified || d.Block.Kind != BlockSHA256 || !d.Block.MadeWithKey() {
				t.Fatalf("Verified %v, block %v; want a SHA-256 block of this key", d.Verified, d.Block.Kind)
			}
			if !slices.Equal(d.Match, c.want) {
				t.Errorf("Match = %q, want %q", d.Match, c.want)
			}
			if d.CausesHeading() != "Also noticed in the inputs" {
				t.Errorf("CausesHeading = %q", d.CausesHeading())
			}
			out := text(t, d)
			if want := "\nMatch:   the signature is valid for these inputs " + strings.Join(c.want, " and ") + ". That is what the signer signed.\n"; !strings.Contains(out, want) {
				t.Errorf("text does not contain %q:\n%s", want, out)
			}
		})
	}

	t.Run("NoMatch", func(t *testing.T) {
		in := testInput(strings.Replace(testBody, `"100"`, `"1000"`, 1))
		in.Signature = signed(t, testKey(), testInput(testBody))
		d := Diagnose(in)
		if d.Match != nil || !strings.Contains(d.Finding, "No simple variant") || d.CausesHeading() != "Likely causes, from these inputs" {
			t.Errorf("Match %q, Finding %q, heading %q; want no match", d.Match, d.Finding, d.CausesHeading())
		}
	})
}

// TestDiagnoseCauses checks the diagnosis text for the usual mistakes: the
// causes the inputs make plausible, the finding and the matching variant.
func TestDiagnoseCauses(t *testing.T) {
	priv, other := testKey(), otherKey()
	header := signed(t, priv, testInput(testBody))
	value := signatureValue(t, header)
	rawSig, err := wire.DecodeSignature(value)
	if err != nil {
		t.Fatal(err)
	}
	// A body whose signature has a '+' in its base64 (almost every body).
	var plusBody, plusRaw string
	for i := 0; plusRaw == ""; i++ {
		if i == 50 {
			t.Fatal("no signature with a '+' in 50 tries")
		}
		b := fmt.Sprintf(`{"n":%d}`, i)
		sig, err := wire.DecodeSignature(signatureValue(t, signed(t, priv, testInput(b))))
		if err != nil {
			t.Fatal(err)
		}
		if raw := base64.StdEncoding.EncodeToString(sig); strings.Contains(raw, "+") {
			plusBody, plusRaw = b, raw
		}
	}
	pretty := "{\n  \"paymentRequestId\": \"REQ_20240101_0001\",\r\n  \"paymentAmount\": {\"value\": \"100\", \"currency\": \"USD\"}\r\n}"
	for _, c := range []struct {
		name      string
		body      string
		signature string
		change    func(*Input)
		want      []string
		notWant   []string
	}{
		{
			name: "TrailingNewlineAdded", body: testBody + "\n", signature: header,
			want: []string{`body ends with \n: was a newline added by an editor or echo?`, `Match:   the signature is valid for these inputs without the body's trailing \n`},
		},
		{
			name: "TrailingNewlineRemoved", body: testBody, signature: signed(t, priv, testInput(testBody+"\n")),
			want:    []string{`Match:   the signature is valid for these inputs with \n appended to the body`},
			notWant: []string{"ends with"},
		},
		{
			name: "TruncatedJSON", body: strings.TrimSuffix(testBody, "}"), signature: header,
			want: []string{"body looks like JSON but does not parse", "made with this key, but over different bytes"},
		},
		{
			name: "CRLF", body: pretty, signature: signed(t, priv, testInput(strings.ReplaceAll(pretty, "\r\n", "\n"))),
			want: []string{`body has \r\n (CRLF) line endings`, `line endings turned into \n`, "pretty-printed", "re-serialises differently"},
		},
		{
			name: "Compacted", body: strings.ReplaceAll(testBody, ",", ", "), signature: header,
			want:    []string{"with the JSON body compacted", "JSON with whitespace between tokens"},
			notWant: []string{"ends with"},
		},
		{
			name: "WrongPathSandbox", body: testBody, signature: header,
			change: func(in *Input) { in.URI = "/ams/api/v1/payments/pay" },
			want:   []string{"starts with SANDBOX_", "with /ams/sandbox/api/ in the path"},
		},
		{
			name: "PathWithHost", body: testBody, signature: header,
			change: func(in *Input) { in.URI = "https://open-sea-global.alipay.com" + testPath },
			want:   []string{"path includes the scheme and host", "with only the path of the URL"},
		},
		{
			name: "PathWithoutSlash", body: testBody, signature: header,
			change: func(in *Input) { in.URI = strings.TrimPrefix(testPath, "/") },
			want:   []string{"path lacks the leading /", "with a leading / on the path"},
		},
		{
			name: "TimeReformatted", body: testBody, signature: header,
			change: func(in *Input) { in.Time = "2024-01-01 08:00:00" },
			want:   []string{"has a space where ISO 8601 has T", "Time:         not a time format Antom senders use"},
		},
		{
			name: "TimeEpochSeconds", body: testBody, signature: header,
			change: func(in *Input) { in.Time = "1704067200" },
			want:   []string{"looks like epoch seconds"},
		},
		{
			name: "Method", body: testBody, signature: header,
			change: func(in *Input) { in.Method = "post" },
			want:   []string{`method "post": Antom signs POST`, "with method POST"},
		},
		{
			name: "WrongKey", body: testBody, signature: signed(t, other, testInput(testBody)),
			want:    []string{"NOT made with this key", "(cannot cause this finding)"},
			notWant: []string{"Match:"},
		},
		{
			name: "Truncated", body: testBody, signature: url.QueryEscape(base64.StdEncoding.EncodeToString(rawSig[:252])),
			want: []string{"the signature is 252 bytes but this 2048-bit key makes 256-byte signatures"},
		},
		{
			name: "PlusAsSpaceAndTampered", body: plusBody + " ", signature: strings.ReplaceAll(plusRaw, "+", " "),
			want: []string{"'+' was turned into a space", `Match:   the signature is valid for these inputs without the body's trailing whitespace`},
		},
		{
			name: "Undecodable", body: testBody, signature: `"` + value + `"`,
			want: []string{"cannot be decoded at all", "in quotes"},
		},
		{
			name: "DoubleEncoded", body: testBody, signature: url.QueryEscape(value),
			want: []string{"cannot be decoded at all", "URL-encoded twice"},
		},
		{
			name: "BadHeader", body: testBody, signature: "algorithm=RSA256,keyVersion=one,signature=" + value,
			want:    []string{"Signature header value cannot be parsed", `keyVersion "one"`},
			notWant: []string{"Key version:", "Finding:"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := testInput(c.body)
			in.Signature = c.signature
			if c.change != nil {
				c.change(&in)
			}
			d := Diagnose(in)
			if d.Verified {
				t.Fatal("Verified, want a failed verification")
			}
			out := text(t, d)
			if !strings.HasPrefix(out, d.Summary()+"\n") || !strings.HasPrefix(out, "invalid: ") {
				t.Errorf("text does not start with the summary %q:\n%s", d.Summary(), out)
			}
			for _, want := range c.want {
				if !strings.Contains(out, want) {
					t.Errorf("diagnosis does not contain %q:\n%s", want, out)
				}
			}
			for _, nw := range c.notWant {
				if strings.Contains(out, nw) {
					t.Errorf("diagnosis contains %q:\n%s", nw, out)
				}
			}
			checkNoSecret(t, out)
		})
	}
}

// TestDiagnoseUsualCauses checks which usual causes the RSA block rules out
// and which key version the key cause names.
func TestDiagnoseUsualCauses(t *testing.T) {
	good := signed(t, testKey(), testInput(testBody))
	kv3, err := testInput(testBody).message().Sign(testKey(), 3)
	if err != nil {
		t.Fatal(err)
	}
	notes := func(d Diagnosis) []string {
		var n []string
		for _, c := range d.UsualCauses {
			n = append(n, c.Note)
		}
		return n
	}
	const (
		keyNote = "ruled out here: the signature was made with this key"
		encNote = "ruled out here: the value decoded to a signature made with this key"
		content = "cannot cause this finding"
	)
	for _, c := range []struct {
		name, signature string
		notes           []string
		version         string // in the key cause
	}{
		{"RightKey", kv3.String(), []string{"", encNote, "", keyNote}, "registered as keyVersion 3"},
		{"WrongKey", signed(t, otherKey(), testInput(testBody)), []string{content, "", content, ""}, "registered as keyVersion 1"},
		{"ValueOnly", signatureValue(t, good), []string{"", encNote, "", keyNote}, "registered as the keyVersion the signer used"},
		{"Undecodable", "%%%", []string{"", "", "", ""}, "registered as the keyVersion the signer used"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := testInput(testBody + "x")
			in.Signature = c.signature
			d := Diagnose(in)
			if got := notes(d); !slices.Equal(got, c.notes) {
				t.Errorf("notes = %q, want %q", got, c.notes)
			}
			if len(d.UsualCauses) != 4 || !strings.HasSuffix(d.UsualCauses[3].Text, c.version) {
				t.Errorf("usual causes %q, want the last to end in %q", d.UsualCauses, c.version)
			}
		})
	}
}

func TestDiagnoseSignatureErrors(t *testing.T) {
	t.Run("Header", func(t *testing.T) {
		in := testInput(testBody)
		in.Signature = "algorithm=RSA256,keyVersion=1"
		d := Diagnose(in)
		if d.HeaderErr == nil || d.Header != nil || d.Signature != nil || d.Block.Kind != BlockNone || d.Finding != "" {
			t.Fatalf("HeaderErr %v, header %+v, block %v, finding %q; want only a header error", d.HeaderErr, d.Header, d.Block.Kind, d.Finding)
		}
		if !strings.Contains(text(t, d), "  expected algorithm=RSA256,keyVersion=1,signature=<url-encoded base64>, or only the signature value\n") {
			t.Errorf("text does not say what is expected:\n%s", text(t, d))
		}
	})
	t.Run("Value", func(t *testing.T) {
		in := testInput(testBody)
		in.Signature = "abcd...wxyz"
		d := Diagnose(in)
		if d.DecodeErr == nil || d.Signature != nil || d.Block.Kind != BlockNone {
			t.Fatalf("DecodeErr %v, block %v; want a decode error", d.DecodeErr, d.Block.Kind)
		}
		if len(d.DecodeHints) == 0 || !strings.Contains(d.DecodeHints[0], "shortened in a log") {
			t.Errorf("DecodeHints = %q", d.DecodeHints)
		}
		if !strings.HasPrefix(d.CausesHeading(), "Also noticed in the inputs (they matter once the signature value decodes)") {
			t.Errorf("CausesHeading = %q", d.CausesHeading())
		}
	})
	t.Run("NoKey", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("Diagnose without a key did not panic")
			}
		}()
		Diagnose(Input{Signature: "x"})
	})
}
