package sigcheck

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
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
	pssSig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, s256[:], nil)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name     string
		sig      []byte
		kind     BlockKind
		hash     string
		digest   []byte
		pss      bool
		contains string // in the finding
	}{
		{"SHA256", sign(crypto.SHA256, s256[:]), BlockSHA256, "SHA-256", s256[:], false, "please report"},
		{"SHA1", sign(crypto.SHA1, s1[:]), BlockOtherDigest, "SHA-1", s1[:], false, "valid SHA-1 signature of exactly this content"},
		{"SHA512", sign(crypto.SHA512, s512[:]), BlockOtherDigest, "SHA-512", s512[:], false, "with SHA-512 instead of SHA-256"},
		{"BareDigest", sign(0, s256[:]), BlockOtherDigest, "no DigestInfo", s256[:], false, "only the signing call is wrong"},
		{"OtherKey", otherSig, BlockNotThisKey, "", nil, false, "NOT made with this key"},
		{"PSS", pssSig, BlockNotThisKey, "", nil, true, "RSASSA-PSS"},
		{"Short", otherSig[:128], BlockWrongLength, "", nil, false, "made with a 1024-bit key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := openSignature(&key.PublicKey, c.sig)
			if b.Kind != c.kind || b.PSS != c.pss {
				t.Fatalf("kind = %v (pss %v), want %v (pss %v)", b.Kind, b.PSS, c.kind, c.pss)
			}
			if c.hash != "" && b.Hash != c.hash {
				t.Errorf("hash = %q, want %q", b.Hash, c.hash)
			}
			if !bytes.Equal(b.Digest, c.digest) {
				t.Errorf("digest = %x, want %x", b.Digest, c.digest)
			}
			if text, _ := finding(Input{Key: &key.PublicKey}, c.sig, b, content); !strings.Contains(text, c.contains) {
				t.Errorf("finding = %q, want it to contain %q", text, c.contains)
			}
		})
	}
}
