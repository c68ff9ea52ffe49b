package node

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// pipeListener hands out the server ends of net.Pipe connections the
// test makes.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (p *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.closed:
		return nil, net.ErrClosed
	}
}

func (p *pipeListener) Close() error   { p.once.Do(func() { close(p.closed) }); return nil }
func (p *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// limiterRig is a connLimiter on a fake clock.
type limiterRig struct {
	t      *testing.T
	l      *connLimiter
	ln     net.Listener
	pipes  *pipeListener
	mu     sync.Mutex
	now    time.Time
	evicts int
}

func newLimiterRig(t *testing.T, max int) *limiterRig {
	r := &limiterRig{t: t, pipes: newPipeListener(), now: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}
	r.l = newConnLimiter(max)
	r.l.now = func() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.now }
	r.l.onEvict = func() { r.mu.Lock(); r.evicts++; r.mu.Unlock() }
	r.ln = r.l.listener(r.pipes)
	return r
}

func (r *limiterRig) step(d time.Duration) {
	r.mu.Lock()
	r.now = r.now.Add(d)
	r.mu.Unlock()
}

func (r *limiterRig) evicted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.evicts
}

// dial makes a connection; its server end goes to the listener's next
// Accept, which the returned channel gives.
func (r *limiterRig) dial() (client net.Conn, accepted <-chan net.Conn) {
	srv, cli := net.Pipe()
	out := make(chan net.Conn, 1)
	go func() {
		c, err := r.ln.Accept()
		if err != nil {
			close(out)
			return
		}
		out <- c
	}()
	r.pipes.conns <- srv
	r.t.Cleanup(func() { cli.Close() })
	return cli, out
}

// failsafe bounds a wait that should end at once; it is not a timing
// assertion.
const failsafe = 10 * time.Second

func (r *limiterRig) mustAccept(ch <-chan net.Conn, what string) *limitedConn {
	r.t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			r.t.Fatalf("%s: Accept failed", what)
		}
		return c.(*limitedConn)
	case <-time.After(failsafe):
		r.t.Fatalf("%s: not accepted", what)
	}
	return nil
}

// notAccepted fails if Accept gives the connection within a moment: a
// check that can miss a wrong admission, never invent one.
func (r *limiterRig) notAccepted(ch <-chan net.Conn, what string) {
	r.t.Helper()
	select {
	case <-ch:
		r.t.Fatalf("%s: accepted over the cap", what)
	case <-time.After(20 * time.Millisecond):
	}
}

// closedByServer reports whether the server closed c's peer.
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(failsafe))
	_, err := c.Read(make([]byte, 1))
	// A close with bytes the server had not read yet arrives as a reset.
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, syscall.ECONNRESET)
}

// TestConnLimiterEvictsLongestWaiting: at the cap a new connection is
// admitted at once by closing the one that has waited longest without a
// request being served; connections serving a request are never closed;
// when all are, the new one waits until one closes or its handler returns.
func TestConnLimiterEvictsLongestWaiting(t *testing.T) {
	r := newLimiterRig(t, 3)
	var clients [3]net.Conn
	var conns [3]*limitedConn
	for i := range 3 {
		var ch <-chan net.Conn
		clients[i], ch = r.dial()
		conns[i] = r.mustAccept(ch, "under the cap")
		r.step(100 * time.Millisecond)
	}
	if r.l.open() != 3 {
		t.Fatalf("%d open, want 3", r.l.open())
	}
	// conns[0], the oldest, serves a request: conns[1] goes.
	r.l.enter(conns[0])
	_, ch := r.dial()
	conn3 := r.mustAccept(ch, "4th at the cap")
	if !closedByServer(clients[1]) {
		t.Errorf("the connection waiting longest was not closed")
	}
	if r.evicted() != 1 || r.l.open() != 3 {
		t.Errorf("evicted %d, open %d; want 1, 3", r.evicted(), r.l.open())
	}
	// conns[0]'s handler returns: it has waited since then, less than
	// conns[2], which goes for the next.
	r.step(100 * time.Millisecond)
	r.l.leave(conns[0], true)
	r.l.connState(conns[0], http.StateIdle) // net/http wrote its answer
	r.step(100 * time.Millisecond)
	_, ch = r.dial()
	conn4 := r.mustAccept(ch, "5th at the cap")
	if !closedByServer(clients[2]) {
		t.Errorf("the connection waiting longest was not closed (not the one whose handler just returned)")
	}

	// Every connection serving: a 6th waits; one closing by itself makes
	// room, nobody is evicted.
	for _, c := range []*limitedConn{conns[0], conn3, conn4} {
		r.l.enter(c)
	}
	_, ch = r.dial()
	r.notAccepted(ch, "6th, all serving")
	conn3.Close()
	conn5 := r.mustAccept(ch, "6th after a close")
	if r.evicted() != 2 || r.l.open() != 3 {
		t.Errorf("evicted %d, open %d; want 2, 3", r.evicted(), r.l.open())
	}
	// A handler returning makes its connection the one to go, once its
	// answer is written (net/http reports the connection idle), not
	// before: an answer still in net/http's buffers is never cut off.
	r.l.enter(conn5)
	_, ch = r.dial()
	r.notAccepted(ch, "7th, all serving")
	r.l.leave(conn4, true)
	r.notAccepted(ch, "7th, a handler returned but its answer is not written yet")
	r.l.connState(conn4, http.StateIdle)
	conn7 := r.mustAccept(ch, "7th after an answer was written")
	if r.evicted() != 3 || r.l.open() != 3 {
		t.Errorf("evicted %d, open %d; want 3, 3", r.evicted(), r.l.open())
	}

	// Closing the listener ends a waiting Accept, and closes the
	// connection that waited.
	r.l.enter(conn7)
	c8, ch := r.dial()
	r.notAccepted(ch, "8th, all serving")
	r.ln.Close()
	select {
	case c, ok := <-ch:
		if ok {
			t.Errorf("Accept gave %v after the listener closed", c)
		}
	case <-time.After(failsafe):
		t.Fatal("a waiting Accept did not end when the listener closed")
	}
	if !closedByServer(c8) {
		t.Errorf("the connection waiting at the close was not closed")
	}
}

