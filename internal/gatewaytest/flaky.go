package gatewaytest

import (
	"net/http"
	"sync"
	"time"
)

// Flaky is a notification endpoint that is down for a while: it answers
// the first Fail requests with HTTP 500 and hands the others to Next (a
// Sink, say; nil answers 500 too). It records when each request came, on
// Now (the gateway's clock; time.Now when nil). Set the fields before
// serving; it is safe for concurrent use.
type Flaky struct {
	Fail int
	Next http.Handler
	Now  func() time.Time

	mu sync.Mutex
	at []time.Time
}

func (f *Flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	f.mu.Lock()
	f.at = append(f.at, now())
	n := len(f.at)
	f.mu.Unlock()
	if n <= f.Fail || f.Next == nil {
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
		return
	}
	f.Next.ServeHTTP(w, r)
}

// Calls returns when each request came, in order.
func (f *Flaky) Calls() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.at...)
}
