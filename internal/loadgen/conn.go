package loadgen

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// targets splits Config.Target, one base URL or several separated by
// commas, into base URLs without a trailing slash.
func targets(target string) []string {
	var out []string
	for t := range strings.SplitSeq(target, ",") {
		if t = strings.TrimRight(strings.TrimSpace(t), "/"); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// checkTarget returns an error for a base URL a workerConn cannot talk to.
func checkTarget(base string) error {
	u, err := url.Parse(base)
	switch {
	case err != nil:
		return fmt.Errorf("target %q: %v", base, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("target %q: the scheme must be http or https", base)
	case u.Host == "":
		return fmt.Errorf("target %q has no host", base)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("target %q: give the base URL without a query", base)
	}
	return nil
}

// workerConn is one worker's keep-alive HTTP/1.1 connection for the timed
// part. The worker writes each request and reads its answer itself, on its
// own goroutine: net/http's client hands every request and answer between
// three goroutines (the caller, the connection's writer and its reader),
// and those hand-offs cost the generator more CPU than building and parsing
// the messages. On one machine every microsecond the generator spends is
// taken from the server it measures.
type workerConn struct {
	prefix  string // the base URL's path, before each request's
	host    string // the Host header
	name    string // the TLS server name
	addr    string // host:port to dial
	tls     bool
	timeout time.Duration

	c    net.Conn
	br   *bufio.Reader
	buf  []byte      // the request being written
	stop func() bool // stops unblocking c when the run's context ends
}

func newWorkerConn(base string, timeout time.Duration) *workerConn {
	u, _ := url.Parse(base) // checked by Config.check
	w := &workerConn{prefix: u.EscapedPath(), host: u.Host, name: u.Hostname(), tls: u.Scheme == "https", timeout: timeout}
	w.addr = u.Host
	if u.Port() == "" {
		port := "80"
		if w.tls {
			port = "443"
		}
		w.addr = net.JoinHostPort(u.Hostname(), port)
	}
	return w
}

// do sends r with the given client id and returns the answer's status,
// headers and body. A transport error closes the connection; the next call
// dials a new one.
func (w *workerConn) do(ctx context.Context, clientID string, r *request) (*http.Response, []byte, error) {
	if w.c == nil {
		if err := w.dial(ctx); err != nil {
			return nil, nil, err
		}
	}
	resp, body, err := w.roundTrip(clientID, r)
	if err != nil {
		w.close()
		return nil, nil, err
	}
	if resp.Close {
		w.close()
	}
	return resp, body, nil
}

func (w *workerConn) dial(ctx context.Context) error {
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	var c net.Conn
	var err error
	if w.tls {
		td := tls.Dialer{NetDialer: &d, Config: &tls.Config{ServerName: w.name, MinVersion: tls.VersionTLS12}}
		c, err = td.DialContext(ctx, "tcp", w.addr)
	} else {
		c, err = d.DialContext(ctx, "tcp", w.addr)
	}
	if err != nil {
		return err
	}
	w.c, w.br = c, bufio.NewReaderSize(c, 8<<10)
	// An interrupted run must not wait for an answer that may never come
	// (Timeout 0 sets no deadline): a deadline in the past unblocks it.
	w.stop = context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	return nil
}

func (w *workerConn) roundTrip(clientID string, r *request) (*http.Response, []byte, error) {
	b := w.buf[:0]
	b = append(b, "POST "...)
	b = append(b, w.prefix...)
	b = append(b, r.path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, w.host...)
	b = append(b, "\r\nContent-Type: application/json; charset=UTF-8\r\nClient-Id: "...)
	b = append(b, clientID...)
	b = append(b, "\r\nRequest-Time: "...)
	b = append(b, r.time...)
	b = append(b, "\r\nSignature: "...)
	b = append(b, r.sig...)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(r.body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, r.body...)
	w.buf = b
	if w.timeout > 0 {
		if err := w.c.SetDeadline(time.Now().Add(w.timeout)); err != nil {
			return nil, nil, err
		}
	}
	if _, err := w.c.Write(b); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(w.br, nil)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the server closed the connection without answering
		}
		return nil, nil, err
	}
	return readBody(resp)
}

// readBody reads and closes resp's body.
func readBody(resp *http.Response) (*http.Response, []byte, error) {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	return resp, body, nil
}

func (w *workerConn) close() {
	if w.c != nil {
		w.stop()
		w.c.Close()
		w.c, w.br, w.stop = nil, nil, nil
	}
}
