package notify_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/notify"
	"github.com/antomgw/antomgw/internal/sqlite"
	"github.com/antomgw/antomgw/wire"
)

// received is one notification as the merchant saw it.
type received struct {
	at      time.Time
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
	m.got = append(m.got, received{at: time.Now(), path: r.URL.RequestURI(), body: body, reqTime: r.Header.Get("request-time"), valid: valid})
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
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "n.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	data, err := os.ReadFile("../httpapi/testdata/gateway-test-only.pem")
	if err != nil {
		tb.Fatal(err)
	}
	key, err := wire.ParsePrivateKey(data)
	if err != nil {
		tb.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	if _, err := st.AddGatewayKey(context.Background(), der, time.Now(), false); err != nil {
		tb.Fatal(err)
	}
	return &fixture{store: st, keyring: &gateway.Keyring{Store: st}, pub: &key.PublicKey}
}

func (f *fixture) enqueue(tb testing.TB, id, url string, body string) {
	tb.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	err := f.store.Update(context.Background(), func(tx gateway.Tx) error {
		return tx.InsertNotification(&gateway.Notification{ID: id, ClientID: "C1", Kind: gateway.NotifyPayment,
			PaymentID: "P_" + id, URL: url, Body: []byte(body), CreatedAt: now, DueAt: now})
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func (f *fixture) run(tb testing.TB, w *notify.Worker) {
	tb.Helper()
	w.Store, w.Keyring = f.store, f.keyring
	if w.Poll == 0 {
		w.Poll = 20 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *fixture) notification(tb testing.TB, id string) *gateway.Notification {
	tb.Helper()
	n, err := f.store.Notification(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestFastScheduleFourthAttempt: a merchant that fails the first 3 attempts
// gets the notification on the 4th, each attempt at (or after) its
// scheduled time, each signed afresh over the same body.
func TestFastScheduleFourthAttempt(t *testing.T) {
	f := newFixture(t)
	m := &merchant{pub: f.pub, respond: func(n int, w http.ResponseWriter) {
		if n <= 3 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		ack(w)
	}}
	srv := httptest.NewServer(m)
	defer srv.Close()
	body := `{"notifyType":"PAYMENT_RESULT","paymentId":"P_1"}`
	f.enqueue(t, "N1", srv.URL+"/hooks/antom?shop=1", body)
	f.run(t, &notify.Worker{Schedule: gateway.FastSchedule, AllowPrivate: true})

	waitFor(t, "delivery", func() bool { return !f.notification(t, "N1").DeliveredAt.IsZero() })
	got := m.received()
	if len(got) != 4 {
		t.Fatalf("merchant received %d attempts, want 4", len(got))
	}
	attempts, err := f.store.NotificationAttempts(context.Background(), "N1")
	if err != nil {
		t.Fatal(err)
	}
	if len(attempts) != 4 {
		t.Fatalf("recorded %d attempts, want 4", len(attempts))
	}
	for i, a := range attempts {
		wantOutcome := gateway.OutcomeHTTPStatus
		if i == 3 {
			wantOutcome = gateway.OutcomeDelivered
		}
		if a.Number != i+1 || a.Outcome != wantOutcome {
			t.Errorf("attempt %d: got number %d outcome %s, want %d %s", i+1, a.Number, a.Outcome, i+1, wantOutcome)
		}
		if i > 0 {
			// Attempt i+1 is due schedule[i] after attempt i ended.
			gap := a.At.Sub(attempts[i-1].At.Add(attempts[i-1].Duration))
			if gap < gateway.FastSchedule[i]-time.Millisecond {
				t.Errorf("attempt %d came %s after attempt %d, want at least %s", i+1, gap, i, gateway.FastSchedule[i])
			}
		}
	}
	for i, r := range got {
		if !r.valid {
			t.Errorf("attempt %d: signature does not verify", i+1)
		}
		if string(r.body) != body {
			t.Errorf("attempt %d: body %q, want %q", i+1, r.body, body)
		}
		if r.path != "/hooks/antom?shop=1" {
			t.Errorf("attempt %d: path %q", i+1, r.path)
		}
		if i > 0 && r.reqTime == got[i-1].reqTime {
			t.Errorf("attempt %d reused request-time %s: each attempt must be signed afresh", i+1, r.reqTime)
		}
	}
	if n := f.notification(t, "N1"); n.Attempts != 4 || !n.GivenUpAt.IsZero() {
		t.Errorf("notification: attempts %d, given up %v; want 4 and not given up", n.Attempts, n.GivenUpAt)
	}
}

// TestFailedAttemptOutcomes: only HTTP 200 with result.resultStatus S is a
// delivery; everything else is a failed attempt with its outcome, and the
// notification is given up (and kept) when the schedule runs out.
func TestFailedAttemptOutcomes(t *testing.T) {
	f := newFixture(t)
	slow := make(chan struct{})
	defer close(slow)
	handlers := map[string]http.HandlerFunc{
		"status500": func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", 500) },
		"badack": func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, `{"result":{"resultCode":"FAIL","resultStatus":"F"}}`)
		},
		"notjson":  func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "OK") },
		"redirect": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) },
		"timeout": func(w http.ResponseWriter, _ *http.Request) {
			select {
			case <-slow:
			case <-time.After(5 * time.Second):
			}
		},
	}
	want := map[string]gateway.AttemptOutcome{
		"status500": gateway.OutcomeHTTPStatus, "badack": gateway.OutcomeBadAck, "notjson": gateway.OutcomeBadAck,
		"redirect": gateway.OutcomeRedirect, "timeout": gateway.OutcomeTimeout, "closed": gateway.OutcomeConnection,
	}
	mux := http.NewServeMux()
	redirected := atomic.Bool{}
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, _ *http.Request) { redirected.Store(true); ack(w) })
	for name, h := range handlers {
		mux.HandleFunc("/"+name, h)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	for name := range want {
		url := srv.URL + "/" + name
		if name == "closed" {
			url = closedURL + "/closed"
		}
		f.enqueue(t, name, url, `{}`)
	}
	f.run(t, &notify.Worker{Schedule: gateway.RetrySchedule{0, 50 * time.Millisecond}, Timeout: 300 * time.Millisecond, AllowPrivate: true})
	for name, outcome := range want {
		waitFor(t, name+" given up", func() bool { return !f.notification(t, name).GivenUpAt.IsZero() })
		attempts, err := f.store.NotificationAttempts(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if len(attempts) != 2 {
			t.Errorf("%s: %d attempts, want 2 (the whole schedule)", name, len(attempts))
		}
		for _, a := range attempts {
			if a.Outcome != outcome || a.Error == "" {
				t.Errorf("%s: attempt outcome %s error %q, want %s with an error text", name, a.Outcome, a.Error, outcome)
			}
		}
		if n := f.notification(t, name); !n.DeliveredAt.IsZero() {
			t.Errorf("%s: delivered, want given up", name)
		}
	}
	if redirected.Load() {
		t.Error("the redirect was followed")
	}

	// Given-up notifications are listed and can be resent.
	list, err := f.store.Notifications(context.Background(), gateway.NotificationFilter{Undelivered: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(want) {
		t.Errorf("undelivered list has %d notifications, want %d", len(list), len(want))
	}
}

// TestResendGivenUp: a given-up notification resent is delivered with the
// same body, and its attempts continue to be counted.
func TestResendGivenUp(t *testing.T) {
	f := newFixture(t)
	var up atomic.Bool
	m := &merchant{pub: f.pub, respond: func(_ int, w http.ResponseWriter) {
		if !up.Load() {
			http.Error(w, "down", 500)
			return
		}
		ack(w)
	}}
	srv := httptest.NewServer(m)
	defer srv.Close()
	f.enqueue(t, "R1", srv.URL+"/n", `{"a":1}`)
	f.run(t, &notify.Worker{Schedule: gateway.RetrySchedule{0}, AllowPrivate: true})
	waitFor(t, "given up", func() bool { return !f.notification(t, "R1").GivenUpAt.IsZero() })
	up.Store(true)
	if _, err := (&gateway.Service{Store: f.store}).ResendNotification(context.Background(), "R1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivered after resend", func() bool { return !f.notification(t, "R1").DeliveredAt.IsZero() })
	n := f.notification(t, "R1")
	if n.Attempts != 2 || !n.GivenUpAt.IsZero() {
		t.Errorf("after resend: attempts %d given up %v, want 2 and not given up", n.Attempts, n.GivenUpAt)
	}
	if got := m.received(); len(got) != 2 || string(got[1].body) != `{"a":1}` || !got[1].valid {
		t.Errorf("merchant got %d notifications (last valid=%v body %q), want 2, valid, same body", len(got), got[len(got)-1].valid, got[len(got)-1].body)
	}
}

// TestRefusePrivateTargets: with AllowPrivate off, a loopback target is
// refused before any connection, as a failed attempt.
func TestRefusePrivateTargets(t *testing.T) {
	f := newFixture(t)
	var hit atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hit.Store(true); ack(w) }))
	defer srv.Close()
	f.enqueue(t, "P1", srv.URL+"/n", `{}`)
	f.run(t, &notify.Worker{Schedule: gateway.RetrySchedule{0}})
	waitFor(t, "given up", func() bool { return !f.notification(t, "P1").GivenUpAt.IsZero() })
	attempts, _ := f.store.NotificationAttempts(context.Background(), "P1")
	if len(attempts) != 1 || attempts[0].Outcome != gateway.OutcomeRefused {
		t.Fatalf("attempts %+v, want one refused", attempts)
	}
	if hit.Load() {
		t.Error("the private target was contacted")
	}
}

