package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

// verifyArgs returns the verify arguments for the test request.
func verifyArgs(pub, signature string, extra ...string) []string {
	return append([]string{"verify", "--public-key", pub, "--client-id", testClientID, "--time", testTime, "--path", testPath, "--signature", signature}, extra...)
}

// signed signs body with the test request's headers and returns the
// Signature header value (without the newline).
func signed(tb testing.TB, priv, body string, extra ...string) string {
	tb.Helper()
	r := runCLI(tb, body, signArgs(priv, extra...)...)
	if r.code != 0 {
		tb.Fatalf("sign: exit %d, stderr %q", r.code, r.stderr)
	}
	return strings.TrimSuffix(r.stdout, "\n")
}

func publicKey(tb testing.TB, file string) string {
	tb.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := wire.ParsePublicKey(data)
	if err != nil {
		tb.Fatal(err)
	}
	return wire.Fingerprint(key)
}

func TestSignVerifyRoundTrip(t *testing.T) {
	priv, pub := genKeys(t)
	header := signed(t, priv, testBody)
	value := signatureValue(t, header)
	raw, _ := url.QueryUnescape(value)
	for _, c := range []struct {
		name, signature string
		wantWarning     string // on stderr
	}{
		{"Header", header, ""},
		{"HeaderWithSpaces", strings.ReplaceAll(header, ",", ", "), ""},
		{"HeaderWithName", "Signature: " + header, ""},
		{"Value", value, ""},
		{"LowerCaseEscapes", strings.NewReplacer("%2B", "%2b", "%2F", "%2f", "%3D", "%3d").Replace(value), ""},
		{"RawBase64", raw, "not URL-encoded"},
		{"PlusAsSpace", strings.ReplaceAll(raw, "+", " "), "not URL-encoded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, testBody, verifyArgs(pub, c.signature)...)
			if r.code != 0 || r.stdout != "valid\n" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and \"valid\\n\"", r.code, r.stdout, r.stderr)
			}
			if c.wantWarning == "" && r.stderr != "" {
				t.Errorf("stderr = %q, want empty", r.stderr)
			}
			if !strings.Contains(r.stderr, c.wantWarning) {
				t.Errorf("stderr = %q, want a warning containing %q", r.stderr, c.wantWarning)
			}
		})
	}

	t.Run("PathWithQuery", func(t *testing.T) {
		p := testPath + "?x=1&y=a%20b"
		h := signed(t, priv, testBody, "--path", p)
		r := runCLI(t, testBody, verifyArgs(pub, h, "--path", p)...)
		if r.code != 0 {
			t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
		}
		// The signer signed the path only, the verifier has the query.
		r = runCLI(t, testBody, verifyArgs(pub, signed(t, priv, testBody), "--path", p)...)
		if r.code != 1 || !strings.Contains(r.stdout, "with the path without its ?query") {
			t.Errorf("exit %d, want 1 and a match without the query; stdout:\n%s", r.code, r.stdout)
		}
	})
}

func TestVerifyTamperedBody(t *testing.T) {
	priv, pub := genKeys(t)
	header := signed(t, priv, testBody)
	tampered := strings.Replace(testBody, `"100"`, `"1000"`, 1)
	r := runCLI(t, tampered, verifyArgs(pub, header)...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q", r.code, r.stderr)
	}
	sum := sha256.Sum256([]byte(tampered))
	for _, want := range []string{
		"invalid: the signature does not match",
		"POST " + testPath + `\n` + "\n", // the LF made visible, then a real line break
		testClientID + "." + testTime + "." + tampered,
		hex.EncodeToString(sum[:]),
		fmt.Sprintf("Body:         %d bytes", len(tampered)),
		"RSA 2048 bits, " + publicKey(t, pub),
		"Key version:  1 (from the Signature header)",
		"made with this key, but over different bytes",
		"'+' turned into a space",
		"wrong key",
		"wrong path",
		"re-serialised",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diagnosis does not contain %q:\n%s", want, r.stdout)
		}
	}
	checkNoSecret(t, priv, map[string]string{"stdout": r.stdout, "stderr": r.stderr})
}

