package sigcheck

import (
	"crypto/rsa"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/antomtest"
	"github.com/antomgw/antomgw/wire"
)

// The test request: a sandbox payment, as cmd/antomgw's tests use.
const (
	testClientID = "SANDBOX_5X00000000000000"
	testTime     = "2024-01-01T08:00:00.000+08:00"
	testPath     = "/ams/sandbox/api/v1/payments/pay"
	testBody     = `{"paymentRequestId":"REQ_20240101_0001","paymentAmount":{"currency":"USD","value":"100"}}`
)

// testKey and otherKey are two fixed RSA-2048 test keys, so that every run
// opens the same RSA blocks: a block from another key is random-looking and
// would, once in many thousand runs, look like PSS padding.
var (
	testKey  = antomtest.MerchantKey
	otherKey = antomtest.GatewayKey
)

// testInput returns the test request with body, to be verified with
// testKey; Signature is left for the caller.
func testInput(body string) Input {
	return Input{Method: "POST", URI: testPath, ClientID: testClientID, Time: testTime, Body: []byte(body), Key: &testKey().PublicKey}
}

// signed signs the message of in with key and returns the Signature header
// value, keyVersion 1.
func signed(tb testing.TB, key *rsa.PrivateKey, in Input) string {
	tb.Helper()
	h, err := in.message().Sign(key, 1)
	if err != nil {
		tb.Fatal(err)
	}
	return h.String()
}

// text returns d as WriteText writes it.
func text(tb testing.TB, d Diagnosis) string {
	tb.Helper()
	var b strings.Builder
	if err := d.WriteText(&b); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

// checkNoSecret fails if any line of the PEM of a test private key appears
// in out. It never prints the line.
func checkNoSecret(tb testing.TB, out string) {
	tb.Helper()
	for _, key := range []*rsa.PrivateKey{testKey(), otherKey()} {
		pemBytes, err := wire.MarshalPrivateKeyPEM(key)
		if err != nil {
			tb.Fatal(err)
		}
		for _, line := range strings.Split(string(pemBytes), "\n") {
			if line != "" && !strings.HasPrefix(line, "-----") && strings.Contains(out, line) {
				tb.Fatal("the output contains a line of a private key")
			}
		}
	}
}

// signatureValue returns the signature= part of a Signature header value.
func signatureValue(tb testing.TB, header string) string {
	tb.Helper()
	h, err := wire.ParseSignatureHeader(header)
	if err != nil {
		tb.Fatalf("header %q: %v", header, err)
	}
	return h.Signature
}
