package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/sigcheck"
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

// TestVerifyPassesInputs checks that verify hands every flag and the body
// to the signature debugger unchanged: its stdout is sigcheck's text for
// the same inputs. The diagnosis itself (causes, findings, variants) is
// tested in internal/sigcheck.
func TestVerifyPassesInputs(t *testing.T) {
	priv, pub := genKeys(t)
	header := signed(t, priv, testBody)
	key, err := loadPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(bodyFile, []byte(testBody+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		stdin  string
		args   []string
		change func(*sigcheck.Input) // from the test request with stdin as body
	}{
		{"Stdin", testBody + " ", nil, nil},
		{"BodyFile", "ignored", []string{"--body-file", bodyFile}, func(in *sigcheck.Input) { in.Body = []byte(testBody + "\n") }},
		{"Method", testBody, []string{"--method", "post"}, func(in *sigcheck.Input) { in.Method = "post" }},
		{"Path", testBody, []string{"--path", "/ams/api/v1/payments/pay"}, func(in *sigcheck.Input) { in.URI = "/ams/api/v1/payments/pay" }},
		{"ClientID", testBody, []string{"--client-id", " " + testClientID}, func(in *sigcheck.Input) { in.ClientID = " " + testClientID }},
		{"Time", testBody, []string{"--time", "1704067200"}, func(in *sigcheck.Input) { in.Time = "1704067200" }},
		{"SignatureValue", testBody + "\n", []string{"--signature", signatureValue(t, header)}, func(in *sigcheck.Input) { in.Signature = signatureValue(t, header) }},
		{"Undecodable", testBody, []string{"--signature", "%%%"}, func(in *sigcheck.Input) { in.Signature = "%%%" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, c.stdin, verifyArgs(pub, header, c.args...)...)
			if r.code != 1 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q; want 1 and nothing on stderr", r.code, r.stderr)
			}
			in := sigcheck.Input{Method: "POST", URI: testPath, ClientID: testClientID, Time: testTime,
				Body: []byte(c.stdin), Signature: header, Key: key}
			if c.change != nil {
				c.change(&in)
			}
			var want strings.Builder
			if err := sigcheck.Diagnose(in).WriteText(&want); err != nil {
				t.Fatal(err)
			}
			if r.stdout != want.String() {
				t.Errorf("stdout:\n%s\nwant sigcheck's text:\n%s", r.stdout, want.String())
			}
			checkNoSecret(t, priv, map[string]string{"stdout": r.stdout})
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
