package cryptobackend

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
)

// TestName: the name is the backend this build runs on (wantName, set by
// build tag), and a 2048-bit key signs and verifies on it.
func TestName(t *testing.T) {
	if wantName == "" {
		t.Skip("a boringcrypto build off linux/amd64: BoringCrypto may be unavailable")
	}
	if got := Name(); got != wantName {
		t.Errorf("Name() = %q, want %q", got, wantName)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("antomgw"))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatalf("sign on %s: %v", Name(), err)
	}
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		t.Errorf("verify on %s: %v", Name(), err)
	}
}
