// Package traffic keeps the recent API exchanges of one gateway process in
// memory, for the console: every call, refused ones included, with its
// request and answer as they went over the wire and, for an encrypted
// call, as they were before encryption. The ring is bounded by count and
// by bytes; the oldest exchanges go first.
package traffic

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// Exchange is one API call as the gateway saw it.
type Exchange struct {
	// ID numbers the exchanges of this process from 1, in arrival order.
	ID uint64
	// At is when the request arrived, on the gateway's clock.
	At time.Time
	// Latency is how long the gateway took to answer, in real time (also
	// on a test clock).
	Latency time.Duration
	// Remote is the client's network address.
	Remote string

	Method, URI string
	// API names the API called ("pay", "inquiryPayment" …); empty when no
	// API is defined at the path.
	API string
	// Family is the path family ("v1", "v2", …); empty with API.
	Family   string
	ClientID string

	// RequestHeader and RequestBody are the request as received.
	RequestHeader http.Header
	RequestBody   []byte
	// RequestPlain is the decrypted request body of an encrypted call; nil
	// when the call was not encrypted or could not be decrypted.
	RequestPlain []byte
	// ResponseHeader and ResponseBody are the answer as sent.
	ResponseHeader http.Header
	ResponseBody   []byte
	// ResponsePlain is the answer before encryption; nil when the answer
	// was not encrypted.
	ResponsePlain []byte

	// Result is the answer's result; Replay is set for an idempotent
	// replay.
	Result wire.Result
	Replay bool

	// Verified is set when the request's signature verified, with the
	// client key version KeyVersion.
	Verified   bool
	KeyVersion int

	// The ids the request or answer names, for finding the exchanges of a
	// payment or refund.
	PaymentID, PaymentRequestID, RefundID, RefundRequestID string

	// RuleID is the scenario rule that shaped the exchange (empty when
	// none did), and Rule says what it did ("F USER_AMOUNT_EXCEED_LIMIT",
	// "drop the answer", "HTTP 503" …). A dropped answer is kept with no
	// ResponseBody; HTTPStatus is the answer's status line (0: 200).
	RuleID, Rule string
	HTTPStatus   int

	idsFound bool // FindIDs ran
}

// Request returns the request body to read: decrypted when it was
// encrypted.
func (x *Exchange) Request() []byte {
	if x.RequestPlain != nil {
		return x.RequestPlain
	}
	return x.RequestBody
}

// Response returns the answer body to read: before encryption when it was
// encrypted.
func (x *Exchange) Response() []byte {
	if x.ResponsePlain != nil {
		return x.ResponsePlain
	}
	return x.ResponseBody
}

// Failed reports whether the answer was not S.
func (x *Exchange) Failed() bool { return x.Result.Status != wire.StatusSuccess }

// size is what the exchange costs the ring, roughly, in bytes.
func (x *Exchange) size() int64 {
	n := len(x.RequestBody) + len(x.RequestPlain) + len(x.ResponseBody) + len(x.ResponsePlain) + len(x.URI) + 512
	for _, h := range []http.Header{x.RequestHeader, x.ResponseHeader} {
		for k, vs := range h {
			for _, v := range vs {
				n += len(k) + len(v)
			}
		}
	}
	return int64(n)
}

