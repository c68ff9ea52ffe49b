package httpapi_test

import (
	"context"
	"crypto/rsa"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// TestClientKeyVersionFallback: a terminal that signs with key version 2
// while its SDK sends keyVersion=1 (the official Go and .NET SDKs always
// do) gets S; the request is counted and logged once; a retired key never
// verifies; a signature no active key verifies names every version tried.
func TestClientKeyVersionFallback(t *testing.T) {
	var logs gatewaytest.Buffer
	h := newGateway(t, gatewaytest.WithLog(slog.New(slog.NewTextHandler(&logs, nil))))
	ctx := context.Background()
	key2 := gatewaytest.OtherMerchantKey()
	if err := h.Store().AddClientKey(ctx, gateway.ClientKey{ClientID: h.ClientID(), Version: 2, PublicKey: spki(t, &key2.PublicKey), CreatedAt: h.Now()}); err != nil {
		t.Fatal(err)
	}
	with := func(key *rsa.PrivateKey, header int) func([]byte) string {
		return func(c []byte) string {
			sig, err := wire.Sign(key, c)
			if err != nil {
				t.Fatal(err)
			}
			return wire.SignatureHeader{Algorithm: wire.AlgorithmRSA256, KeyVersion: header, Signature: sig}.String()
		}
	}
	mismatches := func() string {
		resp, err := http.Get(h.URL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, `antomgw_signature_key_version_mismatch_total{client_id="`+h.ClientID()+`"} `); ok {
				return v
			}
		}
		return "absent"
	}

	for i := range 3 {
		rep := h.Do(t, gatewaytest.Request{Path: pathPay, Body: payBody("FALLBACK_"+string(rune('A'+i)), 100), Sign: with(key2, 1)})
		if rep.Result.Status != wire.StatusSuccess {
			t.Fatalf("pay signed with key v2 naming keyVersion=1: %v, want S", rep.Result)
		}
	}
	if got := mismatches(); got != "3" {
		t.Errorf("mismatch counter = %v, want 3", got)
	}
	if n := strings.Count(logs.String(), "verified with another key version"); n != 1 {
		t.Errorf("mismatch logged %d times, want once per client and pair of versions:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "header_key_version=1 verified_key_version=2") || !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("log does not name the versions at warn:\n%s", logs.String())
	}
	// Signed with the version named: no mismatch.
	h.Do(t, gatewaytest.Request{Path: pathInquiryPayment, Body: `{"paymentRequestId":"FALLBACK_A"}`, Sign: with(key2, 2)})
	if got := mismatches(); got != "3" {
		t.Errorf("mismatch counter after a matching request = %v, want 3", got)
	}

	// A signature neither active key verifies: the diagnosis lists both.
	other := gatewaytest.GatewayKey()
	rep := h.Do(t, gatewaytest.Request{Path: pathInquiryPayment, Body: `{"paymentRequestId":"FALLBACK_A"}`, Sign: with(other, 1)})
	if rep.Result.Code != wire.CodeInvalidSignature || !strings.Contains(rep.Result.Message, "key versions tried: v1 sha256 ") || !strings.Contains(rep.Result.Message, ", v2 sha256 ") {
		t.Errorf("a signature no key verifies: %v, want INVALID_SIGNATURE listing v1 and v2", rep.Result)
	}

	// Retire v1: its key never verifies, whatever version is named.
	if err := h.Store().RetireClientKey(ctx, h.ClientID(), 1, h.Now()); err != nil {
		t.Fatal(err)
	}
	for _, named := range []int{0, 1, 2} {
		rep := h.Do(t, gatewaytest.Request{Path: pathInquiryPayment, Body: `{"paymentRequestId":"FALLBACK_A"}`, Sign: with(h.MerchantKey(), named)})
		if rep.Result.Status != wire.StatusFail {
			t.Errorf("signed with retired key v1, keyVersion %d: %v, want F", named, rep.Result)
		}
	}
	rep = h.Do(t, gatewaytest.Request{Path: pathInquiryPayment, Body: `{"paymentRequestId":"FALLBACK_A"}`, Sign: with(key2, 1)})
	if rep.Result.Status != wire.StatusSuccess {
		t.Errorf("signed with v2 naming retired v1: %v, want S", rep.Result)
	}
}
