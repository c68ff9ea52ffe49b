package notify_test

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// fakeNet is a resolver and a dialer for the worker (Worker.Resolver,
// Worker.Dial) that never leave the machine: names resolve to the
// addresses in hosts, and every dial, to whatever address, connects to the
// loopback server at to, or fails as a timeout for the addresses in
// timeout, or waits for the end of its context for those in hang (a
// destination that drops connection requests). It records what was dialled.
type fakeNet struct {
	hosts map[string][]netip.Addr
	to    string // host:port of a loopback server

	mu      sync.Mutex
	timeout map[string]bool // "ip:port" → the dial times out
	hang    map[string]bool // "ip:port" → the dial waits until its context ends
	dialled []string
}

func (f *fakeNet) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f.hosts[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (f *fakeNet) Dial(ctx context.Context, _, address string) (net.Conn, error) {
	f.mu.Lock()
	f.dialled = append(f.dialled, address)
	timeout, hang := f.timeout[address], f.hang[address]
	f.mu.Unlock()
	if hang {
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: ctx.Err()}
	}
	if timeout {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: timeoutError{}}
	}
	return (&net.Dialer{}).DialContext(ctx, "tcp", f.to)
}

func (f *fakeNet) setTimeout(address string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.timeout == nil {
		f.timeout = map[string]bool{}
	}
	f.timeout[address] = on
}

// dials returns how many times address was dialled, or every dial for "".
func (f *fakeNet) dials(address string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if address == "" {
		return len(f.dialled)
	}
	n := 0
	for _, d := range f.dialled {
		if d == address {
			n++
		}
	}
	return n
}

func (f *fakeNet) dialledAddrs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.dialled)
	slices.Sort(out)
	return slices.Compact(out)
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

// enqueueFor adds a notification of client to url, due at due.
func (f *fixture) enqueueFor(tb testing.TB, id, client, url string, due time.Time) {
	tb.Helper()
	err := f.store.Update(context.Background(), func(tx gateway.Tx) error {
		return tx.InsertNotification(&gateway.Notification{ID: id, ClientID: client, Kind: gateway.NotifyPayment,
			PaymentID: "P_" + id, URL: url, Body: []byte(`{}`), CreatedAt: due, DueAt: due})
	})
	if err != nil {
		tb.Fatal(err)
	}
}
