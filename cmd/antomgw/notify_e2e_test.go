//go:build unix

package main

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// notifySink is a merchant's notification endpoint: it verifies each
// notification with the exported gateway key and acknowledges it.
type notifySink struct {
	pub *rsa.PublicKey

	mu        sync.Mutex
	delivered map[string]int // paymentId → deliveries
	invalid   int
}

func (n *notifySink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sh, err := wire.ParseSignatureHeader(r.Header.Get("signature"))
	if err == nil {
		err = wire.Verify(n.pub, wire.SigningContent(r.Method, r.URL.RequestURI(), r.Header.Get("client-id"), r.Header.Get("request-time"), body), sh.Signature)
	}
	var note struct {
		NotifyType string      `json:"notifyType"`
		PaymentID  string      `json:"paymentId"`
		Result     wire.Result `json:"result"`
	}
	json.Unmarshal(body, &note)
	n.mu.Lock()
	defer n.mu.Unlock()
	if err != nil || note.PaymentID == "" || note.Result.Status != wire.StatusSuccess {
		n.invalid++
		http.Error(w, "bad notification", http.StatusBadRequest)
		return
	}
	n.delivered[note.PaymentID]++
	io.WriteString(w, `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`)
}

func (n *notifySink) counts() (distinct, total, invalid int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.delivered {
		total += c
	}
	return len(n.delivered), total, n.invalid
}

// TestE2ENotifications1000: 1,000 payments whose results arrive
// asynchronously (9903) give 1,000 delivered notifications, each validly
// signed, none lost, across a SIGKILL and restart of the server in the
// middle. A repeat delivery of a notification whose acknowledgement was not
// recorded before the kill is allowed (at least once) and counted.
func TestE2ENotifications1000(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binary")
	}
	const total = 1000
	e := newE2E(t)
	m := e.addMerchant("NOTIFY_SHOP")
	pub, _ := e.exportGatewayKey(1)
	sink := &notifySink{pub: pub, delivered: map[string]int{}}
	hook := httptest.NewServer(sink)
	defer hook.Close()
	e.cli("clients", "update", "--data", e.data, "--client-id", m.id, "--notify-url", hook.URL+"/antom/notify")

	flags := []string{"--notify-schedule", "fast", "--sim-delay", "200ms"}
	s := e.start(flags...)
	created := map[string]bool{}
	for i := range total {
		if i == total/2 {
			// Kill it while deliveries and delayed completions are in
			// flight, then restart on the same data.
			s.stop(syscall.SIGKILL)
			s = e.start(flags...)
		}
		a := s.do(m, call{path: "/ams/api/v1/payments/pay", body: payJSON(fmt.Sprintf("NTF_%04d", i), 9903)})
		if a.result.Code != wire.CodePaymentInProcess || a.paymentID == "" {
			s.fatalf("pay %d: got %v paymentId %q, want U PAYMENT_IN_PROCESS with a paymentId", i, a.result, a.paymentID)
		}
		created[a.paymentID] = true
	}
	if len(created) != total {
		t.Fatalf("created %d distinct payments, want %d", len(created), total)
	}
	deadline := time.Now().Add(180 * time.Second)
	for {
		distinct, _, _ := sink.counts()
		if distinct == total {
			break
		}
		if time.Now().After(deadline) {
			s.fatalf("after 180s the merchant has %d of %d notifications", distinct, total)
		}
		time.Sleep(100 * time.Millisecond)
	}
	distinct, deliveries, invalid := sink.counts()
	sink.mu.Lock()
	for id := range sink.delivered {
		if !created[id] {
			t.Errorf("notification for unknown payment %s", id)
		}
	}
	sink.mu.Unlock()
	if invalid != 0 {
		t.Errorf("%d notifications had an invalid signature or body, want 0", invalid)
	}
	t.Logf("payments %d, notifications delivered %d distinct, %d deliveries (%d repeats after the SIGKILL)", total, distinct, deliveries, deliveries-distinct)
	// The store agrees: nothing undelivered is left.
	deadline = time.Now().Add(30 * time.Second)
	for {
		out := e.cli("notifications", "list", "--data", e.data, "--undelivered", "--limit", "2000")
		if lines := strings.Count(strings.TrimSpace(out), "\n"); lines == 0 {
			break
		}
		if time.Now().After(deadline) {
			s.fatalf("notifications list --undelivered still lists:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// payJSON is an AMS v1 in-store PaymentCode pay body.
func payJSON(requestID string, value int64) string {
	return fmt.Sprintf(`{"productCode":"IN_STORE_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":%q},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281012345678"},`+
		`"paymentFactor":{"inStorePaymentScenario":"PaymentCode"}}`, requestID, requestID, value)
}
