package wire_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"math/big"
	"sync"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

// The tests in this file hold Sign and Verify to crypto/rsa whatever does
// their RSA operation: crypto/rsa in the default build, the system's
// libcrypto with -tags openssl (sign_openssl.go). They run in every build.

// backendKey is a named private key the backend tests sign with.
type backendKey struct {
	name string
	key  *rsa.PrivateKey
}

// backendKeys returns the testdata keys, the vectors' key, a freshly
// generated 2048-bit key and a 1024-bit one (under wire's minimum, which
// the libcrypto build leaves to crypto/rsa); a 3072-bit one too unless
// -short.
func backendKeys(t *testing.T) []backendKey {
	t.Helper()
	v := loadVectors(t)
	vkey, err := wire.ParsePrivateKey([]byte(v.PrivateKeyPKCS8Base64))
	if err != nil {
		t.Fatalf("ParsePrivateKey(vectors): got error %v, want nil", err)
	}
	keys := []backendKey{{"Test", testKey(t)}, {"Other", otherKey(t)}, {"VectorsKey", vkey}}
	bits := []int{2048, 1024}
	if !testing.Short() {
		bits = append(bits, 3072)
	}
	for _, n := range bits {
		k, err := rsa.GenerateKey(rand.Reader, n)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, backendKey{fmt.Sprintf("Generated%d", n), k})
	}
	return keys
}

// stdSign is the Signature value crypto/rsa gives for content.
func stdSign(tb testing.TB, key *rsa.PrivateKey, content []byte) string {
	tb.Helper()
	digest := sha256.Sum256(content)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	if err != nil {
		tb.Fatalf("rsa.SignPKCS1v15: got error %v, want nil", err)
	}
	return wire.EncodeSignature(sig)
}

// TestSignAsCryptoRSA: Sign gives crypto/rsa's bytes for every key and
// content (PKCS #1 v1.5 is deterministic), the vectors' signatures among
// them, and Verify accepts them.
func TestSignAsCryptoRSA(t *testing.T) {
	v := loadVectors(t)
	contents := [][]byte{nil, []byte("x"), []byte(v.RequestContent), []byte(v.ResponseContent), benchContent(), randomBytes(t, 65536)}
	for _, k := range backendKeys(t) {
		t.Run("OK/"+k.name, func(t *testing.T) {
			for i, content := range contents {
				got, err := wire.Sign(k.key, content)
				if err != nil {
					t.Fatalf("content %d: Sign: got error %v, want nil", i, err)
				}
				if want := stdSign(t, k.key, content); got != want {
					t.Fatalf("content %d (%d bytes): got Sign %.24q…, want crypto/rsa's %.24q…", i, len(content), got, want)
				}
				if err := wire.Verify(&k.key.PublicKey, content, got); err != nil {
					t.Fatalf("content %d: Verify(Sign): got error %v, want nil", i, err)
				}
			}
		})
	}
	t.Run("OK/VectorSignatures", func(t *testing.T) {
		key, err := wire.ParsePrivateKey([]byte(v.PrivateKeyPKCS8Base64))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ content, want string }{
			{v.RequestContent, v.RequestSignatureURLEncoded},
			{v.ResponseContent, v.ResponseSignatureURLEncoded},
		} {
			got, err := wire.Sign(key, []byte(c.content))
			if err != nil {
				t.Fatal(err)
			}
			if std := stdSign(t, key, []byte(c.content)); got != c.want || std != c.want {
				t.Fatalf("got Sign %.24q… and crypto/rsa %.24q…, want the vector's %.24q…", got, std, c.want)
			}
		}
	})
}

