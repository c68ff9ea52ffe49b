//go:build unix

package fault

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// crashFlags: notifications on the fast schedule (0s, 1s, 2s, 4s…), delayed
// completions after 300ms, a notification attempt bounded by 2s (so a
// notification claimed just before a kill is tried again 34s later).
var crashFlags = []string{"--notify-schedule", "fast", "--sim-delay", "300ms", "--notify-timeout", "2s"}

// TestCrash: under steady pay load from concurrent clients, SIGKILL the
// server at random moments and restart it on the same data, round after
// round. Afterwards every pay answered S exists and is SUCCESS, no request
// id has two payments, every payment reaches its final state (also those
// whose answer was lost in a kill: their resolve job decides them after the
// restart), and every final payment's notification is delivered.
func TestCrash(t *testing.T) {
	t.Parallel()
	gatewaytest.Binary(t) // skips under -short, before the seed is logged
	const rounds, workers = 12, 4
	rng := rand.New(rand.NewPCG(seed(t), 1))
	baseSeed := rng.Uint64()

	e := newEnv(t, "", "CRASH_SHOP")
	sk := gatewaytest.NewSink(e.gwKeys)
	hook := httptest.NewServer(sk)
	t.Cleanup(hook.Close)
	e.cli("clients", "update", "--data", e.data, "--client-id", e.clientID, "--notify-url", hook.URL+"/antom/notify")

	var cur atomic.Pointer[server]
	cur.Store(e.mustStart(crashFlags...))

	var rec record
	defer func() {
		if t.Failed() {
			saveAttempts(t, "crash", rec.all())
		}
	}()
	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(baseSeed, uint64(g)))
			for n := 0; ctx.Err() == nil; n++ {
				value := int64(1 + r.IntN(9000))
				switch x := r.IntN(100); {
				case x < 25:
					value = 9903 // U now, SUCCESS after --sim-delay
				case x < 35:
					value = 9904 // U now, FAIL after --sim-delay
				}
				id := fmt.Sprintf("CRASH_%d_%05d", g, n)
				req := gatewaytest.Request{Path: pathPayV1, Body: payV1(id, value)}
				if r.IntN(4) == 0 {
					req = gatewaytest.Request{Path: pathPayV2, Body: payV2(id, value)}
				}
				// Half the clients retry the same request after a transport
				// error (as they should); the other half give up, leaving
				// whatever the kill left behind to the gateway.
				retry := r.IntN(2) == 0
				for sent := 1; ; sent++ {
					a := cur.Load().try(id, value, req)
					if rec.add(a) || a.err == nil || !retry || sent > 40 || ctx.Err() != nil {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				time.Sleep(time.Duration(r.IntN(4)) * time.Millisecond)
			}
		})
	}

	start := time.Now()
	var downtime time.Duration
	for round := 1; round <= rounds; round++ {
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		cur.Load().Kill()
		down := time.Now()
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		s, err := e.start(crashFlags...)
		if err != nil {
			stopLoad()
			wg.Wait()
			t.Fatalf("round %d: restart: %v", round, err)
		}
		downtime += time.Since(down)
		cur.Store(s)
	}
	time.Sleep(time.Second)
	stopLoad()
	wg.Wait()
	loadTime := time.Since(start)
	lastRestart := time.Now()
	s := cur.Load()
	rec.checkBad(t, "crash")

	// Every payment reaches a final state: undecided ones (the process died
	// between recording the payment and its decision) wait for their
	// resolve job, 30s after creation.
	took, left := waitFinal(t, e, 2*time.Minute)
	if len(left) > 0 {
		t.Errorf("%d payments still PROCESSING %v after the last restart: %v\n%s", len(left), took.Round(time.Second), first(left, 10), describeStuck(t, e, left))
	}

	// The API view of every request id.
	attempts := rec.all()
	byID, ids := byRequestID(attempts)
	inquiries := inquireAll(s, ids)
	var (
		ackS, ackF, ackU, lostAnswer, neverCreated, checked, unknownNoPayment int
		finals                                                                = map[string]wire.Status{}
	)
	for _, id := range ids {
		as := byID[id]
		value := as[0].value
		var pid string
		var sawS, sawF bool
		for _, a := range as {
			if a.err != nil {
				continue
			}
			switch {
			case a.result.Status == wire.StatusSuccess && a.result.Code == wire.CodeSuccess:
				sawS = true
			case a.result.Status == wire.StatusFail && a.result.Code == wire.CodeUserPaymentVerifyFail && value == 9904:
				sawF = true
			case a.result.Status == wire.StatusUnknown && (a.result.Code == wire.CodePaymentInProcess || a.result.Code == wire.CodeUnknownException):
			default:
				t.Errorf("%s (value %d): unexpected answer %s %s %q", id, value, a.result.Status, a.result.Code, a.result.Message)
			}
			if a.paymentID == "" {
				if a.result.Code == wire.CodeUnknownException {
					unknownNoPayment++ // honest, but counted: nothing was recorded
				} else {
					t.Errorf("%s: answer %s %s carries no paymentId", id, a.result.Status, a.result.Code)
				}
				continue
			}
			if pid != "" && a.paymentID != pid {
				t.Errorf("%s: answers carry two paymentIds, %s and %s", id, pid, a.paymentID)
			}
			pid = a.paymentID
		}
		q := inquiries[id]
		if q.err != nil {
			t.Errorf("%s: inquiryPayment: %v", id, q.err)
			continue
		}
		if q.result.Code == wire.CodeOrderNotExist {
			if pid != "" {
				t.Errorf("LOST: %s was answered with paymentId %s, and inquiryPayment says ORDER_NOT_EXIST", id, pid)
			}
			neverCreated++
			continue
		}
		if q.result.Code != wire.CodeSuccess {
			t.Errorf("%s: inquiryPayment answered %v", id, q.result)
			continue
		}
		checked++
		switch {
		case sawS:
			ackS++
		case sawF:
			ackF++
		case pid != "":
			ackU++
		default:
			lostAnswer++ // created, but every answer was lost in a kill
		}
		if pid != "" && q.paymentID != pid {
			t.Errorf("%s: inquiryPayment by request id gives paymentId %s, the pay answers gave %s", id, q.paymentID, pid)
		}
		if sawS && q.paymentStatus != "SUCCESS" {
			t.Errorf("LOST: %s was answered S SUCCESS (paymentId %s) and is now %s", id, pid, q.paymentStatus)
		}
		want := wantFinal(value)
		if q.paymentStatus != string(want) {
			t.Errorf("%s (value %d): paymentStatus %s, want %s", id, value, q.paymentStatus, want)
		}
		finals[q.paymentID] = wire.StatusSuccess
		if want == gateway.PaymentFail {
			finals[q.paymentID] = wire.StatusFail
		}
	}

	// Every final payment's notification reaches the merchant.
	var missing []string
	gatewaytest.WaitFor(2*time.Minute, func() bool { missing = sk.Missing(finals); return len(missing) == 0 })
	if len(missing) > 0 {
		t.Errorf("%d final payments were never notified (2 minutes after the checks): %v", len(missing), first(missing, 10))
	}
	notifiedAfter := time.Since(lastRestart)
	// The store agrees. A notification the merchant acknowledged just
	// before a kill may still be pending, leased, until it is delivered
	// again (at least once): wait for its lease.
	var undelivered int
	gatewaytest.WaitFor(time.Minute, func() bool { undelivered = undeliveredListed(t, e); return undelivered == 0 })
	if undelivered > 0 {
		t.Errorf("notifications list --undelivered lists %d notifications", undelivered)
	}
	storeDelivered := time.Since(lastRestart)
	distinct, deliveries, invalid := sk.Counts()
	if len(invalid) > 0 {
		t.Errorf("%d notifications failed verification; first: %s", len(invalid), invalid[0])
	}

	if err := s.term(); err != nil {
		t.Error(err)
	}
	st := checkStore(t, e, ids)

	t.Logf("crash: %d rounds of SIGKILL + restart over %v of load (%d client goroutines, servers down %v in all)",
		rounds, loadTime.Round(time.Millisecond), workers, downtime.Round(time.Millisecond))
	t.Logf("crash: %d requests sent for %d request ids; answers: %s", len(attempts), len(ids), rec.answers.String())
	t.Logf("crash: %d payments in the store, %d checked through inquiryPayment: %d answered S, %d answered F, %d answered only U, %d created but every answer lost in a kill; %d request ids never reached the store",
		st.payments, checked, ackS, ackF, ackU, lostAnswer, neverCreated)
	if unknownNoPayment > 0 {
		t.Logf("crash: %d answers were U UNKNOWN_EXCEPTION without a paymentId (the gateway could not record the request)", unknownNoPayment)
	}
	t.Logf("crash: all final %v after the last restart (%s); duplicates %d; jobs left %d; integrity %s",
		took.Round(time.Millisecond), st.byStatus, st.duplicates, st.jobs, st.integrity)
	t.Logf("crash: notifications %d payments notified (%d deliveries, %d repeats after kills), all received %v and all recorded delivered %v after the last restart; undelivered in the store %d; rows per payment max %d",
		distinct, deliveries, deliveries-distinct, notifiedAfter.Round(time.Millisecond), storeDelivered.Round(time.Millisecond), st.undelivered, st.maxNotesPerPayment)
	if !t.Failed() {
		t.Logf("crash: nothing lost — %d acknowledged payments (%d S, %d F) all in their final state, no request id paid twice", ackS+ackF, ackS, ackF)
	}
}

