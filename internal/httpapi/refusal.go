package httpapi

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// Refusals before authentication (an unknown Client-Id, a missing or bad
// signature, bad headers, a wrong method or path) cost the gateway an RSA
// signature each (about 1.5 ms of a core), and anyone can send them. So
// they draw on a budget, a token bucket of Server.RefusalRate a second over
// all clients. Within it a refusal is answered as usual: signed, with its
// own result code and message. Beyond it the request gets
// U REQUEST_TRAFFIC_EXCEED_LIMIT (nothing was checked or done: retry later)
// from a small cache of answers signed ahead, one per method, path, client
// id and gateway key version, each re-signed when it is a second old so its
// response-time stays current. A request the cache cannot answer
// (a new combination while the cache's own signing budget, a tenth of the
// refusal rate, is spent, or a path too long to keep) gets its connection
// closed without an answer. Either comes after overLimitDelay: a flooding
// connection, which waits for each answer before it sends again, is slowed
// to a few requests a second, so that it cannot take the CPU from paying
// clients with cheap answers either. The refusals within the budget are
// signed one at a time, so that they never hold both of a small machine's
// cores while a paying client waits. Requests whose signature verified
// never draw on the budget, whatever they are answered.

// refusalCacheSize is how many pre-signed over-limit answers are kept.
const refusalCacheSize = 64

// refusalCacheMaxKey bounds the method, path and client id of a cached
// answer, so that the cache stays small whatever is sent.
const refusalCacheMaxKey = 512

// refusalCacheTTL is how long a cached answer is served: its response-time
// is at most this old on the gateway's clock.
const refusalCacheTTL = time.Second

// overLimitDelay is how long a refusal beyond the budget waits before it
// is answered or its connection closed.
const overLimitDelay = 100 * time.Millisecond

// refusalWarnEvery is the least time between two log lines about refusals
// over the budget.
const refusalWarnEvery = 10 * time.Second

// overLimitMessage is the resultMessage of an over-limit refusal.
const overLimitMessage = "Too many requests failing before authentication (unknown client, bad signature or headers) reach the gateway; " +
	"this request was not checked and nothing was done. Retry the same request later."

// tokenBucket is a token bucket on an injected clock: rate tokens a second,
// at most burst kept. The zero value of last means full. Not safe for
// concurrent use.
type tokenBucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

