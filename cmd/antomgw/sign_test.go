package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

const (
	testClientID = "SANDBOX_5X00000000000000"
	testTime     = "2024-01-01T08:00:00.000+08:00"
	testPath     = "/ams/sandbox/api/v1/payments/pay"
	testBody     = `{"paymentRequestId":"REQ_20240101_0001","paymentAmount":{"currency":"USD","value":"100"}}`
)

// signArgs returns the sign arguments for the test request.
func signArgs(priv string, extra ...string) []string {
	return append([]string{"sign", "--private-key", priv, "--client-id", testClientID, "--time", testTime, "--path", testPath}, extra...)
}

// signatureValue returns the signature= part of a header line printed by
// sign.
func signatureValue(tb testing.TB, line string) string {
	tb.Helper()
	h, err := wire.ParseSignatureHeader(strings.TrimSuffix(line, "\n"))
	if err != nil {
		tb.Fatalf("sign output %q: %v", line, err)
	}
	return h.Signature
}

// TestSignMatchesOpenSSL checks sign byte for byte against OpenSSL for a
// fresh key and a random body.
func TestSignMatchesOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not on PATH: cannot cross-check signatures against it")
	}
	priv, _ := genKeys(t)
	dir := t.TempDir()

	n, _ := rand.Int(rand.Reader, big.NewInt(2000))
	body := make([]byte, n.Int64()+1)
	rand.Read(body)
	body = append(body, '\n') // and a trailing newline that must be kept
	bodyFile := filepath.Join(dir, "body.bin")
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		t.Fatal(err)
	}
	path := testPath + "?a=1&b=%2F"

	r := runCLI(t, "", signArgs(priv, "--path", path, "--body-file", bodyFile)...)
	if r.code != 0 {
		t.Fatalf("sign: exit %d, stderr %q", r.code, r.stderr)
	}

	contentFile := filepath.Join(dir, "content.bin")
	content := wire.SigningContent("POST", path, testClientID, testTime, body)
	if err := os.WriteFile(contentFile, content, 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(openssl, "dgst", "-sha256", "-sign", priv, contentFile)
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl dgst: %v; stderr %q", err, stderr.String())
	}
	want := url.QueryEscape(base64.StdEncoding.EncodeToString(raw))
	if got := signatureValue(t, r.stdout); got != want {
		t.Errorf("signature = %q\nopenssl   = %q", got, want)
	}
	if wantLine := "algorithm=RSA256,keyVersion=1,signature=" + want + "\n"; r.stdout != wantLine {
		t.Errorf("stdout = %q, want %q", r.stdout, wantLine)
	}
}

func TestSignOutput(t *testing.T) {
	priv, _ := genKeys(t)
	r := runCLI(t, testBody, signArgs(priv, "--key-version", "3")...)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "algorithm=RSA256,keyVersion=3,signature=") || strings.Count(r.stdout, "\n") != 1 || !strings.HasSuffix(r.stdout, "\n") {
		t.Errorf("stdout = %q, want one line algorithm=RSA256,keyVersion=3,signature=...", r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("stderr = %q, want empty for well-formed inputs", r.stderr)
	}
	sig := signatureValue(t, r.stdout)
	if strings.ContainsAny(sig, "+/= ") {
		t.Errorf("signature %q is not URL-encoded", sig)
	}
}

// TestSignBodyByteExact checks that stdin and --body-file give the same
// signature and that a trailing newline is signed, not trimmed.
func TestSignBodyByteExact(t *testing.T) {
	priv, _ := genKeys(t)
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(bodyFile, []byte(testBody+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile := runCLI(t, "", signArgs(priv, "--body-file", bodyFile)...)
	fromStdin := runCLI(t, testBody+"\n", signArgs(priv)...)
	fromDash := runCLI(t, testBody+"\n", signArgs(priv, "--body-file", "-")...)
	noNewline := runCLI(t, testBody, signArgs(priv)...)
	for _, r := range []result{fromFile, fromStdin, fromDash, noNewline} {
		if r.code != 0 {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
	}
	if fromFile.stdout != fromStdin.stdout || fromFile.stdout != fromDash.stdout {
		t.Errorf("--body-file and stdin signatures differ:\n%s%s%s", fromFile.stdout, fromStdin.stdout, fromDash.stdout)
	}
	if noNewline.stdout == fromStdin.stdout {
		t.Error("the trailing newline of the body was not signed")
	}
}

func TestSignWarnings(t *testing.T) {
	priv, _ := genKeys(t)
	r := runCLI(t, testBody, signArgs(priv, "--path", "ams/api/v1/payments/pay", "--time", "2024-01-01 08:00:00")...)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{"does not start with '/'", "neither epoch milliseconds nor ISO 8601"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr = %q, want a warning containing %q", r.stderr, want)
		}
	}
	if !strings.HasPrefix(r.stdout, "algorithm=RSA256,") {
		t.Errorf("stdout = %q, want only the header value", r.stdout)
	}
}

func TestSignKeyErrors(t *testing.T) {
	priv, pub := genKeys(t)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for _, c := range []struct {
		key, want string
	}{
		{missing, "read private key"},
		{pub, "found a public key"},
	} {
		r := runCLI(t, testBody, signArgs(c.key)...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) || r.stdout != "" {
			t.Errorf("sign --private-key %s: exit %d, stdout %q, stderr %q; want exit 1 and %q", filepath.Base(c.key), r.code, r.stdout, r.stderr, c.want)
		}
		checkNoSecret(t, priv, map[string]string{"stdout": r.stdout, "stderr": r.stderr})
	}
}
