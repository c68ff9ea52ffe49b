package notify_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/notify"
	"github.com/antomgw/antomgw/wire"
)

// The tests in this file step the fixture's clock and call DeliverDue: an
// attempt is made exactly when the schedule says, and no test waits for it.

// TestFastScheduleFourthAttempt: a merchant that fails the first 3 attempts
// gets the notification on the 4th, each attempt exactly at its scheduled
// time (not a millisecond before), each signed afresh over the same body.
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
	w := f.worker(&notify.Worker{Schedule: gateway.FastSchedule, AllowPrivate: true})

	f.deliverDue(t, w, 1)
	for i := 1; i < 4; i++ {
		f.clock.Advance(gateway.FastSchedule[i] - time.Millisecond)
		f.deliverDue(t, w, 0) // not due yet
		f.clock.Advance(time.Millisecond)
		f.deliverDue(t, w, 1)
	}
	f.clock.Advance(24 * time.Hour)
	f.deliverDue(t, w, 0) // delivered: nothing more to do

	if f.notification(t, "N1").DeliveredAt.IsZero() {
		t.Fatal("not delivered after the 4th attempt")
	}
	got := m.received()
	if len(got) != 4 {
		t.Fatalf("merchant received %d attempts, want 4", len(got))
	}
	attempts := f.attempts(t, "N1")
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
			if gap != gateway.FastSchedule[i] {
				t.Errorf("attempt %d came %s after attempt %d, want %s", i+1, gap, i, gateway.FastSchedule[i])
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
		if want := wire.FormatTime(attempts[i].At); r.reqTime != want {
			t.Errorf("attempt %d: request-time %s, want %s (the worker's clock)", i+1, r.reqTime, want)
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
	handlers := map[string]http.HandlerFunc{
		"status500": func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", 500) },
		"badack": func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, `{"result":{"resultCode":"FAIL","resultStatus":"F"}}`)
		},
		"notjson":  func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "OK") },
		"redirect": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) },
		"timeout": func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-slow:
			case <-r.Context().Done(): // the worker gave up and hung up
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
	defer close(slow) // before srv.Close, which waits for the handlers
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	url := func(name string) string {
		if name == "closed" {
			return closedURL + "/closed"
		}
		return srv.URL + "/" + name
	}

	// Every attempt but the timeout ones answers at once: give them time
	// enough for a loaded machine. The merchant that never answers gets a
	// worker of its own with a short timeout, the one real wait here.
	schedule := gateway.RetrySchedule{0, 50 * time.Millisecond}
	w := f.worker(&notify.Worker{Schedule: schedule, Timeout: 10 * time.Second, AllowPrivate: true})
	for name := range want {
		if name != "timeout" {
			f.enqueue(t, name, url(name), `{}`)
		}
	}
	f.deliverDue(t, w, len(want)-1)
	f.clock.Advance(50 * time.Millisecond)
	f.deliverDue(t, w, len(want)-1)

	f.enqueue(t, "timeout", url("timeout"), `{}`)
	tw := f.worker(&notify.Worker{Schedule: schedule, Timeout: 100 * time.Millisecond, AllowPrivate: true})
	f.deliverDue(t, tw, 1)
	f.clock.Advance(50 * time.Millisecond)
	f.deliverDue(t, tw, 1)

	f.clock.Advance(48 * time.Hour)
	f.deliverDue(t, w, 0) // every one given up: nothing more is tried

	for name, outcome := range want {
		n := f.notification(t, name)
		if n.GivenUpAt.IsZero() {
			t.Errorf("%s: not given up after the whole schedule", name)
		}
		attempts := f.attempts(t, name)
		if len(attempts) != 2 {
			t.Errorf("%s: %d attempts, want 2 (the whole schedule)", name, len(attempts))
		}
		for _, a := range attempts {
			if a.Outcome != outcome || a.Error == "" {
				t.Errorf("%s: attempt outcome %s error %q, want %s with an error text", name, a.Outcome, a.Error, outcome)
			}
		}
		if !n.DeliveredAt.IsZero() {
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
	w := f.worker(&notify.Worker{Schedule: gateway.RetrySchedule{0}, AllowPrivate: true})
	f.deliverDue(t, w, 1)
	if f.notification(t, "R1").GivenUpAt.IsZero() {
		t.Fatal("not given up after the one attempt of the schedule")
	}
	up.Store(true)
	f.clock.Advance(time.Hour)
	if _, err := (&gateway.Service{Store: f.store, Now: f.clock.Now}).ResendNotification(context.Background(), "R1"); err != nil {
		t.Fatal(err)
	}
	f.deliverDue(t, w, 1)
	n := f.notification(t, "R1")
	if n.DeliveredAt.IsZero() {
		t.Fatal("not delivered after the resend")
	}
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
	f.deliverDue(t, f.worker(&notify.Worker{Schedule: gateway.RetrySchedule{0}}), 1)
	if f.notification(t, "P1").GivenUpAt.IsZero() {
		t.Error("not given up after the one attempt of the schedule")
	}
	if attempts := f.attempts(t, "P1"); len(attempts) != 1 || attempts[0].Outcome != gateway.OutcomeRefused {
		t.Fatalf("attempts %+v, want one refused", attempts)
	}
	if hit.Load() {
		t.Error("the private target was contacted")
	}
}

// TestEncryptedClient: a client whose traffic is encrypted gets its
// notification encrypted for its newest key (RSA_AES), the signature over
// the ciphertext, and the plaintext is the stored body.
func TestEncryptedClient(t *testing.T) {
	f := newFixture(t)
	mkey := gatewaytest.MerchantKey()
	der, _ := x509.MarshalPKIXPublicKey(&mkey.PublicKey)
	now := f.clock.Now()
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
	f.deliverDue(t, f.worker(&notify.Worker{Schedule: gateway.RetrySchedule{0}, AllowPrivate: true}), 1)
	var g got
	select {
	case g = <-ch:
	default:
		t.Fatal("the merchant received nothing")
	}
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
	if f.notification(t, "E1").DeliveredAt.IsZero() {
		t.Error("the acknowledged notification is not delivered")
	}
}

// TestDeliverDuePerHost: DeliverDue, like Run, keeps to PerHost attempts
// at once against one host.
func TestDeliverDuePerHost(t *testing.T) {
	f := newFixture(t)
	var inFlight, maxInFlight atomic.Int64
	over := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		if n > 2 {
			once.Do(func() { close(over) })
		}
		// Hold the attempt until the limit is broken, or long enough for
		// the other attempts to start if they are going to.
		select {
		case <-over:
		case <-time.After(200 * time.Millisecond):
		}
		ack(w)
	}))
	defer srv.Close()
	for i := range 6 {
		f.enqueue(t, fmt.Sprintf("S%d", i), srv.URL+"/n", `{}`)
	}
	w := f.worker(&notify.Worker{Schedule: gateway.RetrySchedule{0}, PerHost: 2, Concurrency: 8, AllowPrivate: true})
	if _, err := w.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := maxInFlight.Load(); m > 2 {
		t.Errorf("DeliverDue had %d attempts in flight against one host, want at most PerHost = 2", m)
	}
}

// TestDeliverDueOneAttemptEach: with a schedule of zero delays a failed
// notification is due again at once; DeliverDue still makes one attempt
// at each per call, also when a batch is full and it claims again.
func TestDeliverDueOneAttemptEach(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	f.enqueue(t, "Z1", srv.URL+"/n", `{"a":1}`)
	f.enqueue(t, "Z2", srv.URL+"/n", `{"a":2}`)
	w := f.worker(&notify.Worker{Schedule: gateway.RetrySchedule{0, 0, 0}, AllowPrivate: true, Concurrency: 2})
	f.deliverDue(t, w, 2)
	for _, id := range []string{"Z1", "Z2"} {
		if n := len(f.attempts(t, id)); n != 1 {
			t.Errorf("%s: %d attempts after one DeliverDue, want 1", id, n)
		}
	}
	f.deliverDue(t, w, 2)
	if n := len(f.attempts(t, "Z1")); n != 2 {
		t.Errorf("Z1: %d attempts after two DeliverDue, want 2", n)
	}
}
