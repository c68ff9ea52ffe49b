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
	"slices"
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
		contains []string // in the finding
	}{
		{"SHA256", sign(crypto.SHA256, s256[:]), BlockSHA256, "SHA-256", s256[:], []string{"please report"}},
		{"SHA1", sign(crypto.SHA1, s1[:]), BlockOtherDigest, "SHA-1", s1[:], []string{"valid SHA-1 signature of exactly this content"}},
		{"SHA512", sign(crypto.SHA512, s512[:]), BlockOtherDigest, "SHA-512", s512[:], []string{"with SHA-512 instead of SHA-256"}},
		{"BareDigest", sign(0, s256[:]), BlockOtherDigest, "no DigestInfo", s256[:], []string{"only the signing call is wrong"}},
		{"OtherKey", otherSig, BlockNotThisKey, "", nil, []string{"NOT made with this key"}},
		// Go's and Python's usual salt (as long as possible), Java's (the
		// hash's length), SHA-1 PSS, and PSS over other content. The hash
		// and salt are checked in the finding, which picks among the
		// block's readings the one that verifies (see openPSS).
		{"PSSMaxSalt", pss(crypto.SHA256, s256[:], rsa.PSSSaltLengthAuto), BlockPSS, "", nil,
			[]string{"(SHA-256, 222-byte salt) instead of PKCS #1 v1.5", "valid SHA-256 PSS signature of exactly this content"}},
		{"PSSHashSalt", pss(crypto.SHA256, s256[:], rsa.PSSSaltLengthEqualsHash), BlockPSS, "", nil,
			[]string{"(SHA-256, 32-byte salt) instead of PKCS #1 v1.5", "valid SHA-256 PSS signature of exactly this content"}},
		{"PSSSHA1", pss(crypto.SHA1, s1[:], 20), BlockPSS, "", nil,
			[]string{"(SHA-1, 20-byte salt)", "valid SHA-1 PSS signature of exactly this content"}},
		{"PSSOtherContent", pss(crypto.SHA256, elsewhere[:], 32), BlockPSS, "", nil,
			[]string{"(SHA-256, 32-byte salt)", "must use SHA256withRSA, not RSASSA-PSS"}},
		{"Short", otherSig[:128], BlockWrongLength, "", nil, []string{"made with a 1024-bit key"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := openSignature(&key.PublicKey, c.sig)
			if b.Kind != c.kind {
				t.Fatalf("kind = %v, want %v", b.Kind, c.kind)
			}
			if c.hash != "" && b.Hash != c.hash {
				t.Errorf("hash = %q, want %q", b.Hash, c.hash)
			}
			if !bytes.Equal(b.Digest, c.digest) {
				t.Errorf("digest = %x, want %x", b.Digest, c.digest)
			}
			text, _ := finding(Input{Key: &key.PublicKey}, c.sig, b, content)
			for _, want := range c.contains {
				if !strings.Contains(text, want) {
					t.Errorf("finding = %q, want it to contain %q", text, want)
				}
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

// encodePSS is EMSA-PSS-ENCODE (RFC 8017, 9.1.1) with a given salt.
func encodePSS(h crypto.Hash, mHash, salt []byte, emBits int) []byte {
	emLen := (emBits + 7) / 8
	d := h.New()
	d.Write(make([]byte, 8))
	d.Write(mHash)
	d.Write(salt)
	hh := d.Sum(nil)
	db := make([]byte, emLen-len(hh)-1)
	db[len(db)-len(salt)-1] = 0x01
	copy(db[len(db)-len(salt):], salt)
	mask := mgf1(h, hh, len(db))
	for i := range db {
		db[i] ^= mask[i]
	}
	db[0] &= byte(0xff >> (8*emLen - emBits))
	return append(append(db, hh...), 0xbc)
}

// TestOpenPSSPicksTheHash: a SHA-1 PSS block also reads as PSS with another
// hash about 1 time in 43. Among 2,000 SHA-1 encodings of one content with
// fixed salts, each reading must include SHA-1 with the right salt, the
// 20-byte salts must come first, and for a block whose first reading is
// the wrong hash, the finding must still name SHA-1 by verifying the
// content.
func TestOpenPSSPicksTheHash(t *testing.T) {
	key := testKey()
	content := []byte("POST /p\nC.T.{}")
	mHash := sha1.Sum(content)
	const emBits = 2047
	var misread []byte // an encoding whose first reading is not SHA-1
	ambiguous := 0
	for i := range 2000 {
		saltLen := 20
		if i%2 == 1 {
			saltLen = 256 - 20 - 2 // as long as possible
		}
		salt := make([]byte, saltLen)
		for j := range salt {
			salt[j] = byte(i*31 + j*7 + i>>8)
		}
		binary.BigEndian.PutUint32(salt, uint32(i))
		em := encodePSS(crypto.SHA1, mHash[:], salt, emBits)
		readings := openPSS(2048, em)
		if len(readings) > 1 {
			ambiguous++
		}
		if !slices.ContainsFunc(readings, func(b Block) bool { return b.Hash == "SHA-1" && b.SaltLen == saltLen }) {
			t.Fatalf("encoding %d (salt %d) reads as %+v, want SHA-1 salt %d among them", i, saltLen, readings, saltLen)
		}
		if saltLen == 20 && readings[0].Hash != "SHA-1" {
			t.Fatalf("encoding %d (salt 20) reads first as %s salt %d", i, readings[0].Hash, readings[0].SaltLen)
		}
		if misread == nil && readings[0].Hash != "SHA-1" {
			misread = em
		}
	}
	t.Logf("%d of 2,000 SHA-1 encodings also read as another hash", ambiguous)
	if misread == nil {
		t.Fatal("no encoding read first as another hash: the test no longer covers the finding's choice")
	}
	// Sign the encoding with the raw private key operation: s = m^d mod n.
	sig := new(big.Int).Exp(new(big.Int).SetBytes(misread), key.D, key.N).FillBytes(make([]byte, key.Size()))
	b := openSignature(&key.PublicKey, sig)
	if b.Kind != BlockPSS || b.Hash == "SHA-1" {
		t.Fatalf("block = %v %s, want PSS first read as another hash", b.Kind, b.Hash)
	}
	text, _ := finding(Input{Key: &key.PublicKey}, sig, b, content)
	if want := "(SHA-1, 234-byte salt)"; !strings.Contains(text, want) || !strings.Contains(text, "valid SHA-1 PSS signature of exactly this content") {
		t.Fatalf("finding = %q, want %s and a valid SHA-1 PSS signature", text, want)
	}
}
