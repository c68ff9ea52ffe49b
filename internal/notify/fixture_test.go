package notify_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/notify"
	"github.com/antomgw/antomgw/internal/sqlite"
	"github.com/antomgw/antomgw/wire"
)

// t0 is when every fixture's clock starts. It is in the past, so that
// notifications enqueued at it are due for a worker on the real clock too.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// received is one notification as the merchant saw it.
type received struct {
	path    string
	body    []byte
	reqTime string
	valid   bool
}

// merchant is a fake merchant endpoint that verifies every notification
// with the gateway key and answers with respond(n) for the n-th (1-based).
type merchant struct {
	mu      sync.Mutex
	got     []received
	pub     *rsa.PublicKey
	respond func(n int, w http.ResponseWriter)
}

func (m *merchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	valid := false
	if sh, err := wire.ParseSignatureHeader(r.Header.Get("signature")); err == nil {
		valid = wire.Verify(m.pub, wire.SigningContent(r.Method, r.URL.RequestURI(), r.Header.Get("client-id"), r.Header.Get("request-time"), body), sh.Signature) == nil
	}
	m.mu.Lock()
	m.got = append(m.got, received{path: r.URL.RequestURI(), body: body, reqTime: r.Header.Get("request-time"), valid: valid})
	n := len(m.got)
	m.mu.Unlock()
	m.respond(n, w)
}

func (m *merchant) received() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.got...)
}

func ack(w http.ResponseWriter) {
	io.WriteString(w, `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`)
}

type fixture struct {
	store   *sqlite.Store
	keyring *gateway.Keyring
	pub     *rsa.PublicKey
	clock   *gatewaytest.Clock // stopped; the test moves it
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "n.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	key := gatewaytest.GatewayKey()
	c := gatewaytest.NewClock(t0)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	if _, err := st.AddGatewayKey(context.Background(), der, c.Now(), false); err != nil {
		tb.Fatal(err)
	}
	return &fixture{store: st, keyring: &gateway.Keyring{Store: st}, pub: &key.PublicKey, clock: c}
}

// enqueue adds a notification due now by the fixture's clock.
func (f *fixture) enqueue(tb testing.TB, id, url string, body string) {
	tb.Helper()
	now := f.clock.Now()
	err := f.store.Update(context.Background(), func(tx gateway.Tx) error {
		return tx.InsertNotification(&gateway.Notification{ID: id, ClientID: "C1", Kind: gateway.NotifyPayment,
			PaymentID: "P_" + id, URL: url, Body: []byte(body), CreatedAt: now, DueAt: now})
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// worker sets w up to work on the fixture's store, on its clock.
func (f *fixture) worker(w *notify.Worker) *notify.Worker {
	w.Store, w.Keyring, w.Now = f.store, f.keyring, f.clock.Now
	return w
}

// deliverDue runs w.DeliverDue and checks it made want attempts.
func (f *fixture) deliverDue(tb testing.TB, w *notify.Worker, want int) {
	tb.Helper()
	n, err := w.DeliverDue(context.Background())
	if err != nil {
		tb.Fatalf("DeliverDue at %s: %v", f.clock.Now().Sub(t0), err)
	}
	if n != want {
		tb.Fatalf("DeliverDue at t0+%s made %d attempts, want %d", f.clock.Now().Sub(t0), n, want)
	}
}

// running is a Worker.Run in progress.
type running struct {
	cancel context.CancelFunc // ends Run's context
	done   chan struct{}      // closed when Run has returned
}

// stop ends Run's context and waits for Run to return.
func (r *running) stop(tb testing.TB) {
	tb.Helper()
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		tb.Fatal("Run did not return within 10s of its context ending")
	}
}

// run starts w.Run on the fixture's store, on the real clock; it is
// stopped when the test ends, if not before.
func (f *fixture) run(tb testing.TB, w *notify.Worker) *running {
	tb.Helper()
	w.Store, w.Keyring = f.store, f.keyring
	if w.Poll == 0 {
		w.Poll = 5 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan struct{})}
	go func() { w.Run(ctx); close(r.done) }()
	tb.Cleanup(func() { cancel(); <-r.done })
	return r
}

// waitFor polls cond until it holds or the deadline passes. Only tests of
// Run itself use it; the others move the clock and call DeliverDue.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	if !gatewaytest.WaitFor(10*time.Second, cond) {
		tb.Fatalf("timed out waiting for %s", what)
	}
}

// within waits for ch to be closed or to deliver a value.
func within[T any](tb testing.TB, what string, ch <-chan T) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		tb.Fatalf("timed out waiting for %s", what)
	}
	panic("unreachable")
}

func (f *fixture) notification(tb testing.TB, id string) *gateway.Notification {
	tb.Helper()
	n, err := f.store.Notification(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func (f *fixture) attempts(tb testing.TB, id string) []gateway.Attempt {
	tb.Helper()
	a, err := f.store.NotificationAttempts(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}