// TestConnLimiterSlowBody: over HTTP on loopback, a connection still
// sending its request body is closed for a new one at the cap, while one
// whose request arrived and is being served is kept.
func TestConnLimiterSlowBody(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newConnLimiter(2)
	release := make(chan struct{})
	serving := make(chan struct{}, 1)
	srv := &http.Server{ConnContext: connContext, ConnState: l.connState, Handler: l.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		if r.URL.Path == "/hold" {
			serving <- struct{}{}
			<-release
		}
		io.WriteString(w, "ok")
	}))}
	go srv.Serve(l.listener(ln))
	t.Cleanup(func() { srv.Close() })

	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// A: a body of 10 bytes, 5 sent.
	a := dial()
	io.WriteString(a, "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
	// B: a whole request, held in its handler.
	b := dial()
	io.WriteString(b, "POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	select {
	case <-serving:
	case <-time.After(failsafe):
		t.Fatal("the held request was not served")
	}
	// A's request has reached its handler too (it reads the body) before
	// C comes: wait until both are counted.
	for deadline := time.Now().Add(failsafe); l.open() < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	// C: a new connection at the cap closes A.
	c := dial()
	io.WriteString(c, "GET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(failsafe))
	if line, err := readLine(c); err != nil || line != "HTTP/1.1 200 OK" {
		t.Fatalf("C: %q %v, want HTTP/1.1 200 OK", line, err)
	}
	if !closedByServer(a) {
		t.Errorf("the connection sending its body slowly was not closed")
	}
	close(release)
	b.SetReadDeadline(time.Now().Add(failsafe))
	if line, err := readLine(b); err != nil || line != "HTTP/1.1 200 OK" {
		t.Errorf("B, held while C came: %q %v, want HTTP/1.1 200 OK", line, err)
	}
}

func readLine(c net.Conn) (string, error) {
	var line []byte
	buf := make([]byte, 1)
	for {
		if _, err := c.Read(buf); err != nil {
			return string(line), err
		}
		if buf[0] == '\n' {
			return strings.TrimSuffix(string(line), "\r"), nil
		}
		line = append(line, buf[0])
	}
}

// TestLimitsCheck: the flags' limits are checked with the flag named.
func TestLimitsCheck(t *testing.T) {
	ok := Limits{ReadHeaderTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, IdleTimeout: time.Second, MaxConns: 1}
	if err := ok.Check(); err != nil {
		t.Fatalf("Check(%+v) = %v", ok, err)
	}
	for _, c := range []struct {
		change func(*Limits)
		want   string
	}{
		{func(l *Limits) { l.ReadHeaderTimeout = 0 }, "--read-header-timeout 0s: want a positive duration"},
		{func(l *Limits) { l.ReadTimeout = -time.Second }, "--read-timeout -1s: want a positive duration"},
		{func(l *Limits) { l.IdleTimeout = 0 }, "--idle-timeout 0s: want a positive duration"},
		{func(l *Limits) { l.WriteTimeout = -1 }, "--write-timeout -1ns: want a positive duration"},
		{func(l *Limits) { l.MaxConns = 0 }, "--max-conns 0: want a positive number"},
		{func(l *Limits) { l.ReadHeaderTimeout = 2 * time.Second }, "--read-timeout 1s is shorter than --read-header-timeout 2s; a request's whole read includes its headers"},
	} {
		l := ok
		c.change(&l)
		if err := l.Check(); err == nil || err.Error() != c.want {
			t.Errorf("Check(%+v) = %v, want %q", l, err, c.want)
		}
	}
	d := Limits{}.withDefaults()
	if d.WriteTimeout != DefaultWriteTimeout || d.ReadHeaderTimeout != DefaultReadHeaderTimeout || d.ReadTimeout != DefaultReadTimeout ||
		d.IdleTimeout != DefaultIdleTimeout || d.MaxConns != DefaultMaxConns {
		t.Errorf("defaults: %+v", d)
	}
}
