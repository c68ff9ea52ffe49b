//go:build openssl && cgo && !boringcrypto

// This file is built with -tags openssl (make build-openssl): [Sign] and
// [Verify] do their RSA operation on the system's libcrypto (OpenSSL 3)
// through cgo, the rest of the package stays on the standard library. The
// default build never compiles it (see sign_std.go).
//
// libcrypto works on an EVP_PKEY, and making one from an *rsa.PrivateKey
// costs more than a signature, so each key is imported once: the EVP_PKEY
// is cached per key pointer (a weak pointer, so the cache does not keep
// the key alive) and freed by a cleanup when the Go key is collected.
// That assumes what the gateway does: a key is not mutated after its
// first use. A key whose modulus or exponent changed afterwards is caught
// and signed by crypto/rsa; one whose private half alone was changed is
// not, so mutating a key in place is unsupported in this build.
//
// Whatever libcrypto cannot do (a key it cannot import, a key crypto/rsa
// would refuse, a failed call), crypto/rsa does, so a request never fails
// because of this file and the answers are those of the default build:
// PKCS #1 v1.5 signatures are deterministic, and each key's first
// libcrypto signature is checked with crypto/rsa before the key is used.

package wire

/*
#cgo LDFLAGS: -lcrypto
#include <stdlib.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

// wire_private_key reads a PKCS #1 RSAPrivateKey, wipes der and frees it.
// It returns NULL when libcrypto cannot read it.
static EVP_PKEY *wire_private_key(unsigned char *der, long len) {
	const unsigned char *p = der;
	EVP_PKEY *k = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, len);
	OPENSSL_cleanse(der, (size_t)len);
	free(der);
	if (k == NULL)
		ERR_clear_error();
	return k;
}

// wire_public_key reads a SubjectPublicKeyInfo, or returns NULL. (The
// PKCS #1 form, d2i_PublicKey, gives a legacy key that libcrypto 3.0
// verifies with a little more slowly.)
static EVP_PKEY *wire_public_key(const unsigned char *der, long len) {
	const unsigned char *p = der;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, len);
	if (k == NULL)
		ERR_clear_error();
	return k;
}

// wire_ctx returns a context for an RSASSA-PKCS1-v1_5 SHA-256 operation
// with k, set up by init (EVP_PKEY_sign_init or EVP_PKEY_verify_init), or
// NULL. A fresh context per call lets goroutines share k: OpenSSL 3 allows
// concurrent operations on one EVP_PKEY, each with its own context.
static EVP_PKEY_CTX *wire_ctx(EVP_PKEY *k, int (*init)(EVP_PKEY_CTX *)) {
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
	if (ctx == NULL)
		return NULL;
	if (init(ctx) != 1
	    || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1
	    || EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

// wire_sign signs a SHA-256 digest into sig (cap bytes) and returns the
// signature's length, or -1 (the error queue cleared).
static long wire_sign(EVP_PKEY *k, const unsigned char *digest, size_t dlen, unsigned char *sig, size_t cap) {
	long n = -1;
	size_t siglen = cap;
	EVP_PKEY_CTX *ctx = wire_ctx(k, EVP_PKEY_sign_init);
	if (ctx != NULL && EVP_PKEY_sign(ctx, sig, &siglen, digest, dlen) == 1)
		n = (long)siglen;
	EVP_PKEY_CTX_free(ctx);
	if (n < 0)
		ERR_clear_error();
	return n;
}

// wire_verify checks sig over a SHA-256 digest: 1 when it matches, 0 when
// it does not, -1 when no context could be set up.
static int wire_verify(EVP_PKEY *k, const unsigned char *digest, size_t dlen, const unsigned char *sig, size_t siglen) {
	int r = -1;
	EVP_PKEY_CTX *ctx = wire_ctx(k, EVP_PKEY_verify_init);
	if (ctx != NULL)
		r = EVP_PKEY_verify(ctx, sig, siglen, digest, dlen) == 1 ? 1 : 0;
	EVP_PKEY_CTX_free(ctx);
	if (r != 1)
		ERR_clear_error();
	return r;
}
*/
import "C"

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
	"weak"
)