// FindIDs fills the id fields from the (plain) bodies, top-level fields
// only. A body that is not a JSON object leaves them alone. A Ring runs it
// when it first hands the exchange out (List, Get), not when it is added:
// parsing both bodies again would cost every request, and most exchanges
// are never looked at.
func (x *Exchange) FindIDs() {
	x.idsFound = true
	var ids struct {
		PaymentID        string `json:"paymentId"`
		PaymentRequestID string `json:"paymentRequestId"`
		RefundID         string `json:"refundId"`
		RefundRequestID  string `json:"refundRequestId"`
	}
	for _, b := range [][]byte{x.Response(), x.Request()} {
		ids.PaymentID, ids.PaymentRequestID, ids.RefundID, ids.RefundRequestID = "", "", "", ""
		if json.Unmarshal(b, &ids) != nil {
			continue
		}
		x.PaymentID = first(x.PaymentID, ids.PaymentID)
		x.PaymentRequestID = first(x.PaymentRequestID, ids.PaymentRequestID)
		x.RefundID = first(x.RefundID, ids.RefundID)
		x.RefundRequestID = first(x.RefundRequestID, ids.RefundRequestID)
	}
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Defaults of NewRing.
const (
	DefaultMaxCount = 1000
	DefaultMaxBytes = 32 << 20
)

// Ring holds the most recent exchanges: at most maxCount, and at most
// maxBytes of them. It is safe for concurrent use.
type Ring struct {
	mu       sync.Mutex
	buf      []*Exchange // oldest first
	bytes    int64
	next     uint64
	maxCount int
	maxBytes int64
}

// NewRing returns an empty ring. A maxCount or maxBytes of 0 or less takes
// the default (DefaultMaxCount, DefaultMaxBytes).
func NewRing(maxCount int, maxBytes int64) *Ring {
	if maxCount <= 0 {
		maxCount = DefaultMaxCount
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	r := &Ring{maxCount: maxCount, maxBytes: maxBytes, next: 1}
	return r
}

// Add numbers x and keeps it, dropping the oldest exchanges past the
// bounds. The ring owns x afterwards: the caller must not change it.
func (r *Ring) Add(x *Exchange) {
	sz := x.size()
	r.mu.Lock()
	defer r.mu.Unlock()
	x.ID = r.next
	r.next++
	r.buf = append(r.buf, x)
	r.bytes += sz
	drop := 0
	for len(r.buf)-drop > r.maxCount || (r.bytes > r.maxBytes && len(r.buf)-drop > 1) {
		r.bytes -= r.buf[drop].size()
		r.buf[drop] = nil
		drop++
	}
	if drop > 0 {
		r.buf = append(r.buf[:0], r.buf[drop:]...)
	}
}

// Filter selects exchanges. Every zero field selects everything.
type Filter struct {
	ClientID string
	// PaymentID selects the exchanges that name the payment by its
	// paymentId, or by its paymentRequestId (PaymentRequestID, with
	// ClientID).
	PaymentID, PaymentRequestID string
	// Failed selects the exchanges whose answer was not S.
	Failed bool
	// Before selects exchanges with an ID below it (the next page).
	Before uint64
	// Limit is the most returned; 0: 100.
	Limit int
}

func (f Filter) match(x *Exchange) bool {
	if f.ClientID != "" && x.ClientID != f.ClientID {
		return false
	}
	if f.PaymentID != "" || f.PaymentRequestID != "" {
		byID := f.PaymentID != "" && x.PaymentID == f.PaymentID
		byReq := f.PaymentRequestID != "" && x.PaymentRequestID == f.PaymentRequestID && x.ClientID == f.ClientID
		if !byID && !byReq {
			return false
		}
	}
	if f.Failed && !x.Failed() {
		return false
	}
	return f.Before == 0 || x.ID < f.Before
}

// List returns the exchanges f selects, newest first.
func (r *Ring) List(f Filter) []*Exchange {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*Exchange
	for i := len(r.buf) - 1; i >= 0 && len(out) < f.Limit; i-- {
		if !r.buf[i].idsFound {
			r.buf[i].FindIDs()
		}
		if f.match(r.buf[i]) {
			out = append(out, r.buf[i])
		}
	}
	return out
}

// Get returns the exchange numbered id, if the ring still holds it.
func (r *Ring) Get(id uint64) (*Exchange, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) == 0 || id < r.buf[0].ID || id >= r.next {
		return nil, false
	}
	x := r.buf[id-r.buf[0].ID]
	if !x.idsFound {
		x.FindIDs()
	}
	return x, true
}

// Last returns the ID of the newest exchange added, 0 before the first. A
// page polls it to learn whether there is anything new.
func (r *Ring) Last() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.next - 1
}
