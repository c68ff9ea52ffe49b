package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

// genKeys runs "keys generate" into a fresh directory and returns the two
// file names.
func genKeys(tb testing.TB) (priv, pub string) {
	tb.Helper()
	dir := tb.TempDir()
	priv, pub = filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.pem")
	r := runCLI(tb, "", "keys", "generate", "--private-out", priv, "--public-out", pub)
	if r.code != 0 {
		tb.Fatalf("keys generate: exit %d, stderr %q", r.code, r.stderr)
	}
	return priv, pub
}

// pemBodyLines returns the base64 lines of the PEM file: the key material
// that must never appear in any output.
func pemBodyLines(tb testing.TB, file string) []string {
	tb.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			lines = append(lines, l)
		}
	}
	return lines
}

// checkNoSecret fails if any line of the private key's PEM body appears in
// the outputs. It names the output, never the line.
func checkNoSecret(tb testing.TB, privFile string, outputs map[string]string) {
	tb.Helper()
	for _, line := range pemBodyLines(tb, privFile) {
		for name, out := range outputs {
			if strings.Contains(out, line) {
				tb.Errorf("%s contains a line of the private key", name)
			}
		}
	}
}

func mode(tb testing.TB, file string) os.FileMode {
	tb.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestKeysGenerate(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.pem")
	r := runCLI(t, "", "keys", "generate", "--private-out", priv, "--public-out", pub)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if m := mode(t, priv); m != 0o600 {
		t.Errorf("private key mode = %#o, want 0600", m)
	}
	if m := mode(t, pub); m != 0o644 {
		t.Errorf("public key mode = %#o, want 0644", m)
	}

	privPEM, _ := os.ReadFile(priv)
	block, rest := pem.Decode(privPEM)
	if block == nil || block.Type != "PRIVATE KEY" || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("private key file is not one PEM \"PRIVATE KEY\" block")
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		t.Fatalf("private key is not PKCS #8: %v", err)
	}
	pubPEM, _ := os.ReadFile(pub)
	block, _ = pem.Decode(pubPEM)
	if block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("public key file is not a PEM \"PUBLIC KEY\" block")
	}
	if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
		t.Fatalf("public key is not SPKI: %v", err)
	}

	key, err := wire.ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatalf("wire.ParsePrivateKey: %v", err)
	}
	pubKey, err := wire.ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatalf("wire.ParsePublicKey: %v", err)
	}
	if bits := key.N.BitLen(); bits != 2048 {
		t.Errorf("key size = %d bits, want 2048", bits)
	}
	if !pubKey.Equal(&key.PublicKey) {
		t.Error("public key file does not hold the public half of the private key")
	}
	if want := "fingerprint: " + wire.Fingerprint(pubKey) + "\n"; !strings.Contains(r.stdout, want) {
		t.Errorf("stdout = %q, want it to contain %q", r.stdout, want)
	}
	checkNoSecret(t, priv, map[string]string{"stdout": r.stdout, "stderr": r.stderr})
}

func TestKeysGenerateRefusesOverwrite(t *testing.T) {
	priv, pub := genKeys(t)
	before, _ := os.ReadFile(priv)
	other := filepath.Join(filepath.Dir(priv), "other.pem")

	for _, args := range [][]string{
		{"--private-out", priv, "--public-out", pub},
		{"--private-out", priv, "--public-out", other}, // only the private key exists
		{"--private-out", other, "--public-out", pub},  // only the public key exists
	} {
		r := runCLI(t, "", append([]string{"keys", "generate"}, args...)...)
		if r.code != 1 {
			t.Errorf("keys generate %q over existing files: exit %d, want 1", args, r.code)
		}
		if !strings.Contains(r.stderr, "already exists; use --force") {
			t.Errorf("stderr = %q, want it to say the file exists", r.stderr)
		}
		if _, err := os.Stat(other); err == nil {
			t.Errorf("keys generate %q wrote %s although it refused", args, other)
		}
	}
	if after, _ := os.ReadFile(priv); string(after) != string(before) {
		t.Fatal("the existing private key was changed")
	}

	// --force replaces, and the private key is 0600 even where the old
	// file was more open.
	if err := os.Chmod(priv, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "keys", "generate", "--private-out", priv, "--public-out", pub, "--force")
	if r.code != 0 {
		t.Fatalf("keys generate --force: exit %d, stderr %q", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(priv); string(after) == string(before) {
		t.Error("--force did not replace the private key")
	}
	if m := mode(t, priv); m != 0o600 {
		t.Errorf("private key mode after --force = %#o, want 0600", m)
	}
	if m := mode(t, pub); m != 0o644 {
		t.Errorf("public key mode after --force = %#o, want 0644", m)
	}
	entries, _ := os.ReadDir(filepath.Dir(priv))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
