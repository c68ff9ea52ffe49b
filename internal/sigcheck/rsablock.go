package sigcheck

import (
	"bytes"
	"cmp"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"math/big"
	"slices"
)

// BlockKind is what the RSA block inside a signature says about it.
type BlockKind int

const (
	// BlockNone: no block was opened (the signature value did not decode).
	BlockNone BlockKind = iota
	// BlockWrongLength: the signature is not as long as the key's modulus.
	BlockWrongLength
	// BlockNotThisKey: the block is not PKCS #1 v1.5 padding. The
	// signature was made with another key, or was damaged on the way.
	BlockNotThisKey
	// BlockSHA256: a PKCS #1 v1.5 SHA-256 block; the digest is the SHA-256
	// of the content that was signed. The key is right, the content differs.
	BlockSHA256
	// BlockOtherDigest: a PKCS #1 v1.5 block around another digest
	// (SHA-1, SHA-512 ...) or around a bare digest; the key is right, the
	// hash or the signing call is wrong.
	BlockOtherDigest
	// BlockPSS: a well-formed RSASSA-PSS encoding (RFC 8017, 9.1); the key
	// is right, the padding scheme is wrong. Hash names the PSS hash.
	BlockPSS
)

// String returns a short name of the kind, for logs and pages.
func (k BlockKind) String() string {
	switch k {
	case BlockNone:
		return "none"
	case BlockWrongLength:
		return "wrong length"
	case BlockNotThisKey:
		return "not this key"
	case BlockSHA256:
		return "SHA-256"
	case BlockOtherDigest:
		return "other digest"
	case BlockPSS:
		return "PSS"
	}
	return "unknown"
}

// Block is what "RSA-decrypting" a signature with the public key reveals.
// Everything in it is public: the digest of the signed content.
type Block struct {
	Kind BlockKind
	// Digest is the digest inside the block (BlockSHA256, BlockOtherDigest).
	Digest []byte
	// Hash names the digest of a BlockSHA256 or BlockOtherDigest block:
	// "SHA-256", "SHA-1", "SHA-224", "SHA-384", "SHA-512", "MD5", or
	// "no DigestInfo" for a bare digest signed without its DigestInfo. Of a
	// BlockPSS block it names the PSS hash (its first reading, see openPSS).
	Hash string
	// SaltLen is the salt length in bytes of a BlockPSS block.
	SaltLen int

	// pssReadings are all the ways a BlockPSS block reads as PSS (see
	// openPSS), the one above first.
	pssReadings []Block
}

// MadeWithKey reports whether the block shows the signature was made with
// the key's private key (whatever it signed).
func (b Block) MadeWithKey() bool {
	return b.Kind == BlockSHA256 || b.Kind == BlockOtherDigest || b.Kind == BlockPSS
}

// NotMadeWithKey reports whether the block shows the signature was not made
// with the key's private key (or was damaged or cut on the way).
func (b Block) NotMadeWithKey() bool { return b.Kind == BlockWrongLength || b.Kind == BlockNotThisKey }

// noDigestInfo is the Hash of a block around a bare digest.
const noDigestInfo = "no DigestInfo"

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

