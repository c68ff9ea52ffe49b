package antomgw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// bareClient is the baseline: a plain net/http client that does by hand,
// with package wire, what the SDK does for InquiryPayment — marshal, sign,
// send, read, verify the signature, decode, check S — and nothing else
// (no retries, no logging, no encryption path, no typed errors).
type bareClient struct {
	hc *http.Client
	g  *gatewaytest.Gateway
}

const inquiryPath = "/ams/api/v1/payments/inquiryPayment"

func (b *bareClient) inquiry(id string) error {
	body, err := json.Marshal(&antomgw.InquiryPaymentRequest{PaymentRequestID: id})
	if err != nil {
		return err
	}
	reqTime := wire.FormatTime(time.Now())
	sig, err := wire.Sign(b.g.MerchantKey(), wire.SigningContent("POST", inquiryPath, b.g.ClientID(), reqTime, body))
	if err != nil {
		return err
	}
	req, err := http.NewRequest("POST", b.g.URL()+inquiryPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Client-Id", b.g.ClientID())
	req.Header.Set("Request-Time", reqTime)
	req.Header.Set("Signature", wire.SignatureHeader{Algorithm: wire.AlgorithmRSA256, KeyVersion: 1, Signature: sig}.String())
	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	sh, err := wire.ParseSignatureHeader(resp.Header.Get("signature"))
	if err != nil {
		return err
	}
	if err := wire.Verify(&b.g.GatewayKey().PublicKey, wire.SigningContent("POST", inquiryPath, b.g.ClientID(), resp.Header.Get("response-time"), rb), sh.Signature); err != nil {
		return err
	}
	var out antomgw.InquiryPaymentResponse
	if err := json.Unmarshal(rb, &out); err != nil {
		return err
	}
	if out.Result.Status != wire.StatusSuccess || out.PaymentStatus != antomgw.PaymentStatusSuccess {
		return fmt.Errorf("bare inquiry: %v %s", out.Result, out.PaymentStatus)
	}
	return nil
}

// BenchmarkSDKOverhead compares InquiryPayment through the SDK with the
// bare net/http + wire client above, on the same in-process gateway (real
// httpapi, gateway, SQLite), one request at a time. The two alternate
// request by request, so both see the same server, cache and machine
// state; each is timed on its own. It reports the requests per second of
// each and their ratio (sdk/bare: 1 means no overhead).
//
//	go test -run '^$' -bench SDKOverhead -benchtime 2000x .
func BenchmarkSDKOverhead(b *testing.B) {
	g := gatewaytest.New(b)
	c := g.Client(b)
	ctx := context.Background()
	id := newID("BENCH")
	if _, err := c.Pay(ctx, inStorePay(id, "100")); err != nil {
		b.Fatal(err)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32 // as the SDK's default client
	bare := &bareClient{hc: &http.Client{Transport: t}, g: g}
	req := &antomgw.InquiryPaymentRequest{PaymentRequestID: id}
	sdkCall := func() {
		r, err := c.InquiryPayment(ctx, req)
		if err != nil || r.PaymentStatus != antomgw.PaymentStatusSuccess {
			b.Fatalf("sdk inquiry: %+v %v", r, err)
		}
	}
	bareCall := func() {
		if err := bare.inquiry(id); err != nil {
			b.Fatal(err)
		}
	}
	// Warm both connections and caches.
	for range 20 {
		sdkCall()
		bareCall()
	}

	var sdkTime, bareTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		first, second := sdkCall, bareCall
		firstTime, secondTime := &sdkTime, &bareTime
		if i%2 == 1 {
			first, second = bareCall, sdkCall
			firstTime, secondTime = &bareTime, &sdkTime
		}
		t0 := time.Now()
		first()
		t1 := time.Now()
		second()
		*firstTime += t1.Sub(t0)
		*secondTime += time.Since(t1)
	}
	b.StopTimer()
	sdkRPS := float64(b.N) / sdkTime.Seconds()
	bareRPS := float64(b.N) / bareTime.Seconds()
	b.ReportMetric(sdkRPS, "sdk-req/s")
	b.ReportMetric(bareRPS, "bare-req/s")
	b.ReportMetric(sdkRPS/bareRPS, "sdk/bare")
	b.ReportMetric(float64(sdkTime.Nanoseconds())/float64(b.N), "sdk-ns/req")
	b.ReportMetric(float64(bareTime.Nanoseconds())/float64(b.N), "bare-ns/req")
}
