package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// Resolver looks up the addresses of a host name; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// newClient returns the HTTP client of the worker: every connection is
// opened by dialContext (DNS, the address policy, connect timeout), TLS
// handshakes are bounded by ConnectTimeout, no proxy is used and no
// redirect is followed.
func (w *Worker) newClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil, // never through $HTTP_PROXY: the policy applies to what is dialled
			DialContext:           w.dialContext,
			TLSHandshakeTimeout:   w.ConnectTimeout,
			ResponseHeaderTimeout: w.Timeout,
			MaxIdleConnsPerHost:   w.PerHost,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		// A redirect is a failed attempt: the merchant must answer at the
		// URL it registered. Not following it also means its target is
		// never dialled.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// dialContext opens the connection of an attempt: it resolves the host
// with Resolver, drops every address the policy refuses, and dials the
// others in turn (the IP address itself, so what was checked is what is
// connected to), all within ConnectTimeout.
func (w *Worker) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, w.ConnectTimeout)
	defer cancel()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		resolver := w.Resolver
		if resolver == nil {
			resolver = net.DefaultResolver
		}
		addrs, err = resolver.LookupNetIP(ctx, "ip", host)
		if err == nil && len(addrs) == 0 {
			err = errors.New("no addresses")
		}
		if err != nil {
			return nil, &connectError{addr: host, resolve: true, err: err}
		}
	}
	var refused, failed error
	for _, a := range addrs {
		a = a.Unmap()
		if err := w.checkAddr(a); err != nil {
			if refused == nil {
				refused = err
			}
			continue
		}
		target := net.JoinHostPort(a.String(), port)
		dial := w.Dial
		if dial == nil {
			dial = (&net.Dialer{Control: w.control}).DialContext
		}
		c, err := dial(ctx, network, target)
		if err == nil {
			return c, nil
		}
		failed = &connectError{addr: target, err: err}
		if ctx.Err() != nil {
			break
		}
	}
	if failed != nil {
		return nil, failed
	}
	return nil, refused
}

// control checks, once more, the address the socket connects to.
func (w *Worker) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: not an IP address and port", address)
	}
	return w.checkAddr(ap.Addr())
}

// connectError is a failure to open a connection: resolving the host or
// connecting to one of its addresses.
type connectError struct {
	addr    string // the host name when resolving, else IP:port
	resolve bool
	err     error
}

func (e *connectError) Error() string {
	if e.resolve {
		var de *net.DNSError
		if errors.As(e.err, &de) && de.IsNotFound {
			return fmt.Sprintf("resolve %s: no such host", e.addr)
		}
		return fmt.Sprintf("resolve %s: %v", e.addr, e.err)
	}
	return fmt.Sprintf("connect to %s: %s", e.addr, errnoText(e.err))
}

func (e *connectError) Unwrap() error { return e.err }

func (e *connectError) Timeout() bool {
	return isTimeout(e.err) || errors.Is(e.err, context.DeadlineExceeded)
}

// errnoText is the system's text for a connection error ("connection
// refused"), without the addresses the net package repeats.
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

// failure classifies the error of an attempt that got no answer, in words
// that name no more of what the receiver sent than that it was not an HTTP
// answer: transport errors can quote the bytes a non-HTTP service sends,
// and the error goes to the log and the console.
func (w *Worker) failure(err error) (gateway.AttemptOutcome, string) {
	var re *refusedError
	if errors.As(err, &re) {
		return gateway.OutcomeRefused, re.Error()
	}
	var ce *connectError
	if errors.As(err, &ce) {
		if ce.Timeout() {
			return gateway.OutcomeTimeout, fmt.Sprintf("no connection within %s (%s)", w.ConnectTimeout, ce.addr)
		}
		return gateway.OutcomeConnection, ce.Error()
	}
	if isTimeout(err) || errors.Is(err, context.DeadlineExceeded) {
		if strings.Contains(err.Error(), "TLS handshake timeout") {
			return gateway.OutcomeTimeout, fmt.Sprintf("no TLS handshake within %s", w.ConnectTimeout)
		}
		return gateway.OutcomeTimeout, fmt.Sprintf("no answer within %s", w.Timeout)
	}
	return gateway.OutcomeConnection, describeConnErr(err)
}

// describeConnErr says why a connection that was opened gave no answer.
func describeConnErr(err error) string {
	var (
		hostErr      x509.HostnameError
		authorityErr x509.UnknownAuthorityError
		invalidErr   x509.CertificateInvalidError
		verifyErr    *tls.CertificateVerificationError
		recordErr    tls.RecordHeaderError
		alertErr     tls.AlertError
		errno        syscall.Errno
	)
	switch {
	case errors.As(err, &hostErr):
		return fmt.Sprintf("TLS certificate is not valid for %s", hostErr.Host)
	case errors.As(err, &authorityErr):
		return "TLS certificate signed by an unknown authority"
	case errors.As(err, &invalidErr):
		if invalidErr.Reason == x509.Expired {
			return "TLS certificate expired or not yet valid"
		}
		return "TLS certificate not valid"
	case errors.As(err, &verifyErr):
		return "TLS certificate not accepted"
	case errors.As(err, &recordErr):
		return "the receiver does not speak TLS (is the URL's scheme right?)"
	case errors.As(err, &alertErr):
		return "TLS handshake refused by the receiver: " + alertErr.Error()
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "the receiver answered HTTPS with plain HTTP (is the URL's scheme right?)"
	case strings.Contains(err.Error(), "malformed HTTP"):
		return "the receiver's answer is not HTTP"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the receiver before it answered"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "the receiver closed the connection without answering"
	case errors.As(err, &errno):
		return "connection failed: " + errno.Error()
	}
	return "connection failed before an answer"
}
