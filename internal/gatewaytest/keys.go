package gatewaytest

import (
	"crypto/rsa"
	_ "embed"
	"sync"

	"github.com/antomgw/antomgw/wire"
)

// The test keys: pre-generated, public in this repository, for tests only.
var (
	//go:embed testdata/gateway-test-only.pem
	gatewayPEM []byte
	//go:embed testdata/merchant-test-only.pem
	merchantPEM []byte
	//go:embed testdata/merchant2-test-only.pem
	merchant2PEM []byte

	gatewayKey   = sync.OnceValue(func() *rsa.PrivateKey { return mustKey(gatewayPEM) })
	merchantKey  = sync.OnceValue(func() *rsa.PrivateKey { return mustKey(merchantPEM) })
	merchant2Key = sync.OnceValue(func() *rsa.PrivateKey { return mustKey(merchant2PEM) })
)

func mustKey(pem []byte) *rsa.PrivateKey {
	k, err := wire.ParsePrivateKey(pem)
	if err != nil {
		panic("gatewaytest: embedded test key: " + err.Error())
	}
	return k
}

// ClientID is the client New registers (with MerchantKey as its key
// version 1) unless WithClientID says otherwise.
const ClientID = "TEST_CLIENT"

// GatewayKey returns the test gateway key (testdata/gateway-test-only.pem):
// New stores it as the gateway's key version 1, so answers are signed with
// a key the test knows. The key is shared; do not modify it.
func GatewayKey() *rsa.PrivateKey { return gatewayKey() }

// MerchantKey returns the test merchant key
// (testdata/merchant-test-only.pem), registered by New as ClientID's key
// version 1. The key is shared; do not modify it.
func MerchantKey() *rsa.PrivateKey { return merchantKey() }

// OtherMerchantKey returns a second merchant key
// (testdata/merchant2-test-only.pem) that New registers nowhere: for a
// client's second key version, or a signature by the wrong key. The key is
// shared; do not modify it.
func OtherMerchantKey() *rsa.PrivateKey { return merchant2Key() }