// take takes a token at now and reports whether there was one. A clock
// that goes back adds nothing.
func (b *tokenBucket) take(now time.Time) bool {
	switch {
	case b.last.IsZero():
		b.tokens, b.last = b.burst, now
	case now.After(b.last):
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// refusalKey is what a cached over-limit answer is signed over, besides
// its body and response-time.
type refusalKey struct {
	method, uri, clientID string
	keyVersion            int
}

// cachedRefusal is an over-limit answer, signed: the headers to send and
// the body.
type cachedRefusal struct {
	at     time.Time // response-time, on the gateway's clock
	header http.Header
	body   []byte
}

// refusalLimiter is the budget of refusals before authentication and the
// cache of over-limit answers. It is safe for concurrent use.
type refusalLimiter struct {
	tick func() time.Time // the budget's clock: real time

	signing chan struct{} // held while a refusal is signed

	mu     sync.Mutex
	budget tokenBucket // refusals answered in full
	fills  tokenBucket // signatures for the cache
	cache  map[refusalKey]*cachedRefusal

	// counts since the last warning, and when it was
	cached, closed int
	warned         time.Time
}

func newRefusalLimiter(rate, burst int, tick func() time.Time) *refusalLimiter {
	if burst <= 0 {
		burst = rate
	}
	fill := max(1, float64(rate)/10)
	return &refusalLimiter{
		tick:    tick,
		signing: make(chan struct{}, 1),
		budget:  tokenBucket{rate: float64(rate), burst: float64(burst)},
		fills:   tokenBucket{rate: fill, burst: max(fill, min(refusalCacheSize, float64(burst)/10))},
		cache:   map[refusalKey]*cachedRefusal{},
	}
}

// allow takes a refusal from the budget and reports whether there was one.
func (l *refusalLimiter) allow() bool {
	now := l.tick()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.budget.take(now)
}

// lookup returns the cached answer for k when it is fresh at now (the
// gateway's clock).
func (l *refusalLimiter) lookup(k refusalKey, now time.Time) *cachedRefusal {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.cache[k]
	if c == nil || !fresh(c.at, now) {
		return nil
	}
	return c
}

func fresh(at, now time.Time) bool {
	age := now.Sub(at)
	return age >= 0 && age < refusalCacheTTL
}

// mayFill takes a token of the cache's signing budget.
func (l *refusalLimiter) mayFill() bool {
	now := l.tick()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fills.take(now)
}

// store keeps c under k, making room by dropping a stale answer, or else
// the oldest.
func (l *refusalLimiter) store(k refusalKey, c *cachedRefusal) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.cache[k]; !ok && len(l.cache) >= refusalCacheSize {
		var drop *refusalKey
		var oldest time.Time
		for ok, oc := range l.cache {
			if !fresh(oc.at, c.at) {
				drop = &ok
				break
			}
			if drop == nil || oc.at.Before(oldest) {
				drop, oldest = &ok, oc.at
			}
		}
		delete(l.cache, *drop)
	}
	l.cache[k] = c
}

// count counts an over-limit refusal, answered from the cache or closed,
// and returns the counts to log when a warning is due.
func (l *refusalLimiter) count(closed bool) (cached, closedN int, warn bool) {
	now := l.tick()
	l.mu.Lock()
	defer l.mu.Unlock()
	if closed {
		l.closed++
	} else {
		l.cached++
	}
	if !l.warned.IsZero() && now.Sub(l.warned) < refusalWarnEvery {
		return 0, 0, false
	}
	cached, closedN = l.cached, l.closed
	l.cached, l.closed, l.warned = 0, 0, now
	return cached, closedN, true
}

// refusals returns the server's refusal budget; nil when refusals are not
// limited.
func (s *Server) refusals() *refusalLimiter {
	if s.RefusalRate <= 0 {
		return nil
	}
	s.refusalOnce.Do(func() {
		tick := s.refusalClock
		if tick == nil {
			tick = time.Now
		}
		s.refusalLimit = newRefusalLimiter(s.RefusalRate, s.RefusalBurst, tick)
	})
	return s.refusalLimit
}

func (s *Server) overLimitDelay() time.Duration {
	if s.overLimitWait != nil {
		return *s.overLimitWait
	}
	return overLimitDelay
}

// preAuthRefusal reports whether err is a refusal of a request whose
// signature has not verified: one that draws on the refusal budget.
func preAuthRefusal(err error, x *exchange) bool {
	var rf *refusal
	return x.verifiedVer == 0 && errors.As(err, &rf)
}

// refuseOverLimit answers a refusal beyond the budget: the cached signed
// U REQUEST_TRAFFIC_EXCEED_LIMIT when there is one (or one can be signed
// within the cache's budget), otherwise it closes the connection.
func (s *Server) refuseOverLimit(w http.ResponseWriter, r *http.Request, x *exchange, l *refusalLimiter) {
	c := s.overLimitAnswer(r, x, l)
	if d := s.overLimitDelay(); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		t.Stop()
	}
	cached, closed, warn := l.count(c == nil)
	if warn {
		s.log().Warn("refusals before authentication are over --refusal-rate: answering U REQUEST_TRAFFIC_EXCEED_LIMIT from a cache of signed answers, or closing the connection",
			"refusal_rate", s.RefusalRate, "answered_from_cache", cached, "closed", closed, "since", refusalWarnEvery)
	}
	if c == nil {
		if s.Metrics != nil {
			s.Metrics.overLimit.WithLabelValues("closed").Inc()
		}
		// Abort the handler: net/http closes the connection (HTTP/1) or
		// resets the stream (HTTP/2) without an answer, and logs nothing.
		panic(http.ErrAbortHandler)
	}
	h := w.Header()
	for k, v := range c.header {
		h[k] = v
	}
	x.responded = true
	w.WriteHeader(http.StatusOK)
	w.Write(c.body)
	if s.Metrics != nil {
		s.Metrics.overLimit.WithLabelValues("cached").Inc()
		api := "unknown"
		if x.routed {
			api = string(x.route.api)
		}
		s.Metrics.observe(api, overLimitResult, time.Since(x.began))
	}
}

var overLimitResult = wire.NewResult(wire.CodeRequestTrafficExceed, overLimitMessage)

// overLimitBody is the body of every over-limit answer.
var overLimitBody = mustJSON(struct {
	Result wire.Result `json:"result"`
}{overLimitResult})

// overLimitAnswer returns the signed over-limit answer for the request
// from the cache, signing it when it is missing or stale and the cache's
// budget allows; nil when it cannot answer.
func (s *Server) overLimitAnswer(r *http.Request, x *exchange, l *refusalLimiter) *cachedRefusal {
	if len(r.Method)+len(x.uri)+len(x.clientID) > refusalCacheMaxKey {
		return nil
	}
	key, ver, err := x.keys.SigningKey(x.clientID)
	if err != nil {
		return nil
	}
	k := refusalKey{method: r.Method, uri: x.uri, clientID: x.clientID, keyVersion: ver}
	now := s.now()
	if c := l.lookup(k, now); c != nil {
		return c
	}
	if !l.mayFill() {
		return nil
	}
	// The gateway's clock to the millisecond, as response-time says it.
	at := now.Truncate(time.Millisecond)
	h := http.Header{"Content-Type": {"application/json; charset=UTF-8"}}
	m := wire.Message{Method: r.Method, URI: x.uri, ClientID: x.clientID, Time: wire.FormatTime(at), Body: overLimitBody}
	l.signing <- struct{}{}
	err = m.WriteHeaders(h, wire.Answer, key, ver)
	<-l.signing
	if err != nil {
		s.log().Error("sign response", "err", err)
		return nil
	}
	c := &cachedRefusal{at: at, header: h, body: overLimitBody}
	l.store(k, c)
	return c
}
