package console_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/console"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/traffic"
	"github.com/antomgw/antomgw/wire"
)

// lastExchange is the newest exchange the gateway recorded.
func (h *harness) lastExchange() *traffic.Exchange {
	h.t.Helper()
	x, ok := h.g.Node().Traffic.Get(h.g.Node().Traffic.Last())
	if !ok {
		h.t.Fatal("no exchange recorded")
	}
	return x
}

// TestRequestsBadSignature: a call with a bad signature is listed on the
// requests page, and its page gives the diagnosis antomgw verify gives.
func TestRequestsBadSignature(t *testing.T) {
	h := newHarness(t)
	h.pay("REQ_OK_1", 1000)

	bad := "algorithm=RSA256,keyVersion=1,signature=AAAA"
	rep := h.g.Do(t, gatewaytest.Request{Path: pathPay, Body: payBody("REQ_BAD_1", 1000, "PaymentCode"), Signature: &bad})
	if rep.Result.Code != wire.CodeInvalidSignature {
		t.Fatalf("bad signature answered %s, want INVALID_SIGNATURE", rep.Result)
	}
	short := h.lastExchange().ID

	// Signed by a key the client did not register.
	rep = h.g.Do(t, gatewaytest.Request{Path: pathPay, Body: payBody("REQ_BAD_2", 1000, "PaymentCode"), Key: gatewaytest.OtherMerchantKey()})
	if rep.Result.Code != wire.CodeInvalidSignature {
		t.Fatalf("other key answered %s, want INVALID_SIGNATURE", rep.Result)
	}
	other := h.lastExchange().ID

	list := h.page("/console/requests")
	mustContain(t, "requests page", list.Text, fmt.Sprintf(`href="/console/requests/%d"`, short), "INVALID_SIGNATURE", "pay", "v1",
		"refused (INVALID_SIGNATURE)", "verified with key version 1", `data-live="/console/requests?partial=rows"`)
	failed := h.page("/console/requests?failed=1")
	if n := strings.Count(failed.Body, `<a href="/console/requests/`); n != 2 {
		t.Errorf("failed=1 lists %d exchanges, want the 2 refused ones", n)
	}

	d := h.page(fmt.Sprintf("/console/requests/%d", short))
	mustContain(t, "diagnosis of a 3-byte signature", d.Text,
		"Why the signature was refused", "Key version 1",
		"invalid: the signature does not match the content verified",
		"Content verified:", "Usual causes:",
		"the signature is 3 bytes but this 2048-bit key makes 256-byte signatures",
		`"paymentRequestId":"REQ_BAD_1"`, "Signature", bad)
	d = h.page(fmt.Sprintf("/console/requests/%d", other))
	mustContain(t, "diagnosis of another key's signature", d.Text,
		"the signature was NOT made with this key's private key")

	// No diagnosis for a request that verified.
	ok := h.page(fmt.Sprintf("/console/requests/%d", short-1))
	mustNotContain(t, "an accepted request's page", ok.Text, "Why the signature was refused")
	mustContain(t, "an accepted request's page", ok.Text, "verified with key version 1", `"resultStatus":"S"`)
}

// TestRequestsNoSignatureHeader: the diagnosis says what is missing.
func TestRequestsNoSignatureHeader(t *testing.T) {
	h := newHarness(t)
	none := ""
	h.g.Do(t, gatewaytest.Request{Path: pathPay, Body: payBody("REQ_NOSIG", 1000, "PaymentCode"), Signature: &none})
	d := h.page(fmt.Sprintf("/console/requests/%d", h.lastExchange().ID))
	mustContain(t, "diagnosis", d.Text, "The request has no Signature header")
}

// TestRequestNotKept: a number the ring no longer holds is 404, saying
// so; one it never held is 404 too.
func TestRequestNotKept(t *testing.T) {
	g := gatewaytest.New(t)
	ring := traffic.NewRing(2, 0)
	for range 3 {
		ring.Add(&traffic.Exchange{Method: "POST", URI: pathPay})
	}
	h := serveConsole(t, g, &console.Console{Service: g.Service(), Traffic: ring, Now: g.Now})
	r := h.get("/console/requests/1")
	if r.Status != http.StatusNotFound {
		t.Fatalf("dropped exchange: status %d, want 404", r.Status)
	}
	mustContain(t, "dropped exchange", r.Text, "no longer kept (the console keeps the last 1000 exchanges of this process)")
	if r := h.get("/console/requests/9"); r.Status != http.StatusNotFound {
		t.Errorf("future exchange: status %d, want 404", r.Status)
	}
	h.page("/console/requests/3")
}

// TestRequestsRecordingOff: without a ring the requests page says so.
func TestRequestsRecordingOff(t *testing.T) {
	g := gatewaytest.New(t)
	h := serveConsole(t, g, &console.Console{Service: g.Service(), Now: g.Now})
	mustContain(t, "requests page", h.page("/console/requests").Text, "Recording is off")
	id := h.pay("REQ_NOREC", 1000)
	mustContain(t, "payment page", h.page("/console/payments/"+id).Text, "does not record its API exchanges")
}
