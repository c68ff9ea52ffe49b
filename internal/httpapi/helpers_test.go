package httpapi_test

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
)

// gw is the test gateway (gatewaytest: the node antomgw serve runs, with
// the simulated wallet and a SQLite store, on a stopped clock) with the
// requests these tests send most.
type gw struct{ *gatewaytest.Gateway }

func newGateway(tb testing.TB, opts ...gatewaytest.Option) gw {
	tb.Helper()
	return gw{gatewaytest.New(tb, opts...)}
}

// payments returns every payment in the store, newest first.
func (h gw) payments(tb testing.TB) []*gateway.Payment {
	tb.Helper()
	ps, err := h.Store().Payments(context.Background(), gateway.PaymentFilter{Limit: 100_000})
	if err != nil {
		tb.Fatal(err)
	}
	return ps
}

// payment returns a payment of the registered client as stored.
func (h gw) payment(tb testing.TB, paymentID string) *gateway.Payment {
	tb.Helper()
	p, err := h.Store().Payment(context.Background(), h.ClientID(), paymentID)
	if err != nil {
		tb.Fatalf("payment %s: %v", paymentID, err)
	}
	return p
}

// refunds returns every refund in the store.
func (h gw) refunds(tb testing.TB) []*gateway.Refund {
	tb.Helper()
	var out []*gateway.Refund
	for _, p := range h.payments(tb) {
		rs, err := h.Store().Refunds(context.Background(), p.ID)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, rs...)
	}
	return out
}

// wantUnchanged fails the test, saying what, when the store differs from
// before.
func (h gw) wantUnchanged(tb testing.TB, what string, before gatewaytest.Snapshot) {
	tb.Helper()
	if after := h.Snapshot(tb); after != before {
		tb.Errorf("%s:\n%s", what, before.Diff(after))
	}
}

// wantNoJobs moves the clock past every delayed transition the gateway
// could have scheduled (the wallet's delay, payment expiry) and fails the
// test if any ran: none was left.
func (h gw) wantNoJobs(tb testing.TB) {
	tb.Helper()
	if n, _ := h.Advance(tb, 30*24*time.Hour); n != 0 {
		tb.Errorf("%d delayed transitions were still scheduled, want 0", n)
	}
}

func spki(tb testing.TB, pub *rsa.PublicKey) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

func ptr[T any](v T) *T { return &v }

// payBody is a valid AMS v1 in-store PaymentCode pay body.
func payBody(requestID string, value int64) string {
	return fmt.Sprintf(`{"productCode":"IN_STORE_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":"ORDER_%s","orderDescription":"coffee"},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281012345678"},`+
		`"paymentFactor":{"inStorePaymentScenario":"PaymentCode"}}`, requestID, requestID, value)
}

const (
	pathPay            = "/ams/api/v1/payments/pay"
	pathInquiryPayment = "/ams/api/v1/payments/inquiryPayment"
	pathCancel         = "/ams/api/v1/payments/cancel"
	pathRefund         = "/ams/api/v1/payments/refund"
	pathInquiryRefund  = "/ams/api/v1/payments/inquiryRefund"
)

// eachSDKProfile runs f as a subtest for each of sdkProfiles (i its index),
// with a caller that talks to h as that SDK does: over TLS for the SDKs
// that do.
func eachSDKProfile(t *testing.T, h gw, f func(t *testing.T, i int, p sdkProfile, c *sdkCaller)) {
	tlsSrv := httptest.NewTLSServer(h.Node().API)
	t.Cleanup(tlsSrv.Close)
	for i, p := range sdkProfiles {
		t.Run(p.name, func(t *testing.T) {
			c := &sdkCaller{h: h, p: p, base: h.URL(), gw: h.GatewayPublicKeys()}
			if p.tls {
				c.base, c.tlsConf = tlsSrv.URL, &tls.Config{InsecureSkipVerify: true} // the Python SDK does not verify TLS either
			}
			f(t, i, p, c)
		})
	}
}
