//go:build openssl && cgo && !boringcrypto

package wire

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"runtime"
	"sync"
	"testing"
)

// Tests of the libcrypto build's key cache; sign_backend_test.go holds
// Sign and Verify to crypto/rsa in every build.

func opensslTestKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	data, err := os.ReadFile("testdata/rsa2048-test-only.pem")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("testdata/rsa2048-test-only.pem: no PEM block")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key.(*rsa.PrivateKey)
}

// cacheLen counts the entries of an EVP_PKEY cache.
func cacheLen(m *sync.Map) int {
	n := 0
	m.Range(func(any, any) bool { n++; return true })
	return n
}

// copyKey returns a new heap copy of key: another pointer, so another
// cache entry.
func copyKey(key *rsa.PrivateKey) *rsa.PrivateKey {
	c := new(rsa.PrivateKey)
	*c = *key
	return c
}

// TestOpenSSLSigns: a 2048-bit key is imported into libcrypto once and
// signs and verifies there, without falling back to crypto/rsa.
func TestOpenSSLSigns(t *testing.T) {
	key := copyKey(opensslTestKey(t))
	fallbacks := opensslFallbacks.Load()
	content := []byte("POST /p\nC1.1704067200000.{}")
	v, err := Sign(key, content)
	if err != nil {
		t.Fatal(err)
	}
	k := privateEVP(key)
	if k == nil {
		t.Fatal("privateEVP: got nil, want the key imported into libcrypto")
	}
	if again := privateEVP(key); again != k {
		t.Error("privateEVP again: got another import, want the cached one")
	}
	if err := Verify(&key.PublicKey, content, v); err != nil {
		t.Fatalf("Verify: got error %v, want nil", err)
	}
	if publicEVP(&key.PublicKey) == nil {
		t.Fatal("publicEVP: got nil, want the public key imported into libcrypto")
	}
	if err := Verify(&key.PublicKey, append(content, '.'), v); err != ErrSignature {
		t.Fatalf("Verify(altered content): got error %v, want exactly ErrSignature", err)
	}
	if n := opensslFallbacks.Load() - fallbacks; n != 0 {
		t.Errorf("got %d operations falling back to crypto/rsa, want 0", n)
	}
	runtime.KeepAlive(key)
}

// TestOpenSSLLeavesToCryptoRSA: keys libcrypto is not given (under
// wire's minimum size, more than two primes) or no longer matches
// (overwritten) are signed by crypto/rsa, and those it is not given are
// not cached.
func TestOpenSSLLeavesToCryptoRSA(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if privateEVP(small) != nil || publicEVP(&small.PublicKey) != nil {
		t.Error("1024-bit key: got a libcrypto key, want nil")
	}
	odd := copyKey(opensslTestKey(t))
	odd.Primes = append(odd.Primes[:2:2], odd.Primes[0]) // a third prime: refused as it is
	if privateEVP(odd) != nil {
		t.Error("three primes: got a libcrypto key, want nil")
	}
	key := copyKey(opensslTestKey(t))
	if privateEVP(key) == nil {
		t.Fatal("test key: got nil, want a libcrypto key")
	}
	*key = *small
	if privateEVP(key) != nil {
		t.Error("overwritten key: got the old libcrypto key, want nil")
	}
	runtime.KeepAlive(key)
}

// TestOpenSSLImportRace: goroutines importing one key at once leave one
// EVP_PKEY; the others free theirs at once.
func TestOpenSSLImportRace(t *testing.T) {
	key := copyKey(opensslTestKey(t))
	live := liveEVPs.Load()
	start := make(chan struct{})
	var wg sync.WaitGroup
	got := make([]*evpKey, 8)
	for i := range got {
		wg.Go(func() {
			<-start
			got[i] = privateEVP(key)
		})
	}
	close(start)
	wg.Wait()
	for i, k := range got {
		if k == nil || k != got[0] {
			t.Fatalf("goroutine %d: got %p, want goroutine 0's %p", i, k, got[0])
		}
	}
	if n := liveEVPs.Load() - live; n != 1 {
		t.Errorf("got %d more live EVP_PKEYs, want 1", n)
	}
	runtime.KeepAlive(key)
}

// TestOpenSSLKeysFreed: keys made, used and dropped many times leave no
// EVP_PKEY and no cache entry behind once collected (the cleanups ran).
// It waits for the cleanups by collecting again, not by time.
func TestOpenSSLKeysFreed(t *testing.T) {
	base := opensslTestKey(t)
	content := []byte("POST /p\nC1.1704067200000.{}")
	before := settle(cacheCounts{})
	const keys = 300
	for i := range keys {
		key := copyKey(base)
		v, err := Sign(key, content)
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(&key.PublicKey, content, v); err != nil {
			t.Fatal(err)
		}
		if i == 0 && (privateEVP(key) == nil || publicEVP(&key.PublicKey) == nil) {
			t.Fatal("the copies are not imported into libcrypto: the test would check nothing")
		}
	}
	t.Logf("%d keys signed and verified: %d EVP_PKEYs live before collecting, %d before the keys", keys, liveEVPs.Load(), before.live)
	if after := settle(before); after.live > before.live || after.priv > before.priv || after.pub > before.pub {
		t.Errorf("after %d keys and collections: got %+v, want at most %+v as before", keys, after, before)
	}
}

// cacheCounts is what the EVP_PKEY caches hold.
type cacheCounts struct {
	live      int64 // EVP_PKEYs not freed
	priv, pub int   // cache entries
}

func counts() cacheCounts {
	return cacheCounts{liveEVPs.Load(), cacheLen(&privateEVPs), cacheLen(&publicEVPs)}
}

// settle collects garbage and lets cleanups run until the counts are at
// most those of want (or, with a zero want, no longer fall), at most 1000
// times, and returns them.
func settle(want cacheCounts) cacheCounts {
	c := counts()
	for range 1000 {
		runtime.GC()
		runtime.Gosched()
		prev := c
		c = counts()
		if want == (cacheCounts{}) && c == prev {
			return c
		}
		if want != (cacheCounts{}) && c.live <= want.live && c.priv <= want.priv && c.pub <= want.pub {
			return c
		}
	}
	return c
}