// signDigest signs a SHA-256 digest with RSASSA-PKCS1-v1_5 on libcrypto,
// or on crypto/rsa when libcrypto cannot take the key or fails.
func signDigest(key *rsa.PrivateKey, digest []byte) ([]byte, error) {
	if k := privateEVP(key); k != nil && len(digest) == sha256.Size {
		sig := make([]byte, key.Size())
		n := C.wire_sign(k.pkey, (*C.uchar)(unsafe.Pointer(&digest[0])), C.size_t(len(digest)),
			(*C.uchar)(unsafe.Pointer(&sig[0])), C.size_t(len(sig)))
		runtime.KeepAlive(key) // k.pkey is freed when key is collected
		if int(n) == len(sig) {
			return sig, nil
		}
		opensslFallbacks.Add(1)
	}
	return signDigestStd(key, digest)
}

// verifyDigest checks an RSASSA-PKCS1-v1_5 signature over a SHA-256
// digest on libcrypto, or on crypto/rsa for a key libcrypto cannot take.
// Both accept exactly the same signatures: the one, of the modulus'
// length, whose public-key operation gives the encoded digest.
func verifyDigest(key *rsa.PublicKey, digest, sig []byte) error {
	if k := publicEVP(key); k != nil && len(digest) == sha256.Size {
		if len(sig) != key.Size() {
			return rsa.ErrVerification
		}
		r := C.wire_verify(k.pkey, (*C.uchar)(unsafe.Pointer(&digest[0])), C.size_t(len(digest)),
			(*C.uchar)(unsafe.Pointer(&sig[0])), C.size_t(len(sig)))
		runtime.KeepAlive(key)
		switch r {
		case 1:
			return nil
		case 0:
			return rsa.ErrVerification
		}
		opensslFallbacks.Add(1)
	}
	return verifyDigestStd(key, digest, sig)
}

// evpKey is a key imported into libcrypto. pkey is nil when libcrypto
// cannot take the key (or crypto/rsa would refuse it): crypto/rsa then
// does its operations. n and e are the public half at import, to notice a
// key mutated since.
type evpKey struct {
	pkey *C.EVP_PKEY
	n    *big.Int
	e    int
}

// Imported keys by weak pointer to the Go key: weak.Pointer[rsa.PrivateKey]
// and weak.Pointer[rsa.PublicKey] to *evpKey. A weak pointer compares equal
// only to weak pointers made from the same pointer, even after its object
// is collected, so a new key at a reused address is a new entry. A
// public key inside a private key (&priv.PublicKey) is an entry of its own.
var privateEVPs, publicEVPs sync.Map

// liveEVPs counts the EVP_PKEYs not yet freed, opensslFallbacks the
// operations libcrypto failed and crypto/rsa did; for the tests.
var liveEVPs, opensslFallbacks atomic.Int64

// privateEVP returns key's libcrypto key, importing it on first use, or
// nil when crypto/rsa must sign with it.
func privateEVP(key *rsa.PrivateKey) *evpKey {
	if key == nil {
		return nil
	}
	return cachedEVP(&privateEVPs, key, &key.PublicKey, importPrivate)
}

// publicEVP is privateEVP for a public key.
func publicEVP(key *rsa.PublicKey) *evpKey {
	if key == nil {
		return nil
	}
	return cachedEVP(&publicEVPs, key, key, importPublic)
}

