//go:build unix

package fault

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// dupFlags: delayed completions after 300ms; the 9902 answer held back
// for 700ms (its payment is SUCCESS at once, so duplicates see it first).
var dupFlags = []string{"--sim-delay", "300ms", "--sim-hold", "700ms"}

// TestDuplicates: bursts of 20 concurrent copies of the same pay (same
// paymentRequestId, same body), several request ids at once, with the
// server SIGKILLed at a random moment of most bursts and restarted on the
// same data; the copies that hit the kill retry the same request. Never two
// payments for one request id, and every answer for one id carries the one
// paymentId (S, or U with that paymentId) or is a transport error of the
// kill.
func TestDuplicates(t *testing.T) {
	t.Parallel()
	gatewaytest.Binary(t) // skips under -short, before the seed is logged
	const rounds, idsPerBurst, copies = 10, 5, 20
	rng := rand.New(rand.NewPCG(seed(t), 2))

	e := newEnv(t, "", "DUP_SHOP")
	var cur atomic.Pointer[server]
	cur.Store(e.mustStart(dupFlags...))

	type idInfo struct {
		value int64
		v2    bool
	}
	var (
		rec      record
		info     = map[string]idInfo{}
		ids      []string
		kills    int
		sent     atomic.Int64
		gaveUp   atomic.Int64
		burstDur time.Duration
	)
	defer func() {
		if t.Failed() {
			saveAttempts(t, "duplicates", rec.all())
		}
	}()
	for round := 1; round <= rounds; round++ {
		var burst []string
		for k := range idsPerBurst {
			id := fmt.Sprintf("DUP_%02d_%d", round, k)
			in := idInfo{value: pick(rng, int64(100+rng.IntN(8000)), 9901, 9902, 9903), v2: rng.IntN(4) == 0}
			info[id] = in
			ids = append(ids, id)
			burst = append(burst, id)
		}
		kill := rng.IntN(4) != 0
		killAfter := time.Duration(rng.IntN(400)) * time.Millisecond
		downFor := time.Duration(rng.IntN(200)) * time.Millisecond
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, id := range burst {
			in := info[id]
			req := gatewaytest.Request{Path: pathPayV1, Body: payV1(id, in.value)}
			if in.v2 {
				req = gatewaytest.Request{Path: pathPayV2, Body: payV2(id, in.value)}
			}
			for range copies {
				wg.Go(func() {
					<-start
					giveUp := time.Now().Add(30 * time.Second)
					for {
						sent.Add(1)
						a := cur.Load().try(id, in.value, req)
						if rec.add(a) || a.err == nil {
							return
						}
						if time.Now().After(giveUp) {
							gaveUp.Add(1)
							return
						}
						time.Sleep(20 * time.Millisecond)
					}
				})
			}
		}
		began := time.Now()
		close(start)
		if kill {
			time.Sleep(killAfter)
			cur.Load().Kill()
			kills++
			time.Sleep(downFor)
			s, err := e.start(dupFlags...)
			if err != nil {
				wg.Wait()
				t.Fatalf("round %d: restart: %v", round, err)
			}
			cur.Store(s)
		}
		wg.Wait()
		burstDur += time.Since(began)
	}
	s := cur.Load()
	rec.checkBad(t, "duplicates")
	byID, _ := byRequestID(rec.all())

	// Per request id: one paymentId in every answer.
	pids := map[string]string{}
	var sAnswers, uAnswers, transport int
	for _, id := range ids {
		var pid string
		answered := 0
		for _, a := range byID[id] {
			if a.err != nil {
				transport++
				continue
			}
			answered++
			switch {
			case a.result.Status == wire.StatusSuccess && a.result.Code == wire.CodeSuccess:
				sAnswers++
			case a.result.Status == wire.StatusUnknown && (a.result.Code == wire.CodePaymentInProcess || a.result.Code == wire.CodeUnknownException):
				uAnswers++
			default:
				t.Errorf("%s (value %d): unexpected answer %s %s %q", id, info[id].value, a.result.Status, a.result.Code, a.result.Message)
			}
			if a.paymentID == "" {
				t.Errorf("%s: answer %s %s %q carries no paymentId", id, a.result.Status, a.result.Code, a.result.Message)
				continue
			}
			if pid != "" && pid != a.paymentID {
				t.Errorf("DUPLICATE: %s: answers carry two paymentIds, %s and %s", id, pid, a.paymentID)
			}
			pid = a.paymentID
		}
		if answered == 0 {
			t.Errorf("%s: none of its %d copies got an answer", id, copies)
		}
		pids[id] = pid
	}

	took, left := waitFinal(t, e, 2*time.Minute)
	if len(left) > 0 {
		t.Errorf("%d payments still PROCESSING %v after the last burst: %v\n%s", len(left), took.Round(time.Second), first(left, 10), describeStuck(t, e, left))
	}
	inquiries := inquireAll(s, ids)
	checked := 0
	for _, id := range ids {
		q := inquiries[id]
		if q.err != nil || q.result.Code != wire.CodeSuccess {
			t.Errorf("%s: inquiryPayment: %v %v", id, q.result, q.err)
			continue
		}
		checked++
		if pids[id] != "" && q.paymentID != pids[id] {
			t.Errorf("%s: inquiryPayment gives paymentId %s, the pay answers gave %s", id, q.paymentID, pids[id])
		}
		if want := wantFinal(info[id].value); q.paymentStatus != string(want) {
			t.Errorf("%s (value %d): paymentStatus %s, want %s", id, info[id].value, q.paymentStatus, want)
		}
	}
	if err := s.term(); err != nil {
		t.Error(err)
	}
	st := openStore(t, e)
	defer st.Close()
	stored, dups := paymentsByRequest(allPayments(t, st, ""))
	if len(dups) > 0 {
		t.Errorf("DUPLICATE payments in the store: %v", dups)
	}
	if len(stored) != len(ids) {
		var missing []string
		for _, id := range ids {
			if _, ok := stored[id]; !ok {
				missing = append(missing, id)
			}
		}
		slices.Sort(missing)
		t.Errorf("%d payments in the store for %d request ids; missing %v", len(stored), len(ids), missing)
	}

	t.Logf("duplicates: %d rounds (%d with a SIGKILL mid-burst), %d request ids × %d concurrent copies, bursts took %v in all",
		rounds, kills, len(ids), copies, burstDur.Round(time.Millisecond))
	t.Logf("duplicates: %d requests sent; answers: %s; copies that gave up: %d", sent.Load(), rec.answers.String(), gaveUp.Load())
	t.Logf("duplicates: %d S and %d U answers, every one with its request id's single paymentId; %d transport errors during kills",
		sAnswers, uAnswers, transport)
	t.Logf("duplicates: %d payments in the store for %d request ids, %d checked through inquiryPayment, all final %v after the last burst; request ids with two payments: %d",
		len(stored), len(ids), checked, took.Round(time.Millisecond), len(dups))
	if !t.Failed() {
		t.Logf("duplicates: nothing doubled — one payment per request id")
	}
}