// inquiry is what inquiryPayment said about a request id.
type inquiry struct {
	result        wire.Result
	paymentID     string
	paymentStatus string
	err           error
}

// inquireAll asks inquiryPayment about every id, four at a time.
func inquireAll(s *server, ids []string) map[string]inquiry {
	out := make(map[string]inquiry, len(ids))
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for id := range work {
				rep, err := s.inquire(id)
				q := inquiry{err: err}
				if rep != nil {
					q.result, q.paymentID, q.paymentStatus = rep.Result, rep.PaymentID, rep.PaymentStatus
				}
				mu.Lock()
				out[id] = q
				mu.Unlock()
			}
		})
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	return out
}

// undeliveredListed runs "antomgw notifications list --undelivered" and
// returns how many notifications it lists.
func undeliveredListed(t *testing.T, e *env) int {
	t.Helper()
	out := e.cli("notifications", "list", "--data", e.data, "--undelivered", "--limit", "1000000")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("notifications list: unexpected output %q", clip(out, 500))
	}
	return len(lines) - 1
}

// storeFigures is what checkStore found.
type storeFigures struct {
	payments, duplicates, jobs, undelivered, maxNotesPerPayment int
	byStatus, integrity                                         string
}

// checkStore opens the stopped server's store and checks it through its
// own queries: one payment per request id, none PROCESSING, none for a
// request id that was never sent, no job left, every final payment
// notified exactly once and delivered, and every record readable.
func checkStore(t *testing.T, e *env, sent []string) storeFigures {
	t.Helper()
	ctx := context.Background()
	st := openStore(t, e)
	defer st.Close()
	var f storeFigures
	all := allPayments(t, st, "")
	ps, dups := paymentsByRequest(all)
	if len(dups) > 0 {
		f.duplicates = len(dups)
		t.Errorf("request ids with more than one payment: %v", first(dups, 10))
	}
	known := map[string]bool{}
	for _, id := range sent {
		known[id] = true
	}
	f.payments = len(all)
	count := map[gateway.PaymentStatus]int{}
	for id, p := range ps {
		count[p.Status]++
		if !known[id] {
			t.Errorf("the store has a payment for request id %s, which was never sent", id)
		}
		if p.Status == gateway.PaymentProcessing {
			t.Errorf("payment %s (%s) is still PROCESSING", p.ID, id)
		}
	}
	var parts []string
	for _, s := range []gateway.PaymentStatus{gateway.PaymentSuccess, gateway.PaymentFail, gateway.PaymentCancelled, gateway.PaymentProcessing} {
		if count[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, count[s]))
		}
	}
	f.byStatus = strings.Join(parts, ", ")

	notes, err := st.Notifications(ctx, gateway.NotificationFilter{Limit: allRows})
	if err != nil {
		t.Fatal(err)
	}
	perPayment := map[string]int{}
	for _, n := range notes {
		if n.DeliveredAt.IsZero() {
			f.undelivered++
		}
		if n.Kind == gateway.NotifyPayment {
			perPayment[n.PaymentID]++
			f.maxNotesPerPayment = max(f.maxNotesPerPayment, perPayment[n.PaymentID])
		}
	}
	if f.undelivered > 0 {
		t.Errorf("%d notifications are not delivered", f.undelivered)
	}
	unnotified := 0
	for _, p := range all {
		if (p.Status == gateway.PaymentSuccess || p.Status == gateway.PaymentFail) && p.NotifyURL != "" && perPayment[p.ID] == 0 {
			unnotified++
		}
	}
	if unnotified > 0 {
		t.Errorf("%d final payments have no notification", unnotified)
	}
	if f.maxNotesPerPayment > 1 {
		t.Errorf("a payment has %d notifyPayment rows, want 1", f.maxNotesPerPayment)
	}
	f.integrity = "ok, every record read back"
	if err := st.Check(ctx); err != nil {
		f.integrity = err.Error()
		t.Errorf("integrity check of the store after the crashes: %v", err)
	} else if _, err := dump(st); err != nil {
		f.integrity = err.Error()
		t.Errorf("read every record of the store: %v", err)
	}
	// The store has no query that lists the delayed transitions; claiming
	// every one, however far ahead it is due, counts them. (The server is
	// stopped and the store is not used after this.)
	jobs, err := st.ClaimJobs(ctx, time.Now().AddDate(100, 0, 0), time.Minute, allRows)
	if err != nil {
		t.Fatal(err)
	}
	if f.jobs = len(jobs); f.jobs > 0 {
		t.Errorf("%d jobs are left in the store with every payment final", f.jobs)
	}
	return f
}

func first[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}
