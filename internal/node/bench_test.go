package node_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/node"
	"github.com/antomgw/antomgw/wire"
)

// BenchmarkPipelinePay is one pay through the node's whole handler (the
// pipeline, the store, the answer's signature) without the network: the
// requests are signed before the timer starts. Its allocations per pay are
// the pipeline's; subtracting a wire sign from its time leaves the
// non-crypto path:
//
//	go test ./internal/node -run x -bench PipelinePay -benchmem
func BenchmarkPipelinePay(b *testing.B) {
	g := gatewaytest.New(b, gatewaytest.WithConfig(func(c *node.Config) { c.RegistryRefresh = time.Second }))
	h := g.Node().Handler()
	const path = "/ams/api/v1/payments/pay"
	type signed struct {
		body []byte
		time string
		sig  string
	}
	reqs := make([]signed, b.N)
	for i := range reqs {
		id := fmt.Sprintf("BENCH_%d_%d", b.N, i)
		body := fmt.Appendf(nil, `{"productCode":"IN_STORE_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":"O_%s","orderDescription":"bench"},`+
			`"paymentAmount":{"currency":"USD","value":"100"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281012345678"},`+
			`"paymentFactor":{"inStorePaymentScenario":"PaymentCode"}}`, id, id)
		t := g.RequestTime()
		sh, err := wire.Message{Method: http.MethodPost, URI: path, ClientID: g.ClientID(), Time: t, Body: body}.Sign(g.MerchantKey(), 1)
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = signed{body, t, sh.String()}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r, err := http.NewRequest(http.MethodPost, path, bytes.NewReader(reqs[i].body))
		if err != nil {
			b.Fatal(err)
		}
		r.Header = http.Header{"Content-Type": {"application/json; charset=UTF-8"}, "Client-Id": {g.ClientID()},
			"Request-Time": {reqs[i].time}, "Signature": {reqs[i].sig}}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"resultStatus":"S"`)) {
			b.Fatalf("pay %d: HTTP %d %s", i, w.Code, w.Body.Bytes())
		}
	}
}
