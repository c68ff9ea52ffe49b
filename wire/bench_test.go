package wire_test

import (
	"bytes"
	"errors"
	"sync/atomic"
	"testing"
	"time"

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
	defer reportCPU(b)()
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
	defer reportCPU(b)()
	for b.Loop() {
		if err := wire.Verify(pub, content, sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignVerifyPair is the server's crypto for one request: a
// verify (the merchant's signature) and a sign (the answer's), with one
// key pair, from GOMAXPROCS goroutines at once, so that
//
//	go test ./wire -run '^$' -bench Sign -cpu 1,2
//
// gives the pairs per second of the build it runs in (default, -tags
// openssl, GOEXPERIMENT=boringcrypto) on one core and on two. sign-µs/op
// and verify-µs/op are the mean time of each operation as it ran, beside
// the others; cpu-µs/op is the process' CPU time per pair (see
// reportCPU).
func BenchmarkSignVerifyPair(b *testing.B) {
	key := testKey(b)
	pub := &key.PublicKey
	content := benchContent()
	want, err := wire.Sign(key, content)
	if err != nil {
		b.Fatal(err)
	}
	var signNs, verifyNs atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		var s, v time.Duration
		for pb.Next() {
			t0 := time.Now()
			sig, err := wire.Sign(key, content)
			t1 := time.Now()
			if err == nil && sig != want {
				err = errors.New("Sign: got another signature than before")
			}
			if err == nil {
				err = wire.Verify(pub, content, sig)
			}
			s, v = s+t1.Sub(t0), v+time.Since(t1)
			if err != nil {
				b.Error(err)
				return
			}
		}
		signNs.Add(int64(s))
		verifyNs.Add(int64(v))
	})
	if b.N > 0 {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		b.ReportMetric(float64(signNs.Load())/1e3/float64(b.N), "sign-µs/op")
		b.ReportMetric(float64(verifyNs.Load())/1e3/float64(b.N), "verify-µs/op")
	}
}

// reportCPU starts counting the process' CPU time (user and system, where
// the system reports it); the func it returns reports it per op as
// cpu-µs/op. Other load on the machine disturbs it less than ns/op.
func reportCPU(b *testing.B) func() {
	cpu0, ok := processCPU()
	return func() {
		cpu1, _ := processCPU()
		if ok && b.N > 0 {
			b.ReportMetric(float64(cpu1-cpu0)/1e3/float64(b.N), "cpu-µs/op")
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