// cachedEVP looks key up in cache and imports it on a miss; pub is key's
// public half. It returns nil, for crypto/rsa to do the operation, when
// libcrypto cannot take the key or its public half changed since import.
func cachedEVP[K any](cache *sync.Map, key *K, pub *rsa.PublicKey, load func(*K) *C.EVP_PKEY) *evpKey {
	if !usablePublic(pub) {
		return nil
	}
	wp := weak.Make(key)
	v, ok := cache.Load(wp)
	if !ok {
		k := &evpKey{pkey: load(key), n: new(big.Int).Set(pub.N), e: pub.E}
		if k.pkey != nil {
			liveEVPs.Add(1)
		}
		var loaded bool
		if v, loaded = cache.LoadOrStore(wp, k); loaded {
			k.free() // another goroutine imported key first
		} else {
			// The cleanup and its argument hold wp, a weak pointer:
			// neither keeps key reachable.
			runtime.AddCleanup(key, func(k *evpKey) {
				cache.CompareAndDelete(wp, k)
				k.free()
			}, k)
		}
	}
	k := v.(*evpKey)
	if k.pkey == nil || pub.E != k.e || pub.N.Cmp(k.n) != 0 {
		return nil
	}
	return k
}

// free frees k's EVP_PKEY once nothing can use it any more: when its Go
// key was collected, or when k lost the race to be cached.
func (k *evpKey) free() {
	if k.pkey != nil {
		C.EVP_PKEY_free(k.pkey)
		liveEVPs.Add(-1)
	}
}

// usablePublic reports whether crypto/rsa takes pub for a signature and
// libcrypto can too: an odd modulus of 2048 to 16384 bits (wire's minimum,
// libcrypto's maximum) and an odd exponent from 3 to 2³¹-1. Other keys
// stay on crypto/rsa, which then answers as in the default build.
func usablePublic(pub *rsa.PublicKey) bool {
	return pub.N != nil && pub.N.Sign() > 0 && pub.N.Bit(0) == 1 &&
		pub.N.BitLen() >= MinKeyBits && pub.N.BitLen() <= 16384 &&
		pub.E >= 3 && pub.E&1 == 1 && pub.E <= 1<<31-1
}

// importPublic makes an EVP_PKEY of pub (a usablePublic key), or returns
// nil.
func importPublic(pub *rsa.PublicKey) *C.EVP_PKEY {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	return C.wire_public_key((*C.uchar)(unsafe.Pointer(&der[0])), C.long(len(der)))
}

// selfCheckDigest is what a freshly imported private key signs to prove
// that libcrypto holds the same key as crypto/rsa.
var selfCheckDigest = sha256.Sum256([]byte("wire: libcrypto import check"))

// importPrivate makes an EVP_PKEY of key (its public half usablePublic),
// or returns nil: for a key
// crypto/rsa refuses or with more than two primes, when libcrypto cannot
// read it, or when its first signature does not verify with crypto/rsa.
// The DER that carries the private key to libcrypto is wiped in Go and C.
func importPrivate(key *rsa.PrivateKey) *C.EVP_PKEY {
	if len(key.Primes) != 2 || key.Validate() != nil {
		return nil
	}
	// MarshalPKCS1PrivateKey calls Precompute on its argument: give it a
	// copy, so that key is only read, never written (Sign may run on it
	// in other goroutines).
	c := *key
	der := x509.MarshalPKCS1PrivateKey(&c)
	cder := C.CBytes(der) // wire_private_key wipes and frees it
	clear(der)
	pkey := C.wire_private_key((*C.uchar)(cder), C.long(len(der)))
	if pkey == nil {
		return nil
	}
	sig := make([]byte, key.Size())
	n := C.wire_sign(pkey, (*C.uchar)(unsafe.Pointer(&selfCheckDigest[0])), C.size_t(len(selfCheckDigest)),
		(*C.uchar)(unsafe.Pointer(&sig[0])), C.size_t(len(sig)))
	if int(n) != len(sig) || rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, selfCheckDigest[:], sig) != nil {
		C.EVP_PKEY_free(pkey)
		return nil
	}
	return pkey
}
