package traffic

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

func exchange(client, paymentID string, status wire.Status) *Exchange {
	return &Exchange{
		Method: http.MethodPost, URI: "/ams/api/v1/payments/pay", API: "pay", Family: "v1", ClientID: client,
		RequestHeader: http.Header{"Client-Id": {client}, "Signature": {"algorithm=RSA256,keyVersion=1,signature=abc"}},
		RequestBody:   []byte(`{"paymentRequestId":"REQ-` + paymentID + `","paymentAmount":{"currency":"USD","value":"100"}}`),
		ResponseBody:  []byte(`{"result":{"resultStatus":"` + string(status) + `"},"paymentId":"` + paymentID + `"}`),
		Result:        wire.Result{Status: status, Code: "X"},
	}
}

func TestRingBoundedByCount(t *testing.T) {
	r := NewRing(3, 0)
	for i := range 5 {
		r.Add(exchange("c", fmt.Sprint(i), wire.StatusSuccess))
	}
	got := r.List(Filter{})
	if len(got) != 3 || got[0].ID != 5 || got[2].ID != 3 {
		t.Fatalf("List = %d exchanges from %d, want the newest three, 5 to 3", len(got), got[0].ID)
	}
	if _, ok := r.Get(2); ok {
		t.Error("Get(2) found an exchange the ring dropped")
	}
	if x, ok := r.Get(4); !ok || x.ID != 4 {
		t.Errorf("Get(4) = %v, %v", x, ok)
	}
	if _, ok := r.Get(6); ok {
		t.Error("Get(6) found an exchange not yet added")
	}
	if r.Last() != 5 {
		t.Errorf("Last = %d, want 5", r.Last())
	}
}

func TestRingBoundedByBytes(t *testing.T) {
	big := exchange("c", "big", wire.StatusSuccess)
	big.RequestBody = bytes.Repeat([]byte("x"), 10_000)
	r := NewRing(100, 25_000)
	for range 5 {
		x := *big
		r.Add(&x)
	}
	if n := len(r.List(Filter{})); n != 2 {
		t.Errorf("kept %d exchanges of ~10 KB in 25 KB, want 2", n)
	}
	// One exchange larger than the bound is still kept, alone.
	huge := *big
	huge.RequestBody = bytes.Repeat([]byte("x"), 100_000)
	r.Add(&huge)
	if got := r.List(Filter{}); len(got) != 1 || got[0] != &huge {
		t.Errorf("after an exchange above the bound: %d kept, want it alone", len(got))
	}
}

func TestListFilters(t *testing.T) {
	r := NewRing(0, 0)
	for _, x := range []*Exchange{
		exchange("a", "P1", wire.StatusSuccess),
		exchange("b", "P2", wire.StatusFail),
		exchange("a", "P3", wire.StatusUnknown),
		exchange("a", "P1", wire.StatusSuccess),
	} {
		r.Add(x) // the ring finds the ids when it first hands x out
	}
	if x, _ := r.Get(2); x.PaymentID != "P2" || x.PaymentRequestID != "REQ-P2" {
		t.Errorf("Get(2) ids = %q, %q; want P2, REQ-P2", x.PaymentID, x.PaymentRequestID)
	}
	check := func(what string, f Filter, want ...uint64) {
		t.Helper()
		var got []uint64
		for _, x := range r.List(f) {
			got = append(got, x.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	check("all, newest first", Filter{}, 4, 3, 2, 1)
	check("client", Filter{ClientID: "a"}, 4, 3, 1)
	check("payment", Filter{PaymentID: "P1"}, 4, 1)
	check("request id without its client", Filter{PaymentRequestID: "REQ-P2"})
	check("request id", Filter{ClientID: "b", PaymentRequestID: "REQ-P2"}, 2)
	check("failed", Filter{Failed: true}, 3, 2)
	check("before", Filter{Before: 3}, 2, 1)
	check("limit", Filter{Limit: 1}, 4)
}

func TestFindIDsPrefersPlainBodies(t *testing.T) {
	x := &Exchange{
		RequestBody: []byte("ciphertext"), RequestPlain: []byte(`{"refundRequestId":"R-1","paymentId":"P-9"}`),
		ResponseBody: []byte("ciphertext"), ResponsePlain: []byte(`{"refundId":"RF-1"}`),
	}
	x.FindIDs()
	if x.PaymentID != "P-9" || x.RefundID != "RF-1" || x.RefundRequestID != "R-1" {
		t.Errorf("ids = %q %q %q, want the plain bodies' P-9 RF-1 R-1", x.PaymentID, x.RefundID, x.RefundRequestID)
	}
	if string(x.Request()) != string(x.RequestPlain) || string(x.Response()) != string(x.ResponsePlain) {
		t.Error("Request/Response do not return the plain bodies")
	}
	bad := &Exchange{RequestBody: []byte("not json"), ResponseBody: []byte("[1,2]")}
	bad.FindIDs() // must not panic or set anything
	if bad.PaymentID != "" {
		t.Errorf("ids from bodies that are not objects: %q", bad.PaymentID)
	}
}

// BenchmarkRecord is what keeping one exchange costs the API: finding its
// ids and adding it to a full ring. Compare with wire's BenchmarkSign
// (every answer is signed).
func BenchmarkRecord(b *testing.B) {
	r := NewRing(0, 0)
	base := exchange("client", "20260302093000000000001", wire.StatusSuccess)
	b.ReportAllocs()
	for b.Loop() {
		x := *base
		x.FindIDs()
		r.Add(&x)
	}
}
