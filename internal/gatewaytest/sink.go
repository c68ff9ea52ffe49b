package gatewaytest

import (
	"crypto/rsa"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/wire"
)

// Sink is a merchant's notification endpoint for tests, to serve with
// httptest.NewServer: it verifies each notification with the gateway's
// public keys (antomgw.ParseNotification), records the payment result it
// carries and acknowledges it. A notification that does not verify, or is
// not a payment result with a paymentId and a valid result status, is
// answered 400 and counted as invalid. It is safe for concurrent use.
type Sink struct {
	keys map[int]*rsa.PublicKey

	mu        sync.Mutex
	delivered map[string]int         // paymentId → deliveries
	status    map[string]wire.Status // paymentId → result status of the last one
	invalid   []string
}

// NewSink returns a Sink that verifies notifications with the gateway's
// public keys by version. The map is read as notifications arrive; do not
// change it then.
func NewSink(gatewayKeys map[int]*rsa.PublicKey) *Sink {
	return &Sink{keys: gatewayKeys, delivered: map[string]int{}, status: map[string]wire.Status{}}
}

func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, err := antomgw.ParseNotification(r, s.keys)
	if err == nil && (n.Kind != antomgw.KindPayment || n.Payment.PaymentID == "" || !n.Payment.Result.Status.Valid()) {
		err = fmt.Errorf("unexpected notification %s", clip(string(n.Body), 200))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.invalid = append(s.invalid, err.Error())
		http.Error(w, "bad notification", http.StatusBadRequest)
		return
	}
	s.delivered[n.Payment.PaymentID]++
	s.status[n.Payment.PaymentID] = n.Payment.Result.Status
	antomgw.WriteNotificationAck(w)
}

// Counts returns how many payments were notified, how many deliveries
// there were (repeats included) and why each invalid notification was
// refused.
func (s *Sink) Counts() (payments, deliveries int, invalid []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.delivered {
		deliveries += c
	}
	return len(s.delivered), deliveries, slices.Clone(s.invalid)
}

// Deliveries returns how many times each payment (by paymentId) was
// notified.
func (s *Sink) Deliveries() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.delivered)
}

// Missing returns, sorted, the paymentIds of want whose notification has
// not arrived, or whose last one carried another result status than want
// says.
func (s *Sink) Missing(want map[string]wire.Status) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, st := range want {
		if s.delivered[id] == 0 || s.status[id] != st {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