// TestPerHostLimit: a slow merchant never has more than PerHost attempts in
// flight, and does not hold up another merchant.
func TestPerHostLimit(t *testing.T) {
	f := newFixture(t)
	var inFlight, maxInFlight atomic.Int64
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := inFlight.Add(1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
		ack(w)
	}))
	defer slow.Close()
	var fastDone atomic.Int64
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fastDone.Add(1); ack(w) }))
	defer fast.Close()
	for i := range 10 {
		f.enqueue(t, fmt.Sprintf("S%d", i), slow.URL+"/n", `{}`)
	}
	for i := range 5 {
		f.enqueue(t, fmt.Sprintf("F%d", i), fast.URL+"/n", `{}`)
	}
	f.run(t, &notify.Worker{Schedule: gateway.RetrySchedule{0}, PerHost: 2, Concurrency: 8, Timeout: 20 * time.Second, AllowPrivate: true})
	waitFor(t, "the fast merchant served while the slow one hangs", func() bool { return fastDone.Load() == 5 })
	close(release)
	for i := range 10 {
		id := fmt.Sprintf("S%d", i)
		waitFor(t, id+" delivered", func() bool { return !f.notification(t, id).DeliveredAt.IsZero() })
	}
	if m := maxInFlight.Load(); m > 2 {
		t.Errorf("slow host had %d attempts in flight at once, want at most 2", m)
	}
}