// TestVerifyAsCryptoRSA: Verify accepts what crypto/rsa accepts and
// refuses with exactly ErrSignature what it refuses: altered content, and
// signatures altered in every way that decodes (a flipped bit anywhere,
// too short, too long, zero, one, the modulus and above, all ones).
func TestVerifyAsCryptoRSA(t *testing.T) {
	content := benchContent()
	for _, k := range backendKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			pub := &k.key.PublicKey
			digest := sha256.Sum256(content)
			sig, err := rsa.SignPKCS1v15(nil, k.key, crypto.SHA256, digest[:])
			if err != nil {
				t.Fatal(err)
			}
			size := len(sig)
			type altered struct {
				name string
				sig  []byte
			}
			cases := []altered{
				{"Truncated", sig[:size-1]},
				{"LeadingZero", append([]byte{0}, sig...)},
				{"Appended", append(bytes.Clone(sig), 0)},
				{"Zero", make([]byte, size)},
				{"One", new(big.Int).SetInt64(1).FillBytes(make([]byte, size))},
				{"Modulus", pub.N.FillBytes(make([]byte, size))},
				{"AllOnes", bytes.Repeat([]byte{0xff}, size)},
			}
			// The signature plus the modulus: the same value mod N.
			if x := new(big.Int).Add(pub.N, new(big.Int).SetBytes(sig)); x.BitLen() <= 8*size {
				cases = append(cases, altered{"PlusModulus", x.FillBytes(make([]byte, size))})
			}
			for _, i := range []int{0, 1, size / 2, size - 2, size - 1} {
				for _, bit := range []byte{0x01, 0x80} {
					s := bytes.Clone(sig)
					s[i] ^= bit
					cases = append(cases, altered{fmt.Sprintf("Byte%dBit%02x", i, bit), s})
				}
			}
			if err := wire.Verify(pub, content, wire.EncodeSignature(sig)); err != nil {
				t.Fatalf("OK: got error %v, want nil", err)
			}
			if err := wire.Verify(pub, append(bytes.Clone(content), '.'), wire.EncodeSignature(sig)); err != wire.ErrSignature {
				t.Errorf("ErrSignature/AlteredContent: got error %v, want exactly wire.ErrSignature", err)
			}
			for _, c := range cases {
				if std := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], c.sig); std == nil {
					t.Fatalf("%s: crypto/rsa accepts it; the case is wrong", c.name)
				}
				if err := wire.Verify(pub, content, wire.EncodeSignature(c.sig)); err != wire.ErrSignature {
					t.Errorf("ErrSignature/%s: got error %v, want exactly wire.ErrSignature", c.name, err)
				}
			}
		})
	}
}

// TestSignConcurrent signs and verifies with several keys from many
// goroutines at once (run it with -race too): every signature is
// crypto/rsa's.
func TestSignConcurrent(t *testing.T) {
	keys := []*rsa.PrivateKey{testKey(t), otherKey(t)}
	v := loadVectors(t)
	vkey, err := wire.ParsePrivateKey([]byte(v.PrivateKeyPKCS8Base64))
	if err != nil {
		t.Fatal(err)
	}
	keys = append(keys, vkey)
	const goroutines, rounds = 12, 8
	contents := make([][]byte, goroutines)
	want := make([][]string, goroutines) // by goroutine, then key
	for g := range contents {
		contents[g] = wire.SigningContent("POST", "/ams/api/v1/payments/pay", "C1", "1704067200000", fmt.Appendf(nil, `{"g":%d}`, g))
		for _, k := range keys {
			want[g] = append(want[g], stdSign(t, k, contents[g]))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for r := range rounds {
				i := (g + r) % len(keys)
				got, err := wire.Sign(keys[i], contents[g])
				if err == nil && got != want[g][i] {
					err = fmt.Errorf("goroutine %d, key %d: got Sign %.24q…, want crypto/rsa's %.24q…", g, i, got, want[g][i])
				}
				if err == nil {
					err = wire.Verify(&keys[i].PublicKey, contents[g], got)
				}
				if err == nil && wire.Verify(&keys[(i+1)%len(keys)].PublicKey, contents[g], got) != wire.ErrSignature {
					err = fmt.Errorf("goroutine %d, key %d: another key verifies the signature", g, i)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSignKeyOverwritten: a key struct overwritten with another key signs
// with the new key. Keys are not meant to change after use (the libcrypto
// build caches its copy by key pointer), but one that does must not sign
// with the old key.
func TestSignKeyOverwritten(t *testing.T) {
	a, b := testKey(t), otherKey(t)
	content := benchContent()
	k := new(rsa.PrivateKey)
	*k = *a
	if got, want := mustSign(t, k, content), stdSign(t, a, content); got != want {
		t.Fatalf("first key: got %.24q…, want %.24q…", got, want)
	}
	if err := wire.Verify(&k.PublicKey, content, stdSign(t, a, content)); err != nil {
		t.Fatalf("first key: Verify: got error %v, want nil", err)
	}
	*k = *b
	if got, want := mustSign(t, k, content), stdSign(t, b, content); got != want {
		t.Fatalf("overwritten key: got %.24q…, want the new key's %.24q…", got, want)
	}
	if err := wire.Verify(&k.PublicKey, content, stdSign(t, a, content)); err != wire.ErrSignature {
		t.Fatalf("overwritten key: Verify(old key's signature): got error %v, want exactly wire.ErrSignature", err)
	}
	if err := wire.Verify(&k.PublicKey, content, stdSign(t, b, content)); err != nil {
		t.Fatalf("overwritten key: Verify(new key's signature): got error %v, want nil", err)
	}
}

func mustSign(tb testing.TB, key *rsa.PrivateKey, content []byte) string {
	tb.Helper()
	v, err := wire.Sign(key, content)
	if err != nil {
		tb.Fatalf("Sign: got error %v, want nil", err)
	}
	return v
}