func TestVerifyDiagnosisCauses(t *testing.T) {
	priv, pub := genKeys(t)
	otherPriv, _ := genKeys(t)
	header := signed(t, priv, testBody)
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
		sig, err := wire.DecodeSignature(signatureValue(t, signed(t, priv, b)))
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
		args      []string
		want      []string
		notWant   []string
	}{
		{
			name: "TrailingNewlineAdded", body: testBody + "\n", signature: header,
			want: []string{`body ends with \n: was a newline added by an editor or echo?`, `Match:   the signature is valid for these inputs without the body's trailing \n`},
		},
		{
			name: "TrailingNewlineRemoved", body: testBody, signature: signed(t, priv, testBody+"\n"),
			want:    []string{`Match:   the signature is valid for these inputs with \n appended to the body`},
			notWant: []string{"ends with"},
		},
		{
			name: "TruncatedJSON", body: strings.TrimSuffix(testBody, "}"), signature: header,
			want: []string{"body looks like JSON but does not parse", "made with this key, but over different bytes"},
		},
		{
			name: "CRLF", body: pretty, signature: signed(t, priv, strings.ReplaceAll(pretty, "\r\n", "\n")),
			want: []string{`body has \r\n (CRLF) line endings`, `line endings turned into \n`, "pretty-printed", "re-serialises differently"},
		},
		{
			name: "Compacted", body: strings.ReplaceAll(testBody, ",", ", "), signature: header,
			want:    []string{"with the JSON body compacted", "JSON with whitespace between tokens"},
			notWant: []string{"ends with"},
		},
		{
			name: "WrongPathSandbox", body: testBody, signature: signed(t, priv, testBody),
			args: []string{"--path", "/ams/api/v1/payments/pay"},
			want: []string{"starts with SANDBOX_", "with /ams/sandbox/api/ in the path"},
		},
		{
			name: "PathWithHost", body: testBody, signature: header,
			args: []string{"--path", "https://open-sea-global.alipay.com" + testPath},
			want: []string{"path includes the scheme and host", "with only the path of the URL"},
		},
		{
			name: "PathWithoutSlash", body: testBody, signature: header,
			args: []string{"--path", strings.TrimPrefix(testPath, "/")},
			want: []string{"path lacks the leading /", "with a leading / on the path"},
		},
		{
			name: "TimeReformatted", body: testBody, signature: header,
			args: []string{"--time", "2024-01-01 08:00:00"},
			want: []string{"has a space where ISO 8601 has T"},
		},
		{
			name: "TimeEpochSeconds", body: testBody, signature: header,
			args: []string{"--time", "1704067200"},
			want: []string{"looks like epoch seconds"},
		},
		{
			name: "Method", body: testBody, signature: header,
			args: []string{"--method", "post"},
			want: []string{`method "post": Antom signs POST`, "with method POST"},
		},
		{
			name: "WrongKey", body: testBody, signature: signed(t, otherPriv, testBody),
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
			want: []string{"Signature header value cannot be parsed", `keyVersion "one"`},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, c.body, verifyArgs(pub, c.signature, c.args...)...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1; stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			for _, want := range c.want {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("diagnosis does not contain %q:\n%s", want, r.stdout)
				}
			}
			for _, nw := range c.notWant {
				if strings.Contains(r.stdout, nw) {
					t.Errorf("diagnosis contains %q:\n%s", nw, r.stdout)
				}
			}
			checkNoSecret(t, priv, map[string]string{"stdout": r.stdout, "stderr": r.stderr})
		})
	}
}

// TestBareBase64Keys uses the keys as the single-line base64 DER the Antom
// dashboard and the official SDKs use.
func TestBareBase64Keys(t *testing.T) {
	priv, pub := genKeys(t)
	dir := t.TempDir()
	bare := func(file, name string) string {
		out := filepath.Join(dir, name)
		if err := os.WriteFile(out, []byte(strings.Join(pemBodyLines(t, file), "")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return out
	}
	privB64, pubB64 := bare(priv, "private.b64"), bare(pub, "public.b64")

	header := signed(t, privB64, testBody)
	if header != signed(t, priv, testBody) {
		t.Error("signatures with the PEM and the bare base64 private key differ")
	}
	r := runCLI(t, testBody, verifyArgs(pubB64, header)...)
	if r.code != 0 || r.stdout != "valid\n" {
		t.Fatalf("verify with bare base64 public key: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestNoPrivateKeyInOutput runs every path that touches a private key,
// including misuse, and checks that no output carries a line of it.
func TestNoPrivateKeyInOutput(t *testing.T) {
	priv, pub := genKeys(t)
	header := signed(t, priv, testBody)
	outputs := map[string]string{}
	record := func(name string, r result) {
		outputs[name+" stdout"] = r.stdout
		outputs[name+" stderr"] = r.stderr
	}
	record("sign", runCLI(t, testBody, signArgs(priv)...))
	record("verify private key as public key", runCLI(t, testBody, verifyArgs(priv, header)...))
	record("verify tampered", runCLI(t, testBody+"x", verifyArgs(pub, header)...))
	record("verify undecodable", runCLI(t, testBody, verifyArgs(pub, "%%%")...))
	record("sign missing flag", runCLI(t, testBody, "sign", "--private-key", priv))
	record("sign damaged key", func() result {
		data, _ := os.ReadFile(priv)
		damaged := filepath.Join(t.TempDir(), "damaged.pem")
		os.WriteFile(damaged, data[:len(data)/2], 0o600)
		return runCLI(t, testBody, signArgs(damaged)...)
	}())
	if !strings.Contains(outputs["verify private key as public key stderr"], "found a private key") {
		t.Errorf("verify with a private key: stderr %q, want it to say so", outputs["verify private key as public key stderr"])
	}
	checkNoSecret(t, priv, outputs)
}