// TestBody renders notifyPayment and notifyRefund bodies.
func TestBody(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := &gateway.Payment{ID: "P1", RequestID: "R1", Amount: gateway.Money{Value: 450, Currency: "USD"},
		Status: gateway.PaymentSuccess, CreatedAt: now, PaidAt: now, MethodType: "CONNECT_WALLET"}
	b, err := notify.Body(gateway.NotifyPayment, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},` +
		`"paymentRequestId":"R1","paymentId":"P1","paymentAmount":{"currency":"USD","value":"450"},` +
		`"paymentCreateTime":"2026-01-02T03:04:05+00:00","paymentTime":"2026-01-02T03:04:05+00:00","paymentMethodType":"CONNECT_WALLET"}`
	if string(b) != want {
		t.Errorf("notifyPayment body:\n got %s\nwant %s", b, want)
	}
	p.Status, p.ResultCode, p.ResultMessage, p.PaidAt = gateway.PaymentFail, "USER_PAYMENT_VERIFICATION_FAILED", "failed", time.Time{}
	b, _ = notify.Body(gateway.NotifyPayment, p, nil)
	var got struct {
		Result wire.Result `json:"result"`
	}
	json.Unmarshal(b, &got)
	if got.Result.Status != wire.StatusFail || got.Result.Code != "USER_PAYMENT_VERIFICATION_FAILED" {
		t.Errorf("failed payment result = %v, want F USER_PAYMENT_VERIFICATION_FAILED", got.Result)
	}
	r := &gateway.Refund{ID: "RF1", RequestID: "RR1", PaymentID: "P1", Amount: gateway.Money{Value: 50, Currency: "USD"},
		Status: gateway.RefundSuccess, RefundedAt: now}
	b, err = notify.Body(gateway.NotifyRefund, p, r)
	if err != nil {
		t.Fatal(err)
	}
	want = `{"notifyType":"REFUND_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},` +
		`"refundStatus":"SUCCESS","refundRequestId":"RR1","refundId":"RF1","paymentId":"P1","refundAmount":{"currency":"USD","value":"50"},"refundTime":"2026-01-02T03:04:05+00:00"}`
	if string(b) != want {
		t.Errorf("notifyRefund body:\n got %s\nwant %s", b, want)
	}
}

