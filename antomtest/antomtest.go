// Package antomtest helps test code that uses an Antom-compatible gateway,
// the way net/http/httptest helps test HTTP code: NewServer is a scripted
// fake gateway on a local httptest server that signs its answers with a
// test key, and Notification builds signed notifications for a merchant's
// webhook handler.
//
// The fake has no state machine and no database: each call gets the answer
// scripted for it, or a default S answer derived from the request alone.
// For end-to-end behaviour (idempotency, payments that complete later, the
// simulated wallet's scenarios) run the real server, "antomgw serve".
//
// The keys here are test keys, published with the source: never use them
// for anything but tests.
package antomtest

import (
	"crypto/rsa"
	_ "embed"
	"sync"

	"github.com/antomgw/antomgw/wire"
)

// ClientID is the client id the fake server and Notification use by
// default.
const ClientID = "TEST_CLIENT"

// GatewayKeyVersion is the version of GatewayKey.
const GatewayKeyVersion = 1

var (
	//go:embed testdata/gateway-test-only.pem
	gatewayPEM []byte
	//go:embed testdata/merchant-test-only.pem
	merchantPEM []byte
)

func mustKey(pem []byte) func() *rsa.PrivateKey {
	return sync.OnceValue(func() *rsa.PrivateKey {
		k, err := wire.ParsePrivateKey(pem)
		if err != nil {
			panic("antomtest: embedded test key: " + err.Error())
		}
		return k
	})
}

var (
	gatewayKey  = mustKey(gatewayPEM)
	merchantKey = mustKey(merchantPEM)
)

// GatewayKey returns the fake gateway's RSA-2048 test key: it signs the
// fake server's answers and, by default, Notification's requests. Every
// call returns the same key; do not modify it.
func GatewayKey() *rsa.PrivateKey { return gatewayKey() }

// MerchantKey returns a merchant RSA-2048 test key, the one the fake server
// expects requests to be signed with unless told otherwise. Every call
// returns the same key; do not modify it.
func MerchantKey() *rsa.PrivateKey { return merchantKey() }

// GatewayKeys returns the gateway public keys by version, as an SDK
// configuration takes them: {GatewayKeyVersion: GatewayKey's public key}.
func GatewayKeys() map[int]*rsa.PublicKey {
	return map[int]*rsa.PublicKey{GatewayKeyVersion: &GatewayKey().PublicKey}
}

// GatewayKeyPEM returns GatewayKey as PEM (PKCS #8).
func GatewayKeyPEM() []byte { return append([]byte(nil), gatewayPEM...) }

// MerchantKeyPEM returns MerchantKey as PEM (PKCS #8).
func MerchantKeyPEM() []byte { return append([]byte(nil), merchantPEM...) }
