package sigcheck

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"math/big"
	mrand "math/rand/v2"
	"strings"
	"testing"
)

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
	otherSig, _ := rsa.SignPKCS1v15(nil, otherKey(), crypto.SHA256, s256[:])
	pss := func(h crypto.Hash, digest []byte, salt int) []byte {
		sig, err := rsa.SignPSS(rand.Reader, key, h, digest, &rsa.PSSOptions{SaltLength: salt, Hash: h})
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	elsewhere := sha256.Sum256([]byte("POST /q\nC.T.{}"))

	for _, c := range []struct {
		name     string
		sig      []byte
		kind     BlockKind
		hash     string
		digest   []byte
		salt     int
		contains string // in the finding
	}{
		{"SHA256", sign(crypto.SHA256, s256[:]), BlockSHA256, "SHA-256", s256[:], 0, "please report"},
		{"SHA1", sign(crypto.SHA1, s1[:]), BlockOtherDigest, "SHA-1", s1[:], 0, "valid SHA-1 signature of exactly this content"},
		{"SHA512", sign(crypto.SHA512, s512[:]), BlockOtherDigest, "SHA-512", s512[:], 0, "with SHA-512 instead of SHA-256"},
		{"BareDigest", sign(0, s256[:]), BlockOtherDigest, "no DigestInfo", s256[:], 0, "only the signing call is wrong"},
		{"OtherKey", otherSig, BlockNotThisKey, "", nil, 0, "NOT made with this key"},
		// Go's and Python's usual salt (as long as possible), Java's (the
		// hash's length), SHA-1 PSS, and PSS over other content.
		{"PSSMaxSalt", pss(crypto.SHA256, s256[:], rsa.PSSSaltLengthAuto), BlockPSS, "SHA-256", nil, 256 - 32 - 2, "valid SHA-256 PSS signature of exactly this content"},
		{"PSSHashSalt", pss(crypto.SHA256, s256[:], rsa.PSSSaltLengthEqualsHash), BlockPSS, "SHA-256", nil, 32, "(SHA-256, 32-byte salt) instead of PKCS #1 v1.5"},
		{"PSSSHA1", pss(crypto.SHA1, s1[:], 20), BlockPSS, "SHA-1", nil, 20, "valid SHA-1 PSS signature of exactly this content"},
		{"PSSOtherContent", pss(crypto.SHA256, elsewhere[:], 32), BlockPSS, "SHA-256", nil, 32, "must use SHA256withRSA, not RSASSA-PSS"},
		{"Short", otherSig[:128], BlockWrongLength, "", nil, 0, "made with a 1024-bit key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := openSignature(&key.PublicKey, c.sig)
			if b.Kind != c.kind || b.SaltLen != c.salt {
				t.Fatalf("kind = %v (salt %d), want %v (salt %d)", b.Kind, b.SaltLen, c.kind, c.salt)
			}
			if c.hash != "" && b.Hash != c.hash {
				t.Errorf("hash = %q, want %q", b.Hash, c.hash)
			}
			if !bytes.Equal(b.Digest, c.digest) {
				t.Errorf("digest = %x, want %x", b.Digest, c.digest)
			}
			text, _ := finding(Input{Key: &key.PublicKey}, c.sig, b, content)
			if !strings.Contains(text, c.contains) {
				t.Errorf("finding = %q, want it to contain %q", text, c.contains)
			}
			if c.name == "PSSOtherContent" && strings.Contains(text, "exactly this content") {
				t.Errorf("finding = %q, says the PSS signature is of this content", text)
			}
		})
	}
}

// TestOpenPSSShortEncoding covers a modulus of 8n+1 bits, where the PSS
// encoding is one byte shorter than the signature (RFC 8017, 9.1.1).
func TestOpenPSSShortEncoding(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1033)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("POST /p\nC.T.{}"))
	sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	if b := openSignature(&key.PublicKey, sig); b.Kind != BlockPSS || b.Hash != "SHA-256" || b.SaltLen != 32 {
		t.Fatalf("block = %v %s salt %d, want PSS SHA-256 salt 32", b.Kind, b.Hash, b.SaltLen)
	}
}

// TestOpenPSSRandomBlocks opens 10,000 random values below the modulus, as a
// signature by another key looks to this one. About 1 in 13,000 random
// blocks passes for PSS; the 0xbc trailer alone would pass 1 in 256. The
// values come from a fixed seed, so the test is deterministic.
func TestOpenPSSRandomBlocks(t *testing.T) {
	key := &testKey().PublicKey
	rng := mrand.New(mrand.NewChaCha8([32]byte{'s', 'i', 'g', 'c', 'h', 'e', 'c', 'k'}))
	sig := make([]byte, key.Size())
	const n = 10000
	pssLike, trailer := 0, 0
	for range n {
		for i := 0; i < len(sig); i += 8 {
			binary.BigEndian.PutUint64(sig[i:], rng.Uint64())
		}
		sig[0] &= 0x7f // below the modulus, whose top bit is set
		b := openSignature(key, sig)
		switch b.Kind {
		case BlockPSS:
			pssLike++
		case BlockNotThisKey:
		default:
			t.Fatalf("a random value opened as %v", b.Kind)
		}
		em := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(key.E)), key.N)
		if byte(em.Uint64()) == 0xbc {
			trailer++
		}
	}
	t.Logf("%d of %d random blocks end in 0xbc, %d pass for PSS", trailer, n, pssLike)
	if trailer < 10 || pssLike > 3 {
		t.Fatalf("%d of %d random blocks end in 0xbc and %d pass for PSS, want about 39 and 0.8", trailer, n, pssLike)
	}
}