// TestEncryptedClient: a client whose traffic is encrypted gets its
// notification encrypted for its newest key (RSA_AES), the signature over
// the ciphertext, and the plaintext is the stored body.
func TestEncryptedClient(t *testing.T) {
	f := newFixture(t)
	data, err := os.ReadFile("../httpapi/testdata/merchant-test-only.pem")
	if err != nil {
		t.Fatal(err)
	}
	mkey, err := wire.ParsePrivateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&mkey.PublicKey)
	now := time.Now().UTC()
	if err := f.store.AddClient(context.Background(), gateway.Client{ID: "C1", Encrypted: true, CreatedAt: now},
		gateway.ClientKey{ClientID: "C1", Version: 3, PublicKey: der, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	type got struct {
		plain     []byte
		encHeader string
		ctype     string
		valid     bool
	}
	ch := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g := got{encHeader: r.Header.Get("encrypt"), ctype: r.Header.Get("content-type")}
		if sh, err := wire.ParseSignatureHeader(r.Header.Get("signature")); err == nil {
			g.valid = wire.Verify(f.pub, wire.SigningContent("POST", r.URL.RequestURI(), r.Header.Get("client-id"), r.Header.Get("request-time"), body), sh.Signature) == nil
		}
		if eh, err := wire.ParseEncryptHeader(g.encHeader); err == nil {
			g.plain, _ = wire.DecryptBody(mkey, eh, body)
		}
		select {
		case ch <- g:
		default:
		}
		ack(w)
	}))
	defer srv.Close()
	f.enqueue(t, "E1", srv.URL+"/n", `{"notifyType":"PAYMENT_RESULT"}`)
	f.run(t, &notify.Worker{Schedule: gateway.RetrySchedule{0}, AllowPrivate: true})
	g := <-ch
	if !g.valid {
		t.Error("signature over the ciphertext does not verify")
	}
	if eh, _ := wire.ParseEncryptHeader(g.encHeader); eh.Algorithm != "RSA_AES" || eh.KeyVersion != 3 {
		t.Errorf("encrypt header %q, want algorithm RSA_AES and keyVersion 3", g.encHeader)
	}
	if string(g.plain) != `{"notifyType":"PAYMENT_RESULT"}` {
		t.Errorf("decrypted body %q, want the stored body", g.plain)
	}
	if g.ctype != "text/plain; charset=UTF-8" {
		t.Errorf("content-type %q, want text/plain; charset=UTF-8", g.ctype)
	}
}
