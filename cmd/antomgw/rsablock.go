package main

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"math/big"
)

// blockKind is what the RSA block inside a signature says about it.
type blockKind int

const (
	// blockWrongLength: the signature is not as long as the key's modulus.
	blockWrongLength blockKind = iota
	// blockNotThisKey: the block is not PKCS #1 v1.5 padding. The
	// signature was made with another key, or was damaged on the way.
	blockNotThisKey
	// blockSHA256: a PKCS #1 v1.5 SHA-256 block; digest is the SHA-256 of
	// the content that was signed. The key is right, the content differs.
	blockSHA256
	// blockOtherDigest: a PKCS #1 v1.5 block around another digest
	// (SHA-1, SHA-512 ...); the key is right, the hash is wrong.
	blockOtherDigest
)

// signatureBlock is what "RSA-decrypting" a signature with the public key
// reveals. Everything in it is public: the digest of the signed content.
type signatureBlock struct {
	kind   blockKind
	digest []byte // blockSHA256, blockOtherDigest
	hash   string // blockOtherDigest: "SHA-1", "SHA-512", ...
	// pss is set when a non-PKCS #1 v1.5 block ends in 0xbc, the trailer of
	// RSASSA-PSS (1 chance in 256 for a random block).
	pss bool
}

// digestInfoPrefixes are the DER DigestInfo prefixes of RFC 8017, 9.2.
var digestInfoPrefixes = []struct {
	hash   string
	prefix []byte
	size   int
}{
	{"SHA-256", []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}, 32},
	{"SHA-1", []byte{0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14}, 20},
	{"SHA-224", []byte{0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c}, 28},
	{"SHA-384", []byte{0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30}, 48},
	{"SHA-512", []byte{0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40}, 64},
	{"MD5", []byte{0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05, 0x00, 0x04, 0x10}, 16},
}

// openSignature applies the public key to sig (s^e mod n) and classifies the
// block. It only uses public values, so it may run on anything.
func openSignature(key *rsa.PublicKey, sig []byte) signatureBlock {
	k := (key.N.BitLen() + 7) / 8
	if len(sig) != k {
		return signatureBlock{kind: blockWrongLength}
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(key.N) >= 0 {
		return signatureBlock{kind: blockNotThisKey}
	}
	em := new(big.Int).Exp(s, big.NewInt(int64(key.E)), key.N).FillBytes(make([]byte, k))
	notThisKey := signatureBlock{kind: blockNotThisKey, pss: em[k-1] == 0xbc}
	// EM = 0x00 0x01 PS(0xff, at least 8) 0x00 T
	if em[0] != 0x00 || em[1] != 0x01 {
		return notThisKey
	}
	i := 2
	for i < k && em[i] == 0xff {
		i++
	}
	if i-2 < 8 || i == k || em[i] != 0x00 {
		return notThisKey
	}
	t := em[i+1:]
	for _, d := range digestInfoPrefixes {
		if len(t) == len(d.prefix)+d.size && bytes.HasPrefix(t, d.prefix) {
			b := signatureBlock{kind: blockOtherDigest, hash: d.hash, digest: t[len(d.prefix):]}
			if d.hash == "SHA-256" {
				b.kind = blockSHA256
			}
			return b
		}
	}
	// Valid padding around something that is not a DigestInfo: usually a
	// bare digest signed with NONEwithRSA or "openssl rsautl -sign".
	return signatureBlock{kind: blockOtherDigest, hash: "no DigestInfo", digest: t}
}

// digestOf returns the digest of content under the named hash, or nil for
// a hash we do not compute.
func digestOf(hash string, content []byte) []byte {
	switch hash {
	case "SHA-256", "no DigestInfo":
		d := sha256.Sum256(content)
		return d[:]
	case "SHA-1":
		d := sha1.Sum(content)
		return d[:]
	case "SHA-384":
		d := sha512.Sum384(content)
		return d[:]
	case "SHA-512":
		d := sha512.Sum512(content)
		return d[:]
	}
	return nil
}
