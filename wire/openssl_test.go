package wire_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

// opensslDir is a scratch directory holding the test key pair for the
// openssl command line tool.
type opensslDir struct {
	bin string
	dir string
}

// newOpenSSL skips the test when openssl is not installed, and otherwise
// returns a temporary directory with priv.pem (PKCS #8) and pub.pem (SPKI)
// of the main test key.
func newOpenSSL(t *testing.T) *opensslDir {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not on PATH: skipping the OpenSSL cross-checks (install OpenSSL 3 to run them)")
	}
	o := &opensslDir{bin: bin, dir: t.TempDir()}
	o.write(t, "priv.pem", readTestdata(t, keyPKCS8File))
	o.write(t, "pub.pem", readTestdata(t, pubSPKIFile))
	o.write(t, "cert.pem", readTestdata(t, certFile))
	return o
}

func (o *opensslDir) write(tb testing.TB, name string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(o.dir, name), data, 0o600); err != nil {
		tb.Fatal(err)
	}
}

func (o *opensslDir) read(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(o.dir, name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// run runs openssl with args in the scratch directory and returns its
// standard output. On failure it reports the command and openssl's
// standard error, which names files, never their contents.
func (o *opensslDir) run(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := o.try(t, args...)
	if err != nil {
		t.Fatalf("openssl %s: got error %v, want success", strings.Join(args, " "), err)
	}
	return out
}

func (o *opensslDir) try(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), o.bin, args...)
	cmd.Dir = o.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func TestOpenSSL(t *testing.T) {
	o := newOpenSSL(t)
	key := testKey(t)
	pub := &key.PublicKey
	sizes := []int{0, 1, 15, 16, 17, 1000, 65536}

	t.Run("OK/OurSignatureVerifiedByOpenSSL", func(t *testing.T) {
		for _, n := range sizes {
			content := randomBytes(t, n)
			v, err := wire.Sign(key, content)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := wire.DecodeSignature(v)
			if err != nil {
				t.Fatal(err)
			}
			o.write(t, "content.bin", content)
			o.write(t, "sig.bin", sig)
			out := o.run(t, "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", "content.bin")
			if got := strings.TrimSpace(string(out)); got != "Verified OK" {
				t.Fatalf("%d-byte content: got %q from openssl, want %q", n, got, "Verified OK")
			}
		}
	})
	t.Run("ErrOpenSSLRejectsAlteredContent", func(t *testing.T) {
		// Makes sure the check above can fail.
		content := randomBytes(t, 100)
		v, err := wire.Sign(key, content)
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := wire.DecodeSignature(v)
		content[0] ^= 1
		o.write(t, "content.bin", content)
		o.write(t, "sig.bin", sig)
		if out, err := o.try(t, "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", "content.bin"); err == nil {
			t.Fatalf("got success (%q) from openssl for altered content, want a verification failure", bytes.TrimSpace(out))
		}
	})
	t.Run("OK/OpenSSLSignatureVerifiedByUs", func(t *testing.T) {
		for _, n := range sizes {
			content := randomBytes(t, n)
			o.write(t, "content.bin", content)
			o.run(t, "dgst", "-sha256", "-sign", "priv.pem", "-out", "sig.bin", "content.bin")
			sig := o.read(t, "sig.bin")
			if err := wire.Verify(pub, content, wire.EncodeSignature(sig)); err != nil {
				t.Fatalf("%d-byte content: Verify(EncodeSignature(openssl signature)): got error %v, want nil", n, err)
			}
			b64 := strings.TrimSpace(string(o.run(t, "base64", "-A", "-in", "sig.bin")))
			if err := wire.Verify(pub, content, url.QueryEscape(b64)); err != nil {
				t.Fatalf("%d-byte content: Verify(url.QueryEscape(openssl base64)): got error %v, want nil", n, err)
			}
			if err := wire.Verify(pub, content, b64); err != nil {
				t.Fatalf("%d-byte content: Verify(openssl base64): got error %v, want nil", n, err)
			}
			// PKCS #1 v1.5 is deterministic: both tools give the same bytes.
			ours, err := wire.Sign(key, content)
			if err != nil {
				t.Fatal(err)
			}
			if want := wire.EncodeSignature(sig); ours != want {
				t.Fatalf("%d-byte content: got Sign %.24q…, want openssl's %.24q…", n, ours, want)
			}
		}
	})
	t.Run("OK/OpenSSLEnvelopeOpenedByUs", func(t *testing.T) {
		for _, n := range sizes {
			plaintext := randomBytes(t, n)
			o.write(t, "plain.bin", plaintext)
			o.run(t, "rand", "-out", "key.bin", "32")
			aesKey := hex.EncodeToString(o.read(t, "key.bin"))
			o.run(t, "pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-pkeyopt", "rsa_padding_mode:pkcs1",
				"-in", "key.bin", "-out", "wrapped.bin")
			o.run(t, "enc", "-aes-256-ecb", "-K", aesKey, "-in", "plain.bin", "-out", "ct.bin")
			body := bytes.TrimSpace(o.run(t, "base64", "-A", "-in", "ct.bin"))
			bodyLines := o.run(t, "base64", "-in", "ct.bin") // 64-column lines
			sym := strings.TrimSpace(string(o.run(t, "base64", "-A", "-in", "wrapped.bin")))
			for _, c := range []struct {
				name string
				body []byte
				sym  string
			}{
				{"URLEncodedKey", body, url.QueryEscape(sym)},
				{"RawBase64Key", body, sym},
				{"LineWrappedBody", bodyLines, url.QueryEscape(sym)},
			} {
				got, err := wire.RSAAES{}.Open(key, c.body, c.sym)
				if err != nil {
					t.Fatalf("%d bytes, %s: got error %v, want nil", n, c.name, err)
				}
				if !bytes.Equal(got, plaintext) {
					t.Fatalf("%d bytes, %s: got %d different bytes, want the plaintext", n, c.name, len(got))
				}
			}
		}
	})
	t.Run("OK/OurEnvelopeOpenedByOpenSSL", func(t *testing.T) {
		for _, n := range sizes {
			plaintext := randomBytes(t, n)
			body, sym, err := wire.RSAAES{}.Seal(pub, plaintext)
			if err != nil {
				t.Fatal(err)
			}
			rawSym, err := url.QueryUnescape(sym)
			if err != nil {
				t.Fatalf("url.QueryUnescape(symmetricKey): got error %v, want nil", err)
			}
			o.write(t, "body.b64", body)
			o.write(t, "sym.b64", []byte(rawSym))
			o.run(t, "base64", "-d", "-A", "-in", "body.b64", "-out", "ct.bin")
			o.run(t, "base64", "-d", "-A", "-in", "sym.b64", "-out", "wrapped.bin")
			o.run(t, "pkeyutl", "-decrypt", "-inkey", "priv.pem", "-pkeyopt", "rsa_padding_mode:pkcs1",
				"-in", "wrapped.bin", "-out", "key.bin")
			aesKey := o.read(t, "key.bin")
			if len(aesKey) != 32 {
				t.Fatalf("%d bytes: got a %d-byte content key from openssl, want 32", n, len(aesKey))
			}
			o.run(t, "enc", "-d", "-aes-256-ecb", "-K", hex.EncodeToString(aesKey), "-in", "ct.bin", "-out", "plain.bin")
			if got := o.read(t, "plain.bin"); !bytes.Equal(got, plaintext) {
				t.Fatalf("%d bytes: got %d different bytes from openssl, want the plaintext", n, len(got))
			}
		}
	})
	t.Run("OK/Fingerprint", func(t *testing.T) {
		want := wire.Fingerprint(pub)
		for _, c := range []struct {
			name string
			args []string
		}{
			{"PublicKey", []string{"pkey", "-pubin", "-in", "pub.pem", "-outform", "DER", "-out", "pub.der"}},
			{"PrivateKey", []string{"pkey", "-in", "priv.pem", "-pubout", "-outform", "DER", "-out", "pub.der"}},
			{"Certificate", []string{"x509", "-in", "cert.pem", "-noout", "-pubkey", "-out", "certpub.pem"}},
		} {
			o.run(t, c.args...)
			if c.name == "Certificate" {
				o.run(t, "pkey", "-pubin", "-in", "certpub.pem", "-outform", "DER", "-out", "pub.der")
			}
			out := string(o.run(t, "dgst", "-sha256", "-r", "pub.der")) // "<hex> *pub.der"
			sum, _, _ := strings.Cut(strings.TrimSpace(out), " ")
			if got := "SHA256:" + sum; got != want {
				t.Errorf("%s: got %s from openssl, want %s from wire.Fingerprint", c.name, got, want)
			}
		}
		// The exact pipeline from the Fingerprint documentation.
		if _, err := exec.LookPath("sha256sum"); err != nil {
			t.Log("sha256sum is not on PATH: the shell pipeline check is skipped")
			return
		}
		cmd := exec.CommandContext(t.Context(), "sh", "-c", `"$1" pkey -pubin -in pub.pem -outform DER | sha256sum`, "sh", o.bin)
		cmd.Dir = o.dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("openssl pkey -pubin -outform DER | sha256sum: got error %v, want success", err)
		}
		sum, _, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
		if got := "SHA256:" + sum; got != want {
			t.Errorf("pipeline: got %s, want %s from wire.Fingerprint", got, want)
		}
	})
}