// openSignature applies the public key to sig (s^e mod n) and classifies
// the block. It only uses public values, so it may run on anything.
func openSignature(key *rsa.PublicKey, sig []byte) Block {
	k := (key.N.BitLen() + 7) / 8
	if len(sig) != k {
		return Block{Kind: BlockWrongLength}
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(key.N) >= 0 {
		return Block{Kind: BlockNotThisKey}
	}
	em := new(big.Int).Exp(s, big.NewInt(int64(key.E)), key.N).FillBytes(make([]byte, k))
	// EM = 0x00 0x01 PS(0xff, at least 8) 0x00 T
	i := 2
	for i < k && em[i] == 0xff {
		i++
	}
	if em[0] != 0x00 || em[1] != 0x01 || i-2 < 8 || i == k || em[i] != 0x00 {
		if readings := openPSS(key.N.BitLen(), em); readings != nil {
			b := readings[0]
			b.pssReadings = readings
			return b
		}
		return Block{Kind: BlockNotThisKey}
	}
	t := em[i+1:]
	for _, d := range digestInfoPrefixes {
		if len(t) == len(d.prefix)+d.size && bytes.HasPrefix(t, d.prefix) {
			b := Block{Kind: BlockOtherDigest, Hash: d.hash, Digest: t[len(d.prefix):]}
			if d.hash == "SHA-256" {
				b.Kind = BlockSHA256
			}
			return b
		}
	}
	// Valid padding around something that is not a DigestInfo: usually a
	// bare digest signed with NONEwithRSA or "openssl rsautl -sign".
	return Block{Kind: BlockOtherDigest, Hash: noDigestInfo, Digest: t}
}

// pssHashes are the hashes openPSS tries, the ones signing libraries offer
// for PSS (Java's SHA256withRSA/PSS, Python's padding.PSS, Go's SignPSS).
var pssHashes = []struct {
	name string
	hash crypto.Hash
}{
	{"SHA-256", crypto.SHA256},
	{"SHA-1", crypto.SHA1},
	{"SHA-384", crypto.SHA384},
	{"SHA-512", crypto.SHA512},
}

// openPSS returns the readings of em, the block of a signature under a
// modBits-bit key, as a well-formed EMSA-PSS encoding (RFC 8017, 9.1.2,
// steps 4-10, which need no message): the 0xbc trailer, the unused top
// bits clear, and a data block that unmasks to zeros, 0x01 and the salt.
// It returns one reading per hash that fits, none when em is not PSS.
//
// A random block fits one hash with a chance of about 1 in 13,000 (the
// trailer, the top bit and the 0x01 marker, all by luck), and a real PSS
// block fits a wrong hash as well about 1 time in 43 (1 in 128 for each of
// the three others), nearly always with no zeros before the 0x01: it reads
// as a salt as long as possible. So the readings come with the longest run
// of zeros first, and finding prefers the one that verifies against the
// content.
func openPSS(modBits int, em []byte) []Block {
	emBits := modBits - 1
	emLen := (emBits + 7) / 8
	if len(em) > emLen { // modBits ≡ 1 (mod 8): the encoding is one byte shorter
		if em[0] != 0 {
			return nil
		}
		em = em[1:]
	}
	if em[emLen-1] != 0xbc {
		return nil
	}
	topMask := byte(0xff >> (8*emLen - emBits))
	if em[0]&^topMask != 0 {
		return nil
	}
	type reading struct {
		b     Block
		zeros int // before the 0x01
	}
	var found []reading
	for _, h := range pssHashes {
		hLen := h.hash.Size()
		if emLen < hLen+2 {
			continue
		}
		masked, mHash := em[:emLen-hLen-1], em[emLen-hLen-1:emLen-1]
		db := mgf1(h.hash, mHash, len(masked))
		for i := range db {
			db[i] ^= masked[i]
		}
		db[0] &= topMask
		i := 0
		for i < len(db) && db[i] == 0 {
			i++
		}
		if i < len(db) && db[i] == 0x01 {
			found = append(found, reading{Block{Kind: BlockPSS, Hash: h.name, SaltLen: len(db) - i - 1}, i})
		}
	}
	// The longest run of zeros first, the least likely by chance; on a tie
	// the order of pssHashes.
	slices.SortStableFunc(found, func(a, b reading) int { return cmp.Compare(b.zeros, a.zeros) })
	var readings []Block
	for _, r := range found {
		readings = append(readings, r.b)
	}
	return readings
}

// verifyPSS reports whether sig is a valid PSS signature of content under
// key with the named hash (one of pssHashes) and any salt length.
func verifyPSS(key *rsa.PublicKey, hash string, content, sig []byte) bool {
	for _, h := range pssHashes {
		if h.name == hash {
			opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: h.hash}
			return rsa.VerifyPSS(key, h.hash, digestOf(hash, content), sig, opts) == nil
		}
	}
	return false
}

// mgf1 returns n bytes of MGF1 over seed with hash h (RFC 8017, B.2.1).
func mgf1(h crypto.Hash, seed []byte, n int) []byte {
	out := make([]byte, 0, n+h.Size())
	d := h.New()
	var counter [4]byte
	for c := uint32(0); len(out) < n; c++ {
		binary.BigEndian.PutUint32(counter[:], c)
		d.Reset()
		d.Write(seed)
		d.Write(counter[:])
		out = d.Sum(out)
	}
	return out[:n]
}

// digestOf returns the digest of content under the named hash, or nil for
// a hash we do not compute.
func digestOf(hash string, content []byte) []byte {
	switch hash {
	case "SHA-256", noDigestInfo:
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
