package node

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// connLimiter caps the connections open on a listener at max. When a new
// connection comes at the cap, the open connection that has waited
// longest without a request being served on it — idle since its last
// answer, or still sending a request's headers or body since it was
// accepted — is closed to make room. Connections whose request has
// arrived and is being served (or held) are never closed by the limiter;
// when every connection is such, the new one waits (and with it Accept:
// later connections wait in the kernel's accept queue) until one closes
// or its handler returns. So a flood of slow or idle connections costs the
// gateway at most max connections' memory, a new client is accepted at
// once (it is the newest, so the last to go), and a client that keeps its
// connection busy keeps it. An idle keep-alive connection may be closed
// under such a flood; its client reconnects.
type connLimiter struct {
	max int
	now func() time.Time
	// onEvict, when set, is called after each connection closed to make
	// room.
	onEvict func()

	mu      sync.Mutex
	conns   map[*limitedConn]struct{}
	changed chan struct{} // closed and replaced when a connection closes or its handler returns
	closed  bool
}

func newConnLimiter(max int) *connLimiter {
	return &connLimiter{max: max, now: time.Now, conns: map[*limitedConn]struct{}{}, changed: make(chan struct{})}
}

// limitedConn is a connection the limiter counts.
type limitedConn struct {
	net.Conn
	l         *connLimiter
	busy      int       // requests received in full and being served (HTTP/2 serves several at once)
	finishing bool      // its handlers returned; their answers are still being written
	since     time.Time // when it was accepted or last went idle
	closeOnce sync.Once
	closeErr  error
}

func (c *limitedConn) Close() error {
	c.closeOnce.Do(func() {
		c.l.remove(c)
		c.closeErr = c.Conn.Close()
	})
	return c.closeErr
}

// signal wakes an admit that waits. The caller holds mu.
func (l *connLimiter) signal() {
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *connLimiter) remove(c *limitedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.conns[c]; ok {
		delete(l.conns, c)
		l.signal()
	}
}

// open returns how many connections are open.
func (l *connLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// enter marks a request of c received in full; leave marks its handler
// returned (entered says whether enter was called for it). The connection
// stays off the eviction list until net/http has written the answer and
// reports the connection idle (connState): an answer still in its buffers
// when the handler returns must not be cut off.
func (l *connLimiter) enter(c *limitedConn) {
	l.mu.Lock()
	c.busy++
	l.mu.Unlock()
}

func (l *connLimiter) leave(c *limitedConn, entered bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if entered {
		c.busy--
	}
	if c.busy == 0 {
		c.finishing = true
	}
}

// connState is the server's ConnState hook: a connection reported idle
// (its answers written) or gone is a candidate for eviction again, from
// now.
func (l *connLimiter) connState(nc net.Conn, state http.ConnState) {
	if state != http.StateIdle && state != http.StateClosed && state != http.StateHijacked {
		return
	}
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	c, ok := nc.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.busy == 0 {
		c.finishing = false
		c.since = l.now()
		l.signal()
	}
}

// victim returns the connection that has waited longest without a request
// being served; nil when every one is serving. The caller holds mu.
func (l *connLimiter) victim() *limitedConn {
	var oldest *limitedConn
	for c := range l.conns {
		if c.busy == 0 && !c.finishing && (oldest == nil || c.since.Before(oldest.since)) {
			oldest = c
		}
	}
	return oldest
}

// admit counts c, first making room at the cap (see connLimiter). It
// returns false when the listener closes while c waits.
func (l *connLimiter) admit(c *limitedConn) bool {
	l.mu.Lock()
	for len(l.conns) >= l.max {
		if l.closed {
			l.mu.Unlock()
			return false
		}
		if v := l.victim(); v != nil {
			delete(l.conns, v)
			l.mu.Unlock()
			v.Close()
			if l.onEvict != nil {
				l.onEvict()
			}
			l.mu.Lock()
			continue
		}
		changed := l.changed
		l.mu.Unlock()
		<-changed
		l.mu.Lock()
	}
	c.since = l.now()
	l.conns[c] = struct{}{}
	l.mu.Unlock()
	return true
}

func (l *connLimiter) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.signal()
}

// listener wraps ln so that its connections are counted and capped.
func (l *connLimiter) listener(ln net.Listener) net.Listener {
	return &limitListener{Listener: ln, l: l}
}

type limitListener struct {
	net.Listener
	l *connLimiter
}

func (ll *limitListener) Accept() (net.Conn, error) {
	c, err := ll.Listener.Accept()
	if err != nil {
		return nil, err
	}
	lc := &limitedConn{Conn: c, l: ll.l}
	if !ll.l.admit(lc) {
		c.Close()
		return nil, net.ErrClosed
	}
	return lc, nil
}

func (ll *limitListener) Close() error {
	ll.l.close()
	return ll.Listener.Close()
}

// connKey is the context key of a request's *limitedConn.
type connKey struct{}

// connContext is the server's ConnContext: it puts the limiter's
// connection in the context of the requests it carries.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if lc, ok := c.(*limitedConn); ok {
		return context.WithValue(ctx, connKey{}, lc)
	}
	return ctx
}

// handler marks each request's connection busy from when the request's
// body has been read to its end until h returns: a request still arriving
// (a slow body) leaves its connection a candidate for eviction.
func (l *connLimiter) handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lc, ok := r.Context().Value(connKey{}).(*limitedConn)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		body := &arrivedBody{ReadCloser: r.Body, arrived: func() { l.enter(lc) }}
		r.Body = body
		defer func() { l.leave(lc, body.done) }()
		h.ServeHTTP(w, r)
	})
}

// arrivedBody calls arrived once, when the body has been read to its end.
type arrivedBody struct {
	io.ReadCloser
	arrived func()
	done    bool
}

func (b *arrivedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		b.arrived()
	}
	return n, err
}
