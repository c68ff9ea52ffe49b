package wire_test

import (
	"bytes"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

// benchBody is a typical in-store pay request body (about 400 bytes).
var benchBody = []byte(`{"productCode":"IN_STORE_PAYMENT","paymentRequestId":"REQ_20240101_0001",` +
	`"order":{"referenceOrderId":"ORDER_20240101_0001","orderDescription":"Coffee and cake",` +
	`"orderAmount":{"currency":"USD","value":"1250"},"merchant":{"referenceMerchantId":"M0001",` +
	`"merchantMCC":"5812","merchantName":"Test Cafe","store":{"referenceStoreId":"S01","storeName":"Main St","storeMCC":"5812"}}},` +
	`"paymentAmount":{"currency":"USD","value":"1250"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET",` +
	`"paymentMethodId":"281012020311384566412345"},"paymentFactor":{"inStorePaymentScenario":"PaymentCode"}}`)

func benchContent() []byte {
	return wire.SigningContent("POST", "/ams/api/v1/payments/pay", "TEST_CLIENT_ID", "2019-04-04T12:08:56.253+05:30", benchBody)
}

// BenchmarkSign is one request signature: SHA-256 of the content, an
// RSA-2048 private-key operation (which dominates), base64 and URL encoding.
func BenchmarkSign(b *testing.B) {
	key := testKey(b)
	content := benchContent()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.Sign(key, content); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is one signature check: URL and base64 decoding, SHA-256
// and an RSA-2048 public-key operation (e = 65537).
func BenchmarkVerify(b *testing.B) {
	key := testKey(b)
	content := benchContent()
	sig, err := wire.Sign(key, content)
	if err != nil {
		b.Fatal(err)
	}
	pub := &key.PublicKey
	b.ReportAllocs()
	for b.Loop() {
		if err := wire.Verify(pub, content, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSignatureHeader(b *testing.B) {
	key := testKey(b)
	sig, err := wire.Sign(key, benchContent())
	if err != nil {
		b.Fatal(err)
	}
	header := "algorithm=RSA256, keyVersion=1, signature=" + sig
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.ParseSignatureHeader(header); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncryptBody seals 1 KiB: a random content key, an RSA-2048
// public-key operation to wrap it, AES-256-ECB and base64.
func BenchmarkEncryptBody(b *testing.B) {
	pub := &testKey(b).PublicKey
	plaintext := bytes.Repeat([]byte("x"), 1024)
	b.SetBytes(int64(len(plaintext)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := wire.EncryptBody(nil, pub, 1, plaintext); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecryptBody opens 1 KiB: an RSA-2048 private-key operation to
// unwrap the content key (which dominates), base64 and AES-256-ECB.
func BenchmarkDecryptBody(b *testing.B) {
	key := testKey(b)
	plaintext := bytes.Repeat([]byte("x"), 1024)
	body, h, err := wire.EncryptBody(nil, &key.PublicKey, 1, plaintext)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(plaintext)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.DecryptBody(key, h, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSigningContent(b *testing.B) {
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		_ = wire.SigningContent("POST", "/ams/api/v1/payments/pay", "TEST_CLIENT_ID", "2019-04-04T12:08:56.253+05:30", benchBody)
	}
}
